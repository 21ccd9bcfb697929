"""The status-change rules, each with the cases it allows and refuses."""

from __future__ import annotations

from typing import get_args

import pytest

from credential_service.certificates.status.rules import (
    CHOSEN_REASONS,
    STATES,
    Actor,
    CertificateState,
    ReasonCode,
    StatusAction,
    TransitionRefused,
    may_lift,
    next_state,
    reason_problem,
    state_of,
)
from credential_service.certificates.status.schemas import ChosenReason
from credential_service.identity.rules import id_number_problem as text_problem

ALLOWED: dict[tuple[CertificateState, StatusAction], CertificateState] = {
    ("valid", StatusAction.REVOKE): "revoked",
    ("suspended", StatusAction.REVOKE): "revoked",  # revocation outranks suspension
    ("valid", StatusAction.SUSPEND): "suspended",
    ("suspended", StatusAction.REINSTATE): "valid",
    ("valid", StatusAction.SUPERSEDE): "superseded",
}


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", list(StatusAction))
def test_transitions(state: CertificateState, action: StatusAction) -> None:
    expected = ALLOWED.get((state, action))
    if expected is None:
        with pytest.raises(TransitionRefused) as refused:
            next_state(state, action)
        assert " / " in str(refused.value)  # 中文 / English
    else:
        assert next_state(state, action) == expected


def test_revocation_is_final_and_outranks_suspension() -> None:
    for action in StatusAction:
        with pytest.raises(TransitionRefused):
            next_state("revoked", action)
    assert state_of(revoked=True, suspended=True, superseded=False) == "revoked"
    assert state_of(revoked=True, suspended=False, superseded=True) == "superseded"
    assert state_of(revoked=False, suspended=True, superseded=False) == "suspended"
    assert state_of(revoked=False, suspended=False, superseded=False) == "valid"


def test_reason_codes() -> None:
    assert set(get_args(ChosenReason)) == {r.value for r in CHOSEN_REASONS}
    assert ReasonCode.SUPERSEDED not in CHOSEN_REASONS
    assert all(r.label_zh and r.label_en for r in ReasonCode)
    assert reason_problem(StatusAction.REVOKE, ReasonCode.SUPERSEDED) is not None
    assert reason_problem(StatusAction.REVOKE, None) is not None
    assert reason_problem(StatusAction.SUSPEND, None) is not None
    assert reason_problem(StatusAction.REINSTATE, None) is None
    assert reason_problem(StatusAction.REVOKE, ReasonCode.FRAUD) is None


def test_who_lifts_a_suspension() -> None:
    admin = Actor("admin", "admin:wang")
    organisation = Actor("organisation", "org:Y000014010001", "Y000014010001")
    assert may_lift(admin, "admin") and may_lift(admin, "organisation")
    assert may_lift(organisation, "organisation")
    assert not may_lift(organisation, "admin")


def test_free_text_never_carries_an_id_number() -> None:
    assert text_problem("晋人社鉴〔2026〕12号") is None
    assert text_problem("稽查报告 2026-031，涉及 14010519900101551X") is not None
    assert text_problem("14010519900101551x") is not None
    assert text_problem("编号 1234567890123456789012") is None  # longer digit runs are not ID numbers
