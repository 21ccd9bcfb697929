"""Facts from the social-insurance system, through an adapter (like the worker sign-in's identity
provider): insured months of unemployment insurance, employment status, the eligible groups a person
belongs to, and the person's social-security-card financial account (社会保障卡金融账户), the only
account a subsidy is ever paid to.

``CS_SOCIAL_INSURANCE_SOURCE`` picks the adapter: ``demo`` (answers from the demo data, table
``subsidy_demo_insured_persons``) or the URL of the provincial system's HTTP interface (contract:
docs/social-insurance-interface.md). A source that cannot answer (timeout, 5xx, an answer that breaks
the contract) answers "cannot tell" for every fact: the rules then say cannot tell and the claim
waits for an officer; it never passes on a guess (decision 032).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from sqlalchemy.orm import Session

from credential_service.core.errors import ConfigurationError
from credential_service.crypto.sealed import SealError, seal, unseal
from credential_service.identity.models import Person
from credential_service.subsidies.models import DemoInsuredPerson
from credential_service.subsidies.rules import Employment, PersonFacts

log = logging.getLogger(__name__)

ACCOUNT_PURPOSE = "subsidy.card_account"  # sealed values open only for this purpose
DEMO = "demo"
MAX_ANSWER_BYTES = 64_000


@dataclass(frozen=True)
class InsuredPerson:
    """Who is asked about: the person's ID document, in clear (sent only to the source)."""

    document_type: str
    id_number: str
    person: Person  # for the demo source, which answers from the database

    def __repr__(self) -> str:  # never the clear number in logs or tracebacks
        return f"InsuredPerson({self.document_type}, ***)"


@dataclass(frozen=True)
class SourceAnswer:
    """What the source said; None wherever it cannot tell."""

    facts: PersonFacts
    card_account: str | None  # the card's financial account number, clear (sealed before storing)
    answered: bool  # False: the source could not answer at all (timeout, error)

    def __repr__(self) -> str:
        return f"SourceAnswer({self.facts!r}, account={'***' if self.card_account else None})"


CANNOT_TELL = SourceAnswer(PersonFacts(), None, answered=False)


class SocialInsuranceSource(Protocol):
    def ask(self, session: Session, who: InsuredPerson) -> SourceAnswer:
        """The facts about ``who``; never raises for a source that cannot answer (CANNOT_TELL)."""


def mask_account(account: str) -> str:
    """An account number as pages, exports and file entries show it: only its last 4 digits."""
    return "****" + account[-4:] if len(account) > 4 else "****"


def seal_account(data_key: bytes, account: str) -> bytes:
    return seal(data_key, account, ACCOUNT_PURPOSE)


def open_account(data_key: bytes, sealed: bytes) -> str:
    return unseal(data_key, sealed, ACCOUNT_PURPOSE)


def _employment(value: object) -> Employment | None:
    return Employment(value) if value in {e.value for e in Employment} else None


class DemoSource:
    """Answers from ``subsidy_demo_insured_persons`` (the demo data, the tests); no row: cannot tell."""

    def __init__(self, data_key: bytes) -> None:
        self._data_key = data_key

    def ask(self, session: Session, who: InsuredPerson) -> SourceAnswer:
        row = session.get(DemoInsuredPerson, who.person.id)
        if row is None:
            return CANNOT_TELL
        try:
            account = open_account(self._data_key, row.account_sealed) if row.account_sealed else None
        except SealError:
            account = None
        groups = frozenset(g for g in (row.groups or "").split(",") if g) if row.groups is not None else None
        facts = PersonFacts(
            insured_months=row.insured_months, employment=_employment(row.employment), groups=groups
        )
        return SourceAnswer(facts, account, answered=True)


def record_demo_facts(
    session: Session,
    data_key: bytes,
    person: Person,
    *,
    insured_months: int | None,
    employment: Employment | None,
    groups: frozenset[str] | None = None,
    card_account: str | None = None,
) -> None:
    """What the demo source will answer for ``person`` (the demo data and the tests)."""
    row = session.get(DemoInsuredPerson, person.id) or DemoInsuredPerson(person_id=person.id)
    row.insured_months = insured_months
    row.employment = employment.value if employment else None
    row.groups = ",".join(sorted(groups)) if groups is not None else None
    row.account_sealed = seal_account(data_key, card_account) if card_account else None
    session.add(row)
    session.flush()


class HttpSource:
    """The provincial system's interface (docs/social-insurance-interface.md): one POST per person,
    the ID number in the body (never in a URL, which proxies log)."""

    def __init__(
        self, url: str, *, timeout_seconds: float, transport: httpx.BaseTransport | None = None
    ) -> None:
        self._url = url.rstrip("/") + "/v1/insured-persons/query"
        self._client = httpx.Client(timeout=timeout_seconds, transport=transport, follow_redirects=False)

    def ask(self, session: Session, who: InsuredPerson) -> SourceAnswer:
        try:
            response = self._client.post(
                self._url, json={"documentType": who.document_type, "idNumber": who.id_number}
            )
        except httpx.HTTPError as exc:
            log.warning("social-insurance source did not answer: %s", type(exc).__name__)
            return CANNOT_TELL
        if response.status_code == 404:  # the system has no record of the person: never insured
            return SourceAnswer(PersonFacts(insured_months=0), None, answered=True)
        if response.status_code != 200 or len(response.content) > MAX_ANSWER_BYTES:
            log.warning("social-insurance source answered %s", response.status_code)
            return CANNOT_TELL
        try:
            return _read_answer(response.json())
        except (ValueError, TypeError):
            log.warning("social-insurance source answered outside its contract")
            return CANNOT_TELL


def _read_answer(body: Any) -> SourceAnswer:
    """The 200 answer's fields; each may be null (the system cannot tell that fact). Raises
    ValueError or TypeError for an answer that breaks the contract."""
    if not isinstance(body, dict):
        raise TypeError("not an object")
    months = body.get("insuredMonths")
    if months is not None and (isinstance(months, bool) or not isinstance(months, int) or months < 0):
        raise ValueError("insuredMonths")
    employment = body.get("employmentStatus")
    if employment is not None and _employment(employment) is None:
        raise ValueError("employmentStatus")
    groups = body.get("groups")
    if groups is not None and not (isinstance(groups, list) and all(isinstance(g, str) for g in groups)):
        raise ValueError("groups")
    account = body.get("cardAccount")
    if account is not None and not (
        isinstance(account, str) and account.isdigit() and 8 <= len(account) <= 32
    ):
        raise ValueError("cardAccount")
    facts = PersonFacts(
        insured_months=months,
        employment=_employment(employment),
        groups=frozenset(groups) if groups is not None else None,
    )
    return SourceAnswer(facts, account, answered=True)


def source_from(setting: str, *, data_key: bytes, timeout_seconds: float) -> SocialInsuranceSource:
    """The adapter ``CS_SOCIAL_INSURANCE_SOURCE`` names; ConfigurationError for anything else."""
    if setting == DEMO:
        return DemoSource(data_key)
    if setting.startswith(("https://", "http://")):
        return HttpSource(setting, timeout_seconds=timeout_seconds)
    raise ConfigurationError(
        "CS_SOCIAL_INSURANCE_SOURCE 应为 demo 或社保系统接口的 URL / CS_SOCIAL_INSURANCE_SOURCE must be "
        "demo or the URL of the social-insurance system's interface"
    )
