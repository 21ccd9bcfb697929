"""The subsidies part's tables: the loaded versions of the rule sets (decision 031); claims, officers'
decisions, payments and recoveries (decision 032)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from credential_service.core.db import Base, UTCDateTime


class SubsidyRuleSet(Base):
    """One loaded version of one subsidy type's rules. Never changed once loaded: a change to the
    rules is a new version, and a decision names the version (and SHA-256) it was judged by."""

    __tablename__ = "subsidy_rule_sets"
    __table_args__ = (
        UniqueConstraint("subsidy_type", "version", name="uq_subsidy_rule_sets_version"),
        # Two versions starting on one day would leave "the version in force" ambiguous.
        UniqueConstraint("subsidy_type", "valid_from", name="uq_subsidy_rule_sets_start"),
        CheckConstraint("valid_until IS NULL OR valid_until >= valid_from", name="dates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subsidy_type: Mapped[str] = mapped_column(String(32))  # rules.SubsidyType
    version: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    source_document: Mapped[str] = mapped_column(String(1000))  # 文号《标题》, one per source
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date, default=None)  # None: until superseded
    canonical_json: Mapped[str] = mapped_column(Text)  # RFC 8785 JSON of the file's content
    sha256: Mapped[str] = mapped_column(String(64))  # of canonical_json (UTF-8), lower-case hex
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    loaded_by: Mapped[str] = mapped_column(String(100))


class ClaimState(StrEnum):
    """Where a claim stands (decision 032). A claim never leaves ``refused`` or ``paid``; what happens
    to a payment afterwards (recovery) is the recovery register's."""

    WAITING = "waiting"  # 待人工审核: a rule cannot tell (or an advisory rule failed)
    ELIGIBLE = "eligible"  # 符合条件，待审批: every rule passed, an officer still approves
    REFUSED = "refused"  # 不予补贴: a hard rule failed, or the officer refused
    PAID = "paid"  # 已审批并发放至本人社会保障卡金融账户


LIVE_STATES = (ClaimState.WAITING.value, ClaimState.ELIGIBLE.value, ClaimState.PAID.value)


class SubsidyClaim(Base):
    """One claim of one subsidy by (or for) one person, with the rules' decision as it was made.

    The database answers "never a second claim" (decision 032): one claim per person, type and
    certificate; one per person, type and class; and, while a claim is live (not refused), the
    yearly place it holds (``yearly_slot``) and, for the 技能提升补贴, its occupation and level
    (``once_key``). NULLs never collide, so a refused claim frees its place."""

    __tablename__ = "subsidy_claims"
    __table_args__ = (
        UniqueConstraint(
            "person_id", "subsidy_type", "certificate_number", name="uq_subsidy_claims_certificate"
        ),
        UniqueConstraint("person_id", "subsidy_type", "class_id", name="uq_subsidy_claims_class"),
        UniqueConstraint("person_id", "subsidy_type", "yearly_slot", name="uq_subsidy_claims_yearly_slot"),
        UniqueConstraint("person_id", "subsidy_type", "once_key", name="uq_subsidy_claims_once_key"),
        CheckConstraint(
            "certificate_number IS NOT NULL OR class_id IS NOT NULL", name="certificate_or_class"
        ),
        CheckConstraint("amount_fen IS NULL OR amount_fen >= 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True)  # in URLs; never the database id
    subsidy_type: Mapped[str] = mapped_column(String(32))  # rules.SubsidyType
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    certificate_number: Mapped[str | None] = mapped_column(String(40), default=None)
    class_id: Mapped[int | None] = mapped_column(ForeignKey("training_classes.id"), default=None)
    institution_id: Mapped[int | None] = mapped_column(
        ForeignKey("training_institutions.id"), index=True, default=None
    )  # the institution that claimed it (职业培训补贴)
    # What later claims are judged against (rules.PriorSubsidy): the certificate's or class's.
    occupation_code: Mapped[str] = mapped_column(String(10))
    level: Mapped[int | None] = mapped_column(Integer, default=None)  # the certificate's
    training_type: Mapped[str | None] = mapped_column(String(32), default=None)  # the class's
    claimed_on: Mapped[date] = mapped_column(Date)  # 申领日期 (Beijing): yearly limits count by its year
    qualifying_date: Mapped[date] = mapped_column(Date)  # picks the rule set (decision 031)
    state: Mapped[str] = mapped_column(String(16), index=True)  # ClaimState
    rule_set_version: Mapped[str] = mapped_column(String(40))
    rule_set_sha256: Mapped[str] = mapped_column(String(64))
    fund: Mapped[str] = mapped_column(String(60))  # 就业补助资金 / 失业保险基金, from the rule set
    decision_json: Mapped[str] = mapped_column(Text)  # rules.Decision.as_record(): every rule's answer
    amount_fen: Mapped[int | None] = mapped_column(Integer, default=None)  # 分; None: nothing payable
    yearly_slot: Mapped[str | None] = mapped_column(String(40), default=None)
    once_key: Mapped[str | None] = mapped_column(String(40), default=None)
    claimed_by: Mapped[str] = mapped_column(String(100))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OfficerDecision(Base):
    """An officer's approval or refusal of a claim, with the reason: one per claim, ever."""

    __tablename__ = "subsidy_claim_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("subsidy_claims.id"), unique=True)
    approved: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(500))
    officer: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SubsidyPayment(Base):
    """A payment made on an approved claim, to the person's own social-security-card financial
    account (社会保障卡金融账户) as the social-insurance source names it: no other payee exists. The
    account number is sealed like ID numbers (AES-GCM under the data key) and shown only masked."""

    __tablename__ = "subsidy_payments"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("subsidy_claims.id"), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    certificate_number: Mapped[str | None] = mapped_column(String(40), index=True, default=None)
    amount_fen: Mapped[int] = mapped_column(Integer)
    fund: Mapped[str] = mapped_column(String(60))
    account_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    account_masked: Mapped[str] = mapped_column(String(40))
    paid_on: Mapped[date] = mapped_column(Date)
    paid_by: Mapped[str] = mapped_column(String(100))  # the approving officer, or the import
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    file_entry_id: Mapped[int] = mapped_column(ForeignKey("file_entries.id"))
    # 支付流水号 of a payment imported from the external payment system: importing it again is a no-op.
    external_ref: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)


class RecoveryState(StrEnum):
    TO_RECOVER = "to_recover"  # 待追回
    RECOVERED = "recovered"  # 已追回
    WAIVED = "waived"  # 免于追回 (with a reason)


class SubsidyRecovery(Base):
    """A payment whose certificate was revoked or superseded (§27 以证定补): one per payment."""

    __tablename__ = "subsidy_recoveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("subsidy_payments.id"), unique=True)
    certificate_number: Mapped[str] = mapped_column(String(40))
    cause: Mapped[str] = mapped_column(String(16))  # the status action: revoke / supersede
    cause_reason_code: Mapped[str | None] = mapped_column(String(40), default=None)
    flagged_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(16), index=True)  # RecoveryState
    note: Mapped[str | None] = mapped_column(String(500), default=None)  # why recovered / waived
    resolved_by: Mapped[str | None] = mapped_column(String(100), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class DemoInsuredPerson(Base):
    """What the demo social-insurance source answers for a person (CS_SOCIAL_INSURANCE_SOURCE=demo):
    written by the demo data and the tests, never in production. No row: the source cannot tell."""

    __tablename__ = "subsidy_demo_insured_persons"

    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    insured_months: Mapped[int | None] = mapped_column(Integer, default=None)
    employment: Mapped[str | None] = mapped_column(String(32), default=None)  # rules.Employment
    groups: Mapped[str | None] = mapped_column(String(500), default=None)  # comma-separated group codes
    account_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)  # the card account
