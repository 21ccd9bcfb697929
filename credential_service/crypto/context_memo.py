"""The process-wide memo of processed JSON-LD contexts (see :mod:`.jsonld` for what keys it)."""

from __future__ import annotations

import threading
from collections import OrderedDict

import orjson


class ContextMemo:
    """Thread-safe LRU of processed active contexts (see the module docstring for the key)."""

    def __init__(self, max_entries: int) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[object, ...], tuple[object, object]] = OrderedDict()
        self._max = max_entries
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[object, ...], active_ctx: object) -> object | None:
        with self._lock:
            entry = self._entries.get(key)
            # The entry holds the active context, so an equal id() means the same object.
            if entry is None or entry[0] is not active_ctx:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[1]

    def put(self, key: tuple[object, ...], active_ctx: object, result: object) -> None:
        with self._lock:
            self._entries[key] = (active_ctx, result)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)


def local_context_key(local_ctx: object) -> object | None:
    """Content key of a local context, or None if it cannot be keyed (then no memoisation)."""
    if isinstance(local_ctx, str):
        return local_ctx
    try:
        return orjson.dumps(local_ctx, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return None
