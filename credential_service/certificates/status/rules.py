"""Status changes of an issued certificate: reason codes, who may do what, allowed transitions (pure).

Sources: there is no national clause listing revocation grounds for 职业技能等级证书 (reference
§3.3 [GAP]); the grounds below follow the abuses the National Audit Office reported for 2022 (lax
exams, altered scores) and DOMAIN.md "Status changes": revocation (撤销) is final, suspension (暂停)
is temporary and can be lifted, revocation outranks suspension, a data error is corrected by
re-issuing a certificate that names the old one (更正), not by revoking it for cause.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from credential_service.platform.tokens import Principal, Role


class CertificateState(StrEnum):
    """What a certificate is now, as every page and answer shows it."""

    VALID = "valid"
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    SUPERSEDED = "superseded"  # revoked by a correction: a new certificate replaced it


STATES = tuple(CertificateState)


class StatusAction(StrEnum):
    REVOKE = "revoke"  # 撤销: final
    SUSPEND = "suspend"  # 暂停: until lifted
    REINSTATE = "reinstate"  # 恢复 (lift a suspension)
    SUPERSEDE = "supersede"  # 更正: a corrected certificate replaces this one (the old one is revoked)

    @property
    def title_zh(self) -> str:
        return _ACTION_TITLES[self][0]

    @property
    def title_en(self) -> str:
        return _ACTION_TITLES[self][1]


_ACTION_TITLES = {
    StatusAction.REVOKE: ("撤销", "revoked"),
    StatusAction.SUSPEND: ("暂停", "suspended"),
    StatusAction.REINSTATE: ("恢复", "reinstated"),
    StatusAction.SUPERSEDE: ("更正换发", "superseded by a corrected certificate"),
}


class ReasonCode(StrEnum):
    FRAUD = "fraud"  # 替考、伪造材料、考试作弊
    OUTSIDE_SCOPE = "outside_scope"  # 超出备案范围或未经备案的机构发证
    ALTERED_SCORES = "altered_scores"  # 篡改成绩
    DUPLICATE = "duplicate"  # 重复发证
    INSPECTION_ORDER = "inspection_order"  # 监督检查后责令撤销/暂停
    OTHER = "other"
    SUPERSEDED = "superseded"  # set by a correction only, never chosen by hand

    @property
    def label_zh(self) -> str:
        return _REASON_LABELS[self][0]

    @property
    def label_en(self) -> str:
        return _REASON_LABELS[self][1]


_REASON_LABELS = {
    ReasonCode.FRAUD: (
        "弄虚作假（替考、伪造材料、作弊）",
        "fraud (impersonation, forged documents, cheating)",
    ),
    ReasonCode.OUTSIDE_SCOPE: (
        "超出备案范围或机构未经备案",
        "issued outside the registered scope or by an unregistered organisation",
    ),
    ReasonCode.ALTERED_SCORES: ("篡改考核成绩", "altered scores"),
    ReasonCode.DUPLICATE: ("重复发证", "duplicate certificate"),
    ReasonCode.INSPECTION_ORDER: ("监督检查后责令处理", "ordered after an inspection"),
    ReasonCode.OTHER: ("其他原因", "other reason"),
    ReasonCode.SUPERSEDED: ("信息有误，已更正换发新证书", "data corrected: replaced by a new certificate"),
}
# What a person may choose; ``superseded`` only ever comes from a correction.
CHOSEN_REASONS: tuple[ReasonCode, ...] = tuple(r for r in ReasonCode if r is not ReasonCode.SUPERSEDED)


class TransitionRefused(ValueError):
    """The change is not allowed from the certificate's current state (message: 中文 / English)."""


def state_of(*, revoked: bool, suspended: bool, superseded: bool) -> CertificateState:
    """The state shown for the live bits: revocation outranks suspension; a revocation made by a
    correction is shown as superseded (external verifiers see only the revocation bit)."""
    if revoked:
        return CertificateState.SUPERSEDED if superseded else CertificateState.REVOKED
    return CertificateState.SUSPENDED if suspended else CertificateState.VALID


_REFUSALS: dict[tuple[CertificateState, StatusAction], str] = {
    (
        CertificateState.REVOKED,
        StatusAction.REVOKE,
    ): "证书已撤销，撤销不可更改 / the certificate is revoked: revocation is final",
    (CertificateState.SUPERSEDED, StatusAction.REVOKE): (
        "证书已被更正换发，原证书已撤销 / the certificate was replaced by a corrected one and is revoked"
    ),
    (
        CertificateState.SUSPENDED,
        StatusAction.SUSPEND,
    ): "证书已处于暂停状态 / the certificate is already suspended",
    (
        CertificateState.REVOKED,
        StatusAction.SUSPEND,
    ): "已撤销的证书不能暂停 / a revoked certificate cannot be suspended",
    (CertificateState.SUPERSEDED, StatusAction.SUSPEND): (
        "证书已被更正换发，请对新证书操作 / the certificate was replaced: act on the new one"
    ),
    (
        CertificateState.VALID,
        StatusAction.REINSTATE,
    ): "证书未被暂停，无需恢复 / the certificate is not suspended",
    (CertificateState.REVOKED, StatusAction.REINSTATE): (
        "撤销不可恢复，撤销优先于暂停 / a revocation is final and outranks a suspension"
    ),
    (CertificateState.SUPERSEDED, StatusAction.REINSTATE): (
        "证书已被更正换发，不能恢复 / the certificate was replaced by a corrected one"
    ),
    (CertificateState.SUSPENDED, StatusAction.SUPERSEDE): (
        "暂停期间不能更正换发，请先恢复或撤销 / lift or settle the suspension before correcting"
    ),
    (
        CertificateState.REVOKED,
        StatusAction.SUPERSEDE,
    ): "已撤销的证书不能更正换发 / a revoked certificate cannot be corrected",
    (CertificateState.SUPERSEDED, StatusAction.SUPERSEDE): (
        "证书已被更正换发，请对新证书操作 / the certificate was already replaced: correct the new one"
    ),
}


def next_state(state: CertificateState, action: StatusAction) -> CertificateState:
    """The state after ``action``; raises TransitionRefused when the rules forbid it.

    Revoke: valid or suspended → revoked (final). Suspend: valid → suspended. Reinstate:
    suspended → valid. Supersede: valid → superseded (a suspended certificate is under
    investigation: it is settled first, so a correction cannot slip past a suspension).
    """
    refusal = _REFUSALS.get((state, action))
    if refusal is not None:
        raise TransitionRefused(refusal)
    return _AFTER[action]


_AFTER: dict[StatusAction, CertificateState] = {
    StatusAction.REVOKE: CertificateState.REVOKED,
    StatusAction.SUSPEND: CertificateState.SUSPENDED,
    StatusAction.REINSTATE: CertificateState.VALID,
    StatusAction.SUPERSEDE: CertificateState.SUPERSEDED,
}


ActorRole = Literal["admin", "organisation"]


@dataclass(frozen=True)
class Actor:
    """Who makes a change: an administrator (人社部门, or the command line on the server) or the
    issuing organisation. ``name`` is what the records show, e.g. ``admin:wang`` or ``org:Y0000…``."""

    role: ActorRole
    name: str
    organisation_code: str | None = None

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        """An organisation's caller acts as the organisation; anyone else the routes admit as an
        administrator."""
        if principal.role is Role.ORGANISATION:
            return cls("organisation", principal.subject, principal.tenant or "")
        return cls("admin", principal.subject)


def may_lift(actor: Actor, suspended_by: ActorRole) -> bool:
    """A suspension imposed by the human-resources department is lifted only by it; an organisation
    may lift a suspension it imposed itself."""
    return actor.role == "admin" or suspended_by == "organisation"


def reason_problem(action: StatusAction, reason: ReasonCode | None) -> str | None:
    """Why ``reason`` does not fit ``action`` (None when it does)."""
    if reason is ReasonCode.SUPERSEDED:
        return "superseded 仅由更正换发自动使用 / 'superseded' is set by a correction only"
    if action in (StatusAction.REVOKE, StatusAction.SUSPEND) and reason is None:
        return "撤销和暂停须说明原因 / a reason code is required"
    return None
