"""The generated province laid out in memory (no I/O): people across Shanxi's 11 cities, training
institutions running classes of the built-in occupations month after month, evaluation
organisations examining the trainees, certificates and skill-upgrade claims, and, in the middle of
it, the planted cases of every check with the subjects each must be found with (decision 041).

Everything clean is built so that no check can fire on it: distinct check-in seconds within a class
and day, one phone per person (pairs may share one: a near miss of the three-person threshold), no
check-in at night, teachers never in two classes at once, classes approved before they start (some
on the day: a near miss), venues as large as the class or larger, trainees 18–50, one certificate
per person and occupation, pass rates equal across organisations, one card account per person, and
classes spread evenly over the months. Check-ins are drawn per class when written
(``checkins_of``), so a million of them are never held at once.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

from credential_service.core.clock import BEIJING
from credential_service.records.training.models import AttendanceMethod
from credential_service.records.training.rules import SHANXI_CITIES
from credential_service.supervision.province import planting
from credential_service.supervision.province.builder import Builder
from credential_service.supervision.province.plans import (
    CITY_CENTRES,
    CLASS_DAYS,
    SECONDS,
    SPIKE_SIZES,
    CheckIn,
    ClassPlan,
    NotEnoughPeople,
    PersonPlan,
    World,
    photo_of,
    stable_hash,
)


def build_world(*, persons: int, seed: int, planted: int, province_code: str, today: date) -> World:
    """The province: ``persons`` people (those of the new schools planted for volume_spike among
    them), ``planted`` cases of every check. Raises NotEnoughPeople when it cannot hold them."""
    builder = Builder(persons=persons, seed=seed, planted=planted, province_code=province_code, today=today)
    spike_people = planted * sum(SPIKE_SIZES)
    if persons - spike_people < 40 * planted:
        raise NotEnoughPeople("persons")
    builder.schedule(persons - spike_people)
    builder.fill(persons - spike_people)
    builder.spike_institutions()
    builder.world.classes.sort(key=lambda c: (c.start, c.idx))
    planting.plant_training(builder)
    builder.complete()
    for plant in builder.world.plants:  # attendance_below_plan: set after the hours are counted
        if plant.check == "attendance_below_plan":
            person = plant.refs[0]
            assert isinstance(person, PersonPlan)
            enrolment = person.enrolments[0]
            enrolment.attended_hours, enrolment.passed = enrolment.klass.planned_hours // 2, True
    builder.organisations()
    builder.exams()
    builder.results()
    planting.plant_results(builder)
    builder.claims()
    planting.plant_claims(builder)
    return builder.world


def checkins_of(world: World, klass: ClassPlan) -> Iterator[CheckIn]:
    """The class's check-ins in time order, drawn from the class's own seed (the same every time)."""
    rng = random.Random(f"{world.seed}:{klass.idx}")  # noqa: S311 - a reproducible province, no secret
    terminal = stable_hash(world.seed, "terminal", klass.institution.idx, klass.room)
    events: list[CheckIn] = []
    for day in range(CLASS_DAYS):
        on = klass.start + timedelta(days=day)
        seconds = rng.sample(SECONDS, len(klass.members))
        for enrolment, drawn in zip(klass.members, seconds, strict=True):
            person = enrolment.person
            if not enrolment.checks_in or not enrolment.present[day]:
                continue
            change = klass.overrides.get((person.idx, day), {})
            second = 30 * 60 if klass.roll_call_day == day else int(change.get("second", drawn))
            hour = int(change.get("hour", 8))
            local = datetime.combine(on, time(hour), BEIJING) + timedelta(seconds=second)
            method = klass.method
            personal = method in (AttendanceMethod.QR, AttendanceMethod.E_CARD)
            photo = photo_of(world.seed, klass, person, day) if method is AttendanceMethod.FACE else None
            event = CheckIn(
                enrolment,
                local.astimezone(UTC),
                klass.place,
                method,
                round(rng.uniform(0.82, 0.99), 3) if method is AttendanceMethod.FACE else None,
                str(change.get("photo", photo)) if photo else None,
                str(change.get("device", person.phone if personal else terminal)),
                round(klass.institution.latitude + rng.uniform(-3e-4, 3e-4), 6),
                round(klass.institution.longitude + rng.uniform(-3e-4, 3e-4), 6),
            )
            events.append(event)
            far = change.get("far")
            if isinstance(far, str):
                far_photo = stable_hash(world.seed, "far", person.idx)
                lat, lon = CITY_CENTRES[far]
                events.append(
                    CheckIn(
                        enrolment, event.at + timedelta(minutes=20), f"{SHANXI_CITIES[far]}人民路",
                        method, event.match_score, far_photo if photo else None,
                        event.device, lat, lon,
                    )
                )  # fmt: skip
    events.sort(key=lambda e: (e.at, e.enrolment.person.idx))
    return iter(events)
