"""Rate limits hold across processes (issue 16): two server processes on one database share each
client's bucket, so the 11th look-up a minute is refused whichever process answers it; the table
keeps keyed hashes of addresses, never an address."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from credential_service.core.config import Settings
from credential_service.platform.limits import SharedRateLimiter
from credential_service.platform.models import RateLimitBucket
from credential_service.runtime import Runtime
from tests.servers import free_port, serve, server_env, stop


def test_the_eleventh_query_a_minute_is_refused_across_two_processes(
    settings: Settings, runtime: Runtime
) -> None:
    assert settings.verify_queries_per_minute == 10
    ports = [free_port(), free_port()]
    servers = [serve(server_env(settings), port) for port in ports]
    query = {"certificateNumber": "Y000014010001261000001", "name": "王小明"}
    try:
        answers = [
            httpx.post(f"http://127.0.0.1:{ports[n % 2]}/api/v1/verify/query", json=query).status_code
            for n in range(11)  # alternately to each process
        ]
    finally:
        stop(servers)
    assert answers[:10] == [200] * 10 and answers[10] == 429, answers
    with runtime.read_session() as session:
        clients = session.scalars(select(RateLimitBucket.client)).all()
    assert clients and all("127.0.0.1" not in c and len(c) == 64 for c in clients)


def test_concurrent_takes_of_one_bucket_lose_none(runtime: Runtime) -> None:
    import threading

    limiter = SharedRateLimiter("test", 20, 3600, open_session=runtime.session, key=b"k" * 32)
    refused: list[float] = []

    def take() -> None:
        for _ in range(5):
            retry = limiter.take("203.0.113.7")
            if retry is not None:
                refused.append(retry)

    threads = [threading.Thread(target=take) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(refused) == 30 - 20  # exactly the capacity allowed, however the takes interleaved
