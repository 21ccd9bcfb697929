"""The subsidies part's typed errors (Chinese first, English after)."""

from __future__ import annotations

from datetime import date

from credential_service.core.errors import Conflict, FieldError, InvalidInput, ServiceError


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
