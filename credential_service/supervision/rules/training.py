"""Checks over the training postings: classes, enrolments, check-ins and completions (pure).

Each takes the run's ``Facts`` and yields findings; the thresholds are named here with why.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from itertools import combinations, pairwise

from credential_service.core.clock import BEIJING, as_utc, beijing_date
from credential_service.supervision.rules import common
from credential_service.supervision.rules.cases import Evidence, Finding
from credential_service.supervision.rules.facts import CheckInFacts, Facts

# Faster than any road or rail journey between two check-ins (高铁 runs at up to 350 km/h, but the
# station at each end adds far more than the minutes a faster train saves); closer places may be
# the same venue measured twice, so distance must also pass a floor.
MAX_TRAVEL_KMH = 150.0
MIN_DISTANCE_KM = 30.0
# Face terminals check one person in a second or more: several people in the same second is a batch.
# A time to the whole minute (hh:mm:00) is a roll-call typed on the class page for the chosen
# trainees at once, not a device's check-in, and is left out.
MIN_SAME_SECOND = 3
# A personal phone (QR code, 电子社保卡) signing in this many different trainees is not personal.
PERSONAL_METHODS = frozenset({"qr", "e_card"})
MIN_PEOPLE_ON_DEVICE = 3
# Check-ins between 22:00 and 06:00 Beijing time are outside any class's hours.
CLASS_DAY_STARTS, CLASS_DAY_ENDS = 6, 22
# 出勤率: a completion passed on fewer than 80 % of the planned hours.
MIN_ATTENDED_SHARE = 0.8


def _distance_km(a: CheckInFacts, b: CheckInFacts) -> float:
    """Great-circle distance (haversine, mean Earth radius 6371 km)."""
    assert a.latitude is not None and a.longitude is not None
    assert b.latitude is not None and b.longitude is not None
    phi1, phi2 = math.radians(a.latitude), math.radians(b.latitude)
    dphi, dlam = phi2 - phi1, math.radians(b.longitude - a.longitude)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def person_overlapping_classes(facts: Facts) -> Iterator[Finding]:
    """One person enrolled in two classes whose periods overlap (同一时段参加两个培训班)."""
    for person_id, enrolments in common.group(facts.enrolments, lambda e: e.person_id).items():
        classes = sorted(
            (facts.classes[e.class_id] for e in enrolments if e.class_id in facts.classes), key=lambda c: c.id
        )
        for a, b in combinations(classes, 2):
            if a.start_date <= b.end_date and b.start_date <= a.end_date:
                yield Finding(
                    "person_overlapping_classes",
                    (common.person(facts, person_id), common.klass(a), common.klass(b)),
                    f"同一学员同时在两个培训班：{a.class_ref}（{a.start_date}至{a.end_date}）与"
                    f"{b.class_ref}（{b.start_date}至{b.end_date}）",
                    tuple(
                        Evidence("entry", str(e.file_entry_id), "报名记录", facts.person_ref(person_id))
                        for e in enrolments
                        if e.class_id in (a.id, b.id)
                    ),
                    a.city_code,
                )


def attendance_distant_checkins(facts: Facts) -> Iterator[Finding]:
    """Two consecutive check-ins of one person too far apart for the time between them."""
    located = [e for e in facts.checkins if e.latitude is not None and e.longitude is not None]
    for person_id, events in common.group(located, lambda e: e.person_id).items():
        events.sort(key=lambda e: (as_utc(e.at), e.id))
        for a, b in pairwise(events):
            km = _distance_km(a, b)
            hours = max((as_utc(b.at) - as_utc(a.at)).total_seconds(), 60.0) / 3600
            if km >= MIN_DISTANCE_KM and km / hours > MAX_TRAVEL_KMH:
                classes = [facts.classes[e.class_id] for e in (a, b) if e.class_id in facts.classes]
                yield Finding(
                    "attendance_distant_checkins",
                    (common.person(facts, person_id), *(common.klass(c) for c in classes)),
                    f"两次考勤相距 {km:.0f} 公里，间隔 {hours * 60:.0f} 分钟，无法到达",
                    (common.checkin_evidence(facts, a), common.checkin_evidence(facts, b)),
                    classes[0].city_code if classes else None,
                )


def class_identical_checkin_times(facts: Facts) -> Iterator[Finding]:
    """Several trainees of one class checked in at the very same second (批量代签)."""
    for class_id, events in common.group(facts.checkins, lambda e: e.class_id).items():
        klass = facts.classes.get(class_id)
        if klass is None:
            continue
        batches = [
            same
            for moment, same in common.group(events, lambda e: as_utc(e.at)).items()
            if moment.second != 0 and len({e.person_id for e in same}) >= MIN_SAME_SECOND
        ]
        if batches:
            times = "、".join(common.beijing_clock(b[0]) for b in batches[:5])
            yield Finding(
                "class_identical_checkin_times",
                (common.klass(klass), common.institution(klass)),
                f"培训班 {klass.class_ref} 有 {len(batches)} 个时刻多名学员同一秒签到（{times}）",
                common.capped(common.checkin_evidence(facts, e) for batch in batches for e in batch),
                klass.city_code,
            )


def device_shared_across_trainees(facts: Facts) -> Iterator[Finding]:
    """One personal device (phone) signing in several different trainees."""
    personal = [e for e in facts.checkins if e.device_sha256 and e.method in PERSONAL_METHODS]
    for device, events in common.group(personal, lambda e: e.device_sha256).items():
        people = sorted({e.person_id for e in events})
        if len(people) >= MIN_PEOPLE_ON_DEVICE:
            yield _shared(
                "device_shared_across_trainees",
                facts,
                events,
                people,
                f"同一部手机（设备摘要 {str(device)[:12]}…）",
            )


def face_shared_across_trainees(facts: Facts) -> Iterator[Finding]:
    """One check-in photo (its SHA-256) for more than one person."""
    photographed = [e for e in facts.checkins if e.photo_sha256]
    for photo, events in common.group(photographed, lambda e: e.photo_sha256).items():
        people = sorted({e.person_id for e in events})
        if len(people) >= 2:
            yield _shared(
                "face_shared_across_trainees", facts, events, people, f"同一张照片（摘要 {str(photo)[:12]}…）"
            )


def _shared(check: str, facts: Facts, events: list[CheckInFacts], people: list[int], what: str) -> Finding:
    classes = sorted(
        {facts.classes[e.class_id] for e in events if e.class_id in facts.classes}, key=lambda c: c.id
    )
    return Finding(
        check,
        (*(common.person(facts, p) for p in people), *(common.klass(c) for c in classes)),
        f"{what}用于 {len(people)} 名学员的考勤",
        common.capped(common.checkin_evidence(facts, e) for e in sorted(events, key=lambda e: e.id)),
        classes[0].city_code if classes else None,
    )


def attendance_outside_class_hours(facts: Facts) -> Iterator[Finding]:
    """Check-ins in the night (Beijing time), when no class is held."""

    def at_night(event: CheckInFacts) -> bool:
        hour = as_utc(event.at).astimezone(BEIJING).hour
        return not CLASS_DAY_STARTS <= hour < CLASS_DAY_ENDS

    for class_id, events in common.group(filter(at_night, facts.checkins), lambda e: e.class_id).items():
        klass = facts.classes.get(class_id)
        if klass is not None:
            yield Finding(
                "attendance_outside_class_hours",
                (common.klass(klass), common.institution(klass)),
                f"培训班 {klass.class_ref} 有 {len(events)} 次考勤在夜间（北京时间 22 时至次日 6 时）",
                common.capped(common.checkin_evidence(facts, e) for e in sorted(events, key=lambda e: e.id)),
                klass.city_code,
            )


def attendance_below_plan(facts: Facts) -> Iterator[Finding]:
    """A passed completion whose attended hours are under 80 % of the class's planned hours."""
    for completion in facts.completions:
        klass = facts.classes.get(completion.class_id)
        if klass is None or not completion.passed:
            continue
        if completion.attended_hours < MIN_ATTENDED_SHARE * klass.planned_hours:
            yield Finding(
                "attendance_below_plan",
                (common.person(facts, completion.person_id), common.klass(klass)),
                f"实际课时 {completion.attended_hours} 不足计划课时 {klass.planned_hours} 的 80%，仍结业合格",
                (
                    Evidence(
                        "entry",
                        str(completion.file_entry_id),
                        "结业记录",
                        facts.person_ref(completion.person_id),
                    ),
                ),
                klass.city_code,
            )


def _slots(events: list[CheckInFacts]) -> dict[tuple[str, int], CheckInFacts]:
    """The (Beijing date, hour) slots with check-ins, each with its first check-in."""
    slots: dict[tuple[str, int], CheckInFacts] = {}
    for event in sorted(events, key=lambda e: (as_utc(e.at), e.id)):
        local = as_utc(event.at).astimezone(BEIJING)
        slots.setdefault((local.date().isoformat(), local.hour), event)
    return slots


def teacher_two_classes_at_once(facts: Facts) -> Iterator[Finding]:
    """One teacher's two classes held in the same hour at different places (by their check-ins)."""
    by_class = common.group(facts.checkins, lambda e: e.class_id)
    taught = [c for c in facts.classes.values() if c.teacher and c.id in by_class]
    for teacher, classes in common.group(taught, lambda c: (c.teacher or "").strip()).items():
        # each class's slots once, and only pairs whose days overlap compared: a teacher of many
        # classes over the years (one after another) costs linear, not quadratic, time
        slots = {c.id: _slots(by_class[c.id]) for c in classes}
        days = {c.id: (min(slots[c.id])[0], max(slots[c.id])[0]) for c in classes}
        for a, b in combinations(sorted(classes, key=lambda c: c.id), 2):
            if days[a.id][1] < days[b.id][0] or days[b.id][1] < days[a.id][0]:
                continue
            slots_a, slots_b = slots[a.id], slots[b.id]
            clash = [s for s in sorted(slots_a) if s in slots_b and slots_a[s].place != slots_b[s].place]
            if clash:
                first = clash[0]
                yield Finding(
                    "teacher_two_classes_at_once",
                    (common.klass(a), common.klass(b), common.institution(a), common.institution(b)),
                    f"授课教师 {teacher} 的两个培训班 {a.class_ref} 与 {b.class_ref} 同一时段在不同地点上课"
                    f"（{len(clash)} 个时段，首个 {first[0]} {first[1]} 时）",
                    (
                        common.checkin_evidence(facts, slots_a[first]),
                        common.checkin_evidence(facts, slots_b[first]),
                    ),
                    a.city_code,
                )


def class_before_approval(facts: Facts) -> Iterator[Finding]:
    """A class that started, or checked anyone in, before the day it was approved."""
    first_day = {
        class_id: min(beijing_date(e.at) for e in events)
        for class_id, events in common.group(facts.checkins, lambda e: e.class_id).items()
    }
    for klass in facts.classes.values():
        if klass.approved_on is None:
            continue
        began = min(klass.start_date, first_day.get(klass.id, klass.start_date))
        if began < klass.approved_on:
            yield Finding(
                "class_before_approval",
                (common.klass(klass), common.institution(klass)),
                f"培训班 {klass.class_ref} 于 {began} 开始，早于审批日期 {klass.approved_on}",
                (Evidence("class", klass.ref, f"开班 {klass.start_date}，审批 {klass.approved_on}"),),
                klass.city_code,
            )


def class_over_capacity(facts: Facts) -> Iterator[Finding]:
    """More trainees checked in on one day than the venue holds."""
    for class_id, events in common.group(facts.checkins, lambda e: e.class_id).items():
        klass = facts.classes.get(class_id)
        if klass is None or klass.venue_capacity is None:
            continue
        days = common.group(events, lambda e: beijing_date(e.at))
        day, crowd = max(days.items(), key=lambda item: (len({e.person_id for e in item[1]}), item[0]))
        people = len({e.person_id for e in crowd})
        if people > klass.venue_capacity:
            yield Finding(
                "class_over_capacity",
                (common.klass(klass), common.institution(klass)),
                f"培训班 {klass.class_ref} 于 {day} 有 {people} 人签到，"
                f"超过场地容量 {klass.venue_capacity} 人",
                common.capped(common.checkin_evidence(facts, e) for e in crowd),
                klass.city_code,
            )
