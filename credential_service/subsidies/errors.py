"""The subsidies part's typed errors (Chinese first, English after)."""

from __future__ import annotations

from datetime import date

from credential_service.core.errors import Conflict, FieldError, InvalidInput, NotFound, ServiceError


class InvalidRuleSet(InvalidInput):
    """A rule-set file breaks the format; ``errors`` names each field (``parameters.max_days``)."""

    def __init__(self, errors: list[FieldError], source: str | None = None) -> None:
        named = f" {source}" if source else ""
        super().__init__(
            f"补贴规则文件{named}{' ' if source else ''}无效 / invalid subsidy rule set{named}",
            errors,
            "invalid_rule_set",
        )


class RuleSetChanged(Conflict):
    """The same (type, version) is already loaded with other content: a change needs a new version."""

    def __init__(self, type_name: str, version: str, loaded_sha256: str, new_sha256: str) -> None:
        super().__init__(
            f"{type_name} 规则版本 {version} 已加载，内容不同（已加载 {loaded_sha256[:12]}…，"
            f"本文件 {new_sha256[:12]}…）；修改后的规则请使用新的版本号 / {type_name} rule set version "
            f"{version} is already loaded with different content (loaded {loaded_sha256[:12]}…, this file "
            f"{new_sha256[:12]}…): give changed rules a new version",
            code="rule_set_changed",
        )


class RuleSetStartTaken(Conflict):
    """Another version of the type starts on the same day: which one is in force would be ambiguous."""

    def __init__(self, type_name: str, version: str, other_version: str, valid_from: date) -> None:
        super().__init__(
            f"{type_name} 规则版本 {other_version} 已从 {valid_from.isoformat()} 起施行，版本 {version} "
            f"不能同日起施行 / {type_name} rule set version {other_version} already takes effect on "
            f"{valid_from.isoformat()}: version {version} cannot start on the same day",
            code="rule_set_start_taken",
        )


class NoRuleSetInForce(ServiceError):
    """No loaded version of the type is in force on the qualifying date: the claim cannot be judged."""

    def __init__(self, type_name: str, on: date) -> None:
        super().__init__(
            message=f"{on.isoformat()} 没有施行中的{type_name}规则，无法审核 / no {type_name} rule set is in "
            f"force on {on.isoformat()}: the claim cannot be judged",
            code="no_rule_set_in_force",
            status=422,
        )


class MissingClaimFacts(InvalidInput):
    """The claim lacks what its type is judged on (a certificate, a class)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(
            "补贴申请缺少必要信息 / the claim lacks a required fact",
            [FieldError(field, reason)],
            "missing_claim_facts",
        )


class ClaimNotFound(NotFound):
    """No such claim, or one the caller may not see (answered alike: ids cannot be probed)."""

    def __init__(self) -> None:
        super().__init__("没有这个补贴申请 / no such subsidy claim", code="subsidy_claim_not_found")


class ClaimDecided(Conflict):
    def __init__(self, state_zh: str, state: str) -> None:
        super().__init__(
            f"该补贴申请已{state_zh}，不能再审核 / the claim is already {state}: it cannot be decided again",
            code="subsidy_claim_decided",
        )


class ClaimFailsRules(Conflict):
    """An approval refused because a hard rule fails now (e.g. the certificate was revoked since)."""

    def __init__(self, failed: list[tuple[str, str, str]]) -> None:
        zh = "；".join(f"{title_zh}：{reason.split(' / ')[0]}" for title_zh, _, reason in failed)
        en = "; ".join(f"{title_en}: {reason.split(' / ')[-1]}" for _, title_en, reason in failed)
        super().__init__(
            f"不符合补贴规则，不能批准（{zh}）/ the claim fails the rules and cannot be approved ({en})",
            code="subsidy_claim_fails_rules",
        )


class NothingPayable(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "该申请没有可发放的金额，不能批准 / the claim has no payable amount and cannot be approved",
            code="subsidy_nothing_payable",
        )


class SourceUnavailable(ServiceError):
    """The social-insurance source cannot name the card's financial account: nothing is paid."""

    def __init__(self) -> None:
        super().__init__(
            message="社保系统暂时无法提供本人社会保障卡金融账户，未发放，请稍后再审批 / the "
            "social-insurance system cannot name the person's card account now: nothing was paid, "
            "approve again later",
            code="social_insurance_unavailable",
            status=503,
        )


class ClassNotEnded(Conflict):
    def __init__(self, end_date: date) -> None:
        super().__init__(
            f"培训班 {end_date.isoformat()} 结束，结束后才能申领职业培训补贴 / the class ends on "
            f"{end_date.isoformat()}: claim the training subsidy after it ends",
            code="class_not_ended",
        )


class NoCompletedTrainee(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "本班没有已登记结业的学员，无可申领 / no trainee of this class has a recorded completion",
            code="no_completed_trainee",
        )


class RecoveryResolved(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "该笔追回已处理，不能再更改 / this recovery is already resolved", code="subsidy_recovery_resolved"
        )


class RecoveryNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("没有这笔应追回的补贴 / no such recovery", code="subsidy_recovery_not_found")
