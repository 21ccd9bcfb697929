"""What ``scripts/bench load`` (scripts/bench_load.py) concludes from a run, and its table."""

from __future__ import annotations

from collections import Counter
from typing import Any

ROUTES = {
    "verify": "GET /api/v1/verify/{token}",
    "file": "GET /api/v1/me/file",
    "issue": "POST /api/v1/submissions/{id}/issue",
}
SHED = ("429", "503")


def _statuses(phase: dict[str, Any]) -> Counter[str]:
    every: Counter[str] = Counter()
    for kind in phase["kinds"].values():
        every.update(kind["statuses"])
    return every


def _all_2xx(phase: dict[str, Any]) -> bool:
    return all(status.startswith("2") for status in _statuses(phase))


def _server_error(status: str) -> bool:
    return status.startswith("5") and status != "503"


def verdicts(result: dict[str, Any]) -> dict[str, tuple[bool, bool]]:
    """Each check: (passed, whether its failure fails the run)."""
    phases = result["phases"]
    seen = [s for p in phases.values() for s in _statuses(p)] + list(result["served_statuses"])
    overload = _statuses(phases["overload"])
    return {
        "no 500 (the generator's answers and the service's metrics)": (
            not any(map(_server_error, seen)),
            True,
        ),
        "normal (70 %): every answer 2xx": (_all_2xx(phases["normal"]), True),
        "overload (150 %): load shed with 429/503": (any(overload[s] for s in SHED), False),
        "overload: nothing but 2xx, 429, 503": (all(s.startswith("2") or s in SHED for s in overload), False),
        "recovery (70 % again): every answer 2xx": (_all_2xx(phases["recovery"]), False),
    }


def _kind_row(kind: str, rate: float, k: dict[str, Any]) -> str:
    statuses = ", ".join(f"{s}: {n}" for s, n in k["statuses"].items())
    figures = (k["p50_ms"], k["p99_ms"], k["max_ms"], k["send_lag_p99_ms"])
    return (
        f"  {kind:<7} {ROUTES[kind]:<36} {rate:>7,.1f} {k['ok_per_second']:>7,.1f} "
        + " ".join(f"{v!s:>7}" for v in figures)
        + f"  {statuses}"
    )


def report(result: dict[str, Any]) -> None:
    print(
        f"Mixed load: {result['workers'] or 'the running'} service processes, PostgreSQL primary + "
        f"synchronous standby, demo data ({result['certificates']} certificates, {result['people']} "
        f"people); {result['cpus']} CPUs shared with the generator and whatever else runs here"
    )
    print(f"Admission per process: {result['admission']}; {result['batch']} candidate(s) an issuance request")
    capacity = result["capacity"]
    shares = ", ".join(f"{k} {v:.0%}" for k, v in result["shares"].items())
    print(f"\nCapacity of the mix ({shares} of the requests), open-loop steps:")
    print(f"  {'offered/s':>10} {'ok/s':>8} {'worst p99 ms':>13} {'late s':>7} sustained  statuses")
    for s in capacity["steps"]:
        worst = max((k["p99_ms"] or 0 for k in s["kinds"].values()), default=0)
        every = Counter[str]()
        for kind in s["kinds"].values():
            every.update(kind["statuses"])
        ok = sum(k["ok_per_second"] for k in s["kinds"].values())
        figures = f"{s['offered']:>10,.1f} {ok:>8,.1f} {worst:>13,.1f} {s['drained_seconds']:>7}"
        print(f"  {figures} {'yes' if s['sustained'] else 'NO':<9}  {dict(every)}")
    print(f"  capacity: {capacity['requests_per_second']:,.1f} requests/s of the mix")
    print("\nOpen loop (latency of the successful answers, from the time each request was due):")
    for name, p in result["phases"].items():
        print(
            f"\n  {name}: {p['seconds']:g} s; last answers back {p['drained_seconds']} s after the last "
            f"was due; generator CPU {p['generator_cpu_share']:.0%} of a core"
        )
        heads = ("rate/s", "ok/s", "p50 ms", "p99 ms", "max ms", "late99")
        print(f"  {'kind':<7} {'route':<36} " + " ".join(f"{h:>7}" for h in heads) + "  answers by status")
        for kind, k in p["kinds"].items():
            print(_kind_row(kind, p["rates"][kind], k))
    served = dict(sorted(result["served_statuses"].items()))
    print(f"\nThe service's own answers by status over the run (/metrics): {served}")
    for check, (passed, required) in result["verdicts"].items():
        print(f"  {check:.<66} {'yes' if passed else 'NO'}{'' if required else ' (reported)'}")
