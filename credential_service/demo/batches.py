"""Two assessment batches of the first demo organisation, so issuance can be tried on ``/org``: one
still in its publicity period (公示期) and one whose publicity ended with no objection (ready to issue).

Made-up candidates from their own seed; a second run finds the plans and sheets it filed and only
reports them (the same sheet sent again is recorded once).
"""

from __future__ import annotations

import hashlib
import io
import random
from dataclasses import dataclass
from datetime import timedelta

from credential_service.assessment.occupations.rules import BUILTIN_OCCUPATIONS
from credential_service.assessment.organisations import service as organisations
from credential_service.assessment.workflow import plans, submissions
from credential_service.assessment.workflow.errors import PlanNotFound
from credential_service.assessment.workflow.results.sheet import read_csv
from credential_service.certificates.rules import SkillLevel
from credential_service.core.clock import beijing_date, utcnow
from credential_service.demo.ports import DemoRuntime
from credential_service.demo.workers import demo_id_number, demo_name

CANDIDATES = 8
SHEET_HEADER = "证件类型,证件号码,姓名,理论知识成绩,技能操作成绩\n"


@dataclass(frozen=True)
class DemoBatch:
    plan_ref: str
    occupation_index: int  # into BUILTIN_OCCUPATIONS
    level: SkillLevel
    published_days_ago: int  # 0: in publicity today; 40: publicity (5 working days) long over


DEMO_BATCHES = (
    DemoBatch("DEMO-GS-01", 1, SkillLevel(4), 0),
    DemoBatch("DEMO-READY-01", 2, SkillLevel(5), 40),
)


def _sheet(rng: random.Random) -> bytes:
    rows = "".join(
        f"居民身份证,{demo_id_number(rng)},{demo_name(rng)},{rng.randint(62, 95)},{rng.randint(64, 96)}\n"
        for _ in range(CANDIDATES)
    )
    return (SHEET_HEADER + rows).encode()


def load_demo_batches(runtime: DemoRuntime, org_code: str, *, seed: int) -> list[dict[str, str]]:
    """File the demo batches of ``org_code`` (once); each batch's plan, submission and publicity end."""
    listed: list[dict[str, str]] = []
    for batch in DEMO_BATCHES:
        sheet = _sheet(random.Random(f"{seed}:{batch.plan_ref}"))  # noqa: S311 - demo data
        now = utcnow() - timedelta(days=batch.published_days_ago)
        occupation = BUILTIN_OCCUPATIONS[batch.occupation_index]
        with runtime.session() as session:
            organisation = organisations.get_organisation(session, org_code)
            try:
                plans.get_plan(session, organisation, batch.plan_ref)
            except PlanNotFound:
                exam_end = beijing_date(now) - timedelta(days=3)
                plans.file_plan(
                    session,
                    organisation,
                    plan_ref=batch.plan_ref,
                    occupation_code=occupation.code,
                    subtype=occupation.subtype,
                    level=batch.level.value,
                    exam_start=exam_end - timedelta(days=1),
                    exam_end=exam_end,
                    examiners=[{"name": "李考评", "certificate_number": "KP1401000001"}],
                    now=now,
                )
            submission = submissions.submit_results(
                session,
                runtime.keystore,
                runtime.settings.data_key_bytes,
                organisation,
                plan_ref=batch.plan_ref,
                rows=read_csv(io.BytesIO(sheet)),
                source="csv",
                content_sha256=hashlib.sha256(sheet).hexdigest(),
                idempotency_key=f"demo-{batch.plan_ref}",
                now=now,
            )
            listed.append(
                {
                    "organisation": org_code,
                    "planRef": batch.plan_ref,
                    "submission": submission.public_id,
                    "state": submission.state,
                    "publicityEndsOn": submission.publicity_ends_on.isoformat(),
                }
            )
    return listed
