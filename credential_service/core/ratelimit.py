"""Token buckets per client (pure bookkeeping; the HTTP layer decides the client key): the bucket
arithmetic, and buckets in memory for one process (tests, tools). The service's limits hold across
processes and hosts: ``platform.limits.SharedRateLimiter`` keeps the buckets in the database.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

MAX_CLIENTS = 100_000  # the least recently seen clients are forgotten first
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Limiter(Protocol):
    def take(self, key: str, cost: float = 1.0) -> float | None:
        """Spend ``cost`` tokens; None when allowed, else the seconds to wait before retrying."""
        ...


def refill(
    tokens: float, at: float, now: float, *, capacity: float, per_second: float, cost: float
) -> tuple[float, float | None]:
    """A token bucket's arithmetic: the tokens left after spending ``cost`` at ``now`` (refilled since
    ``at``), and None when allowed, else the seconds to wait."""
    tokens = min(capacity, tokens + max(0.0, now - at) * per_second)
    if tokens >= cost:
        return tokens - cost, None
    return tokens, (cost - tokens) / per_second  # callers keep cost ≤ capacity: waiting always helps


class RateLimiter:
    def __init__(
        self, capacity: float, per_seconds: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.capacity = capacity
        self.refill_per_second = capacity / per_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key → (tokens, at)

    def take(self, key: str, cost: float = 1.0) -> float | None:
        """Spend ``cost`` tokens; None when allowed, else the seconds to wait before retrying."""
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.pop(key, (self.capacity, now))
            tokens, retry = refill(
                tokens, at, now, capacity=self.capacity, per_second=self.refill_per_second, cost=cost
            )
            self._buckets[key] = (tokens, now)
            self._trim()
            return retry

    def _trim(self) -> None:
        while len(self._buckets) > MAX_CLIENTS:
            self._buckets.popitem(last=False)


def client_address(peer: str, forwarded_for: Iterable[str], trusted_proxies: Sequence[Network]) -> str:
    """The client a limit counts. ``X-Forwarded-For`` is anyone's to write, so it counts only when the
    direct peer is a trusted proxy; then the right-most address not itself a trusted proxy is the
    client (the left part is whatever the client sent). ``forwarded_for``: the header's values."""
    if not _is_trusted(peer, trusted_proxies):
        return peer
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted_proxies):
            return hop
    return hops[0] if hops else peer


def _is_trusted(address: str, trusted_proxies: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted_proxies)
