"""Generate a province, scan it in full, and score the scan against what was planted (decision 041)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from credential_service.core.config import Settings
from credential_service.crypto.keystore import KeyStore
from credential_service.identity.models import Person
from credential_service.supervision import service
from credential_service.supervision.models import SupervisionCase
from credential_service.supervision.province.bulk import Sessions
from credential_service.supervision.province.plans import World
from credential_service.supervision.province.store import store_world
from credential_service.supervision.province.world import build_world
from credential_service.supervision.rules.cases import finding_key
from credential_service.supervision.rules.registry import CHECKS


@dataclass(frozen=True)
class CheckScore:
    """One check's result on the province: cases planted, how many it found, and what it found on
    the clean part (a finding that matches no planted case)."""

    code: str
    title: str
    planted: int
    found: int
    false_findings: int

    @property
    def perfect(self) -> bool:
        return self.found == self.planted and self.false_findings == 0


def is_empty(session: Session) -> bool:
    """A province is generated on an empty database only: anything else would blur the score."""
    return not session.scalar(select(func.count()).select_from(Person))


def planted_keys(world: World) -> dict[str, set[str]]:
    """Each check's planted cases, as the keys of the findings they must produce."""
    keys: dict[str, set[str]] = {code: set() for code in CHECKS}
    for plant in world.plants:
        keys[plant.check].add(finding_key(plant.check, plant.subjects()))
    return keys


def score(session: Session, world: World) -> list[CheckScore]:
    """Compare the cases the scan opened with the planted ones, check by check."""
    opened: dict[str, set[str]] = {code: set() for code in CHECKS}
    for code, key in session.execute(select(SupervisionCase.check_code, SupervisionCase.finding_key)):
        opened.setdefault(code, set()).add(key)
    planted = planted_keys(world)
    return [
        CheckScore(
            code,
            spec.title,
            len(planted[code]),
            len(planted[code] & opened[code]),
            len(opened[code] - planted[code]),
        )
        for code, spec in CHECKS.items()
    ]


def generate(
    sessions: Sessions,
    *,
    keystore: KeyStore,
    settings: Settings,
    persons: int,
    seed: int,
    planted: int,
    today: date,
    actor: str,
    progress: Callable[[str], None] = lambda _: None,
) -> tuple[World, float]:
    """Lay out and write the province; returns it and the seconds it took. Raises
    world.NotEnoughPeople when ``persons`` cannot hold ``planted`` cases of every check."""
    started = time.perf_counter()
    world = build_world(
        persons=persons, seed=seed, planted=planted, province_code=settings.province_code, today=today
    )
    progress(f"laid out in {time.perf_counter() - started:.1f} s")
    store_world(
        sessions,
        world,
        keystore=keystore,
        settings=settings,
        data_key=settings.data_key_bytes,
        actor=actor,
        progress=progress,
    )
    return world, time.perf_counter() - started


def full_scan(
    sessions: Sessions, *, data_key: bytes, opened_by: str
) -> tuple[list[service.CheckReport], float]:
    """Every check over everything (``supervise run --full``); returns the reports and the seconds."""
    started = time.perf_counter()
    with sessions() as session:
        reports = service.run_checks(
            session, data_key=data_key, specs=list(CHECKS.values()), scope=None, opened_by=opened_by
        )
    return reports, time.perf_counter() - started
