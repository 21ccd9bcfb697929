"""age_out_of_range: trainees under the working age, or past retirement on employment training (pure)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from credential_service.supervision.rules import common
from credential_service.supervision.rules.cases import Evidence, Finding
from credential_service.supervision.rules.facts import Facts

# 《劳动法》第十五条: no employment under 16; 就业技能培训 is for people seeking work.
MIN_AGE = 16
EMPLOYMENT_TRAINING = "employment_skills"


def _months(born: date, delay_from: date, every: int, cap: int) -> int:
    """Months the 2025 reform adds for someone born in ``born``'s month: one month per ``every``
    months of birth since ``delay_from``, at most ``cap``."""
    since = (born.year - delay_from.year) * 12 + born.month - delay_from.month
    return 0 if since < 0 else min(cap, since // every + 1)


def retirement_age_months(born: date, sex: str | None) -> int:
    """法定退休年龄 in months under 《关于实施渐进式延迟法定退休年龄的决定》(2024-09-13): men 60
    rising to 63, women 55 rising to 58 (the women cadres' track: the later of the two women's
    tracks, so a woman is never flagged too early; the workers' 50→55 track is not known here)."""
    if sex == "M":
        return 60 * 12 + _months(born, date(1965, 1, 1), 4, 36)
    return 55 * 12 + _months(born, date(1970, 1, 1), 4, 36)


def age_in_months(born: date, on: date) -> int:
    months = (on.year - born.year) * 12 + on.month - born.month
    return months - 1 if on.day < born.day else months


def age_out_of_range(facts: Facts) -> Iterator[Finding]:
    """An enrolment of someone under 16 on the day, or past their retirement age on employment
    training (就业技能培训)."""
    for enrolment in facts.enrolments:
        person, klass = facts.persons.get(enrolment.person_id), facts.classes.get(enrolment.class_id)
        if person is None or klass is None or person.birth_date is None:
            continue
        age = age_in_months(person.birth_date, enrolment.enrolled_on)
        if age < MIN_AGE * 12:
            why = f"报名时未满 {MIN_AGE} 周岁"
        elif klass.training_type == EMPLOYMENT_TRAINING and age >= retirement_age_months(
            person.birth_date, person.sex
        ):
            why = "报名就业技能培训时已达法定退休年龄"
        else:
            continue
        yield Finding(
            "age_out_of_range",
            (common.person(facts, person.id), common.klass(klass)),
            f"{why}（{age // 12} 周岁 {age % 12} 个月），培训班 {klass.class_ref}",
            (Evidence("entry", str(enrolment.file_entry_id), "报名记录", person.public_id),),
            klass.city_code,
        )
