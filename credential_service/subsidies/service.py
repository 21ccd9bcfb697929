"""Subsidy rule sets in the database (decision 031): load a file (the same version twice changes
nothing; the same version with other content is refused), list the loaded versions, pick the
version in force on a claim's qualifying date."""

from __future__ import annotations

import functools
import json
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from credential_service.audit import service as audit
from credential_service.core.clock import utcnow
from credential_service.core.errors import ConfigurationError, FieldError
from credential_service.subsidies.errors import (
    InvalidRuleSet,
    NoRuleSetInForce,
    RuleSetChanged,
    RuleSetStartTaken,
)
from credential_service.subsidies.models import SubsidyRuleSet
from credential_service.subsidies.rules import (
    ClaimFacts,
    Decision,
    RuleSet,
    SubsidyType,
    evaluate,
    parse_rule_set,
    qualifying_date,
)

SHIPPED_RULE_SETS = Path(__file__).resolve().parent / "rulesets"  # the Shanxi defaults, one file a version
MAX_RULE_FILE_BYTES = 1_000_000


@dataclass(frozen=True)
class LoadedRuleSet:
    row: SubsidyRuleSet
    created: bool  # False: this version was already loaded with the same content


def read_rule_file(path: Path) -> RuleSet:
    """The rule set in a ``.toml`` file (or ``.json``: the stored canonical form); InvalidRuleSet
    for a file that cannot be read or breaks the format."""
    try:
        data = path.read_bytes()
        if len(data) > MAX_RULE_FILE_BYTES:
            raise ValueError(f"超过 {MAX_RULE_FILE_BYTES} 字节 / larger than {MAX_RULE_FILE_BYTES} bytes")
        text = data.decode("utf-8")
        parsed: Any = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (OSError, ValueError) as exc:  # TOMLDecodeError, JSONDecodeError, UnicodeDecodeError
        raise InvalidRuleSet([FieldError("file", str(exc))], path.name) from exc
    return parse_rule_set(parsed, source=path.name)


def load_rule_set(
    session: Session, rule_set: RuleSet, *, actor: str, now: datetime | None = None
) -> LoadedRuleSet:
    """Store ``rule_set`` as a new version, audited; the same version with the same content again
    changes nothing. Raises RuleSetChanged (same version, other content) and RuleSetStartTaken
    (another version of the type starts on the same day)."""
    existing = _answer_to_existing(session, rule_set)
    if existing is not None:
        return existing
    row = SubsidyRuleSet(
        subsidy_type=rule_set.subsidy_type.value,
        version=rule_set.version,
        title=rule_set.title,
        source_document=rule_set.source_document[:1000],
        valid_from=rule_set.valid_from,
        valid_until=rule_set.valid_until,
        canonical_json=rule_set.canonical,
        sha256=rule_set.sha256,
        loaded_at=now or utcnow(),
        loaded_by=actor[:100],
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # A concurrent load of the same version (or start day) committed first: answer as if after it.
        existing = _answer_to_existing(session, rule_set)
        if existing is None:
            raise
        return existing
    audit.record(
        session,
        actor=actor,
        action="subsidies.rules.load",
        subject=f"subsidy-rules:{rule_set.subsidy_type.value}:{rule_set.version}",
        detail={
            "sha256": rule_set.sha256,
            "validFrom": rule_set.valid_from.isoformat(),
            "validUntil": rule_set.valid_until.isoformat() if rule_set.valid_until else None,
        },
    )
    return LoadedRuleSet(row, created=True)


def _answer_to_existing(session: Session, rule_set: RuleSet) -> LoadedRuleSet | None:
    kind = rule_set.subsidy_type
    same_version = session.scalar(
        select(SubsidyRuleSet).where(
            SubsidyRuleSet.subsidy_type == kind.value, SubsidyRuleSet.version == rule_set.version
        )
    )
    if same_version is not None:
        if same_version.sha256 != rule_set.sha256:
            raise RuleSetChanged(kind.title_zh, rule_set.version, same_version.sha256, rule_set.sha256)
        return LoadedRuleSet(same_version, created=False)
    same_start = session.scalar(
        select(SubsidyRuleSet).where(
            SubsidyRuleSet.subsidy_type == kind.value, SubsidyRuleSet.valid_from == rule_set.valid_from
        )
    )
    if same_start is not None:
        raise RuleSetStartTaken(kind.title_zh, rule_set.version, same_start.version, rule_set.valid_from)
    return None


def load_rule_file(session: Session, path: Path, *, actor: str, now: datetime | None = None) -> LoadedRuleSet:
    """Read and load one file (see ``read_rule_file`` and ``load_rule_set``)."""
    return load_rule_set(session, read_rule_file(path), actor=actor, now=now)


def shipped_rule_files() -> list[Path]:
    return sorted(SHIPPED_RULE_SETS.glob("*.toml"))


def ensure_shipped_rule_sets(session: Session, *, actor: str) -> list[LoadedRuleSet]:
    """Load every rule set shipped with the service (idempotent; run by ``init``)."""
    return [load_rule_file(session, path, actor=actor) for path in shipped_rule_files()]


def list_rule_sets(session: Session, subsidy_type: SubsidyType | None = None) -> list[SubsidyRuleSet]:
    """The loaded versions, by type and then by the day they take effect."""
    query = select(SubsidyRuleSet).order_by(SubsidyRuleSet.subsidy_type, SubsidyRuleSet.valid_from)
    if subsidy_type is not None:
        query = query.where(SubsidyRuleSet.subsidy_type == subsidy_type.value)
    return list(session.scalars(query))


def stored_rule_set(row: SubsidyRuleSet) -> RuleSet:
    """The rule set of a loaded version; ConfigurationError if its stored JSON no longer matches
    the SHA-256 it was loaded with (a decision must be judged by exactly the recorded rules)."""
    return _parsed(row.canonical_json, row.sha256, f"{row.subsidy_type} {row.version}")


@functools.lru_cache(maxsize=64)
def _parsed(canonical_json: str, sha256: str, source: str) -> RuleSet:
    """Parsed once per stored text: the same text always gives the same rule set (a batch of claims
    would otherwise parse and hash it for each claim)."""
    rule_set = parse_rule_set(json.loads(canonical_json), source=source)
    if rule_set.sha256 != sha256 or rule_set.canonical != canonical_json:
        raise ConfigurationError(
            f"补贴规则 {source} 的存储内容与其 SHA-256 不符 / the stored subsidy rule set {source} "
            "does not match its SHA-256"
        )
    return rule_set


def rule_sets_of(session: Session, subsidy_type: SubsidyType) -> list[RuleSet]:
    """Every loaded version of one type, for judging many claims at once with ``rules.in_force``."""
    return [stored_rule_set(row) for row in list_rule_sets(session, subsidy_type)]


def rule_set_in_force(session: Session, subsidy_type: SubsidyType, on: date) -> RuleSet:
    """The version in force on ``on`` (the latest start among those covering it); NoRuleSetInForce
    when none is."""
    row = session.scalar(
        select(SubsidyRuleSet)
        .where(
            SubsidyRuleSet.subsidy_type == subsidy_type.value,
            SubsidyRuleSet.valid_from <= on,
            or_(SubsidyRuleSet.valid_until.is_(None), SubsidyRuleSet.valid_until >= on),
        )
        .order_by(SubsidyRuleSet.valid_from.desc())
        .limit(1)
    )
    if row is None:
        raise NoRuleSetInForce(subsidy_type.title_zh, on)
    return stored_rule_set(row)


def judge(session: Session, facts: ClaimFacts) -> Decision:
    """Judge a claim by the rule set in force on its qualifying date. Raises NoRuleSetInForce, and
    MissingClaimFacts when the claim lacks its certificate or class."""
    return evaluate(facts, rule_set_in_force(session, facts.subsidy_type, qualifying_date(facts)))
