"""Checks over whole populations: pass rates against peers, volumes against their own past, subsidy
decisions and payments, shared accounts (pure). These run in the full scan only (decision 036)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date
from statistics import mean

from credential_service.supervision.rules import common
from credential_service.supervision.rules.cases import Evidence, Finding, Subject, SubjectType
from credential_service.supervision.rules.facts import CandidateFacts, Facts

# pass_rate_outlier: an exact one-sided binomial test of an organisation's passes for one occupation
# and level against the pooled rate of every other organisation (its peers), only with at least
# MIN_SAMPLE candidates on both sides, at a family-wise 1 % level (Bonferroni over the groups
# tested), and only when the rate is also at least MIN_EXCESS above the peers' (a large sample
# makes a trivial excess significant, and a trivial excess is no ground for an inspection).
MIN_SAMPLE = 30
FAMILY_ALPHA = 0.01
MIN_EXCESS = 0.10
# volume_spike: a month with at least SPIKE_FACTOR times the mean of the three months before it
# (all three counted, zeros included, and the first of them after the first month of activity),
# and at least MIN_SPIKE in number (small places double easily).
SPIKE_FACTOR = 3.0
MIN_SPIKE = 30
BASELINE_MONTHS = 3
# shared_contact_or_account: subsidies of two different people paid to one card account.
MIN_PEOPLE_ON_ACCOUNT = 2


def binomial_upper_tail(k: int, n: int, p: float) -> float:
    """P(X ≥ k) for X ~ Binomial(n, p), summed in log space (exact, no approximation)."""
    if k <= 0:
        return 1.0
    if p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    log_p, log_q = math.log(p), math.log1p(-p)
    base = math.lgamma(n + 1)
    terms = [
        base - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_p + (n - i) * log_q
        for i in range(k, n + 1)
    ]
    top = max(terms)
    return min(1.0, math.exp(top) * sum(math.exp(t - top) for t in terms))


def pass_rate_outlier(facts: Facts) -> Iterator[Finding]:
    """An organisation whose pass rate for one occupation and level is far above its peers'."""
    groups = common.group(facts.candidates, lambda c: (c.occupation_code, c.level))
    tests: list[tuple[str, CandidateFacts, int, int, int, int]] = []
    for _, rows in groups.items():
        totals = common.group(rows, lambda c: c.organisation_code)
        all_n, all_k = len(rows), sum(c.passed for c in rows)
        for code, own in totals.items():
            n, k = len(own), sum(c.passed for c in own)
            if n >= MIN_SAMPLE and all_n - n >= MIN_SAMPLE:
                tests.append((code, own[0], n, k, all_n - n, all_k - k))
    if not tests:
        return
    alpha = FAMILY_ALPHA / len(tests)  # Bonferroni
    for code, first, n, k, peer_n, peer_k in tests:
        rate, peers = k / n, peer_k / peer_n
        p_value = binomial_upper_tail(k, n, peers)
        if rate - peers >= MIN_EXCESS and p_value < alpha:
            yield Finding(
                "pass_rate_outlier",
                (Subject(SubjectType.ORGANISATION, code),),
                f"评价机构 {code} 的 {first.occupation_code} {first.level} 级通过率 {rate:.1%}（{k}/{n}），"
                f"同类机构合计 {peers:.1%}（{peer_k}/{peer_n}），单侧二项检验 p={p_value:.1e}",
                (
                    Evidence(
                        "figure",
                        f"{first.occupation_code}/{first.level}",
                        f"检验水平 {alpha:.1e}（Bonferroni，{len(tests)} 组）",
                    ),
                ),
                first.city_code,
                {"occupation": first.occupation_code, "level": str(first.level)},
            )


def _month(day: date) -> int:
    return day.year * 12 + day.month - 1


def _spikes(days: list[date]) -> list[tuple[int, int, float]]:
    """(month, count, baseline) for each month that is a spike over the months before it."""
    counts: dict[int, int] = {}
    for day in days:
        counts[_month(day)] = counts.get(_month(day), 0) + 1
    first = min(counts)
    found = []
    for month, count in sorted(counts.items()):
        if month - BASELINE_MONTHS < first:  # not three months of its own history yet
            continue
        baseline = mean(counts.get(m, 0) for m in range(month - BASELINE_MONTHS, month))
        if baseline > 0 and count >= MIN_SPIKE and count >= SPIKE_FACTOR * baseline:
            found.append((month, count, baseline))
    return found


def volume_spike(facts: Facts) -> Iterator[Finding]:
    """An institution's enrolments, or an organisation's certificates, in one month far above its
    own three months before."""
    by_institution = common.group(facts.enrolments, lambda e: e.class_id)
    enrolled: dict[str, list[date]] = {}
    cities: dict[str, str | None] = {}
    for class_id, rows in by_institution.items():
        klass = facts.classes.get(class_id)
        if klass is not None:
            enrolled.setdefault(klass.institution_code, []).extend(e.enrolled_on for e in rows)
            cities[klass.institution_code] = klass.city_code
    issued = common.group(facts.certificates, lambda c: c.organisation_code)
    sources = [(SubjectType.INSTITUTION, code, days, "报名") for code, days in enrolled.items()]
    sources += [
        (SubjectType.ORGANISATION, code, [c.issued_on for c in certs], "颁发证书")
        for code, certs in issued.items()
    ]
    for kind, code, days, what in sources:
        city = cities.get(code) if kind is SubjectType.INSTITUTION else issued[code][0].city_code
        for month, count, baseline in _spikes(days):
            label = f"{month // 12}年{month % 12 + 1}月"
            yield Finding(
                "volume_spike",
                (Subject(kind, code),),
                f"{kind.title_zh} {code} {label}{what} {count} 人次，"
                f"为前三个月月均 {baseline:.1f} 的 {count / baseline:.1f} 倍",
                (Evidence("figure", label, f"{what}数量按月统计（北京时间）"),),
                city,
                {"month": label},
            )


def subsidy_rule_violation(facts: Facts) -> Iterator[Finding]:
    """A paid claim whose rules' decision failed a hard rule, or a payment without an approved claim
    (no officer's approval, a claim not paid, or another amount)."""
    for claim in facts.claims:
        if claim.state == "paid" and claim.failed_hard_rules:
            yield Finding(
                "subsidy_rule_violation",
                (Subject(SubjectType.CLAIM, claim.public_id), common.person(facts, claim.person_id)),
                f"补贴已发放，但规则判断未通过：{'、'.join(claim.failed_hard_rules)}",
                (Evidence("claim", claim.public_id, "补贴申请及规则判断"),),
                claim.city_code,
            )
    for pay in facts.payments:
        problems = []
        if pay.approved is not True:
            problems.append("没有审核人员的批准")
        if pay.claim_state != "paid":
            problems.append("申请未处于已发放状态")
        if pay.claim_amount_fen is not None and pay.claim_amount_fen != pay.amount_fen:
            problems.append(
                f"发放金额 {pay.amount_fen / 100:.2f} 元与核定金额 {pay.claim_amount_fen / 100:.2f} 元不符"
            )
        if problems:
            yield Finding(
                "subsidy_rule_violation",
                (Subject(SubjectType.CLAIM, pay.claim_public_id), common.person(facts, pay.person_id)),
                f"补贴发放异常：{'；'.join(problems)}",
                (
                    Evidence("payment", str(pay.id), "补贴发放记录"),
                    Evidence(
                        "entry", str(pay.file_entry_id), "档案中的发放记录", facts.person_ref(pay.person_id)
                    ),
                ),
            )


def shared_contact_or_account(facts: Facts) -> Iterator[Finding]:
    """Subsidies of different people paid into one card account (the account is compared by a keyed
    hash and never shown)."""
    for _, payments in common.group(facts.payments, lambda p: p.account_key).items():
        people = sorted({p.person_id for p in payments})
        if len(people) >= MIN_PEOPLE_ON_ACCOUNT:
            yield Finding(
                "shared_contact_or_account",
                tuple(common.person(facts, p) for p in people),
                f"{len(people)} 名人员的补贴发放至同一个社会保障卡金融账户",
                common.capped(
                    Evidence("claim", p.claim_public_id, "补贴申请，发放至该账户") for p in payments
                ),
            )
