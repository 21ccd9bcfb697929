"""Write a generated province to the database in bulk, as the services write the same facts
(decision 041): organisations and institutions through their registration services; people through
``identity.register_people`` (blind index, sealed number); every posting's file entry through
``records.append_entries`` (hash-chained, the services' idempotency keys); the rows of classes,
enrolments, check-ins, completions, plans, result sheets, candidates, certificates, claims, officers'
decisions and payments by Core inserts of many rows per statement.

What is not written, because nothing the checks read depends on it and it would only cost time: the
certificates' proofs, status-list entries and QR codes (a generated certificate is the service's
credential without its proof, stored with ``cryptosuite`` "unsigned"), the result sheets' detached
signatures, and the audit-trail and transparency-log events of each posting.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from credential_service.assessment.occupations import service as occupations
from credential_service.assessment.organisations import service as organisations
from credential_service.assessment.organisations.models import Organisation
from credential_service.assessment.organisations.rules import ScopeRowInput
from credential_service.core.config import Settings
from credential_service.crypto.keystore import KeyStore
from credential_service.issuers import service as issuers
from credential_service.issuers.models import Issuer
from credential_service.records.training import institutions
from credential_service.records.training.models import (
    Institution,
)
from credential_service.subsidies import service as rule_sets
from credential_service.supervision.province import claims as claim_rows
from credential_service.supervision.province import results, training
from credential_service.supervision.province.bulk import (
    Registry,
    Sessions,
    at_hour,
)
from credential_service.supervision.province.plans import (
    World,
)


def register(
    session: Session, keystore: KeyStore, settings: Settings, world: World, *, actor: str
) -> Registry:
    """The platform issuer, the built-in occupations and rule sets, then every organisation (备案
    with its scope) and institution through their services."""
    issuers.ensure_platform_issuer(session, keystore, public_base_url=settings.public_base_url)
    occupations.ensure_builtin_occupations(session)
    rule_sets.ensure_shipped_rule_sets(session, actor=actor)
    since = world.start - timedelta(days=365)
    until = date(world.start.year + 6, 12, 31)
    organisation_ids: dict[int, int] = {}
    issuer_of: dict[int, Issuer] = {}
    for org in world.organisations:
        organisations.register_organisation(
            session, keystore, settings,
            org_type=org.org_type, credit_code=org.credit_code, name=org.name, mohrss_code=org.mohrss_code,
            site_serial=org.site_serial,
            scope=[ScopeRowInput(o.code, None, org.levels, since, until) for o in org.occupations],
            actor=actor, now=at_hour(since),
        )  # fmt: skip
        row = session.scalars(select(Organisation).where(Organisation.code == org.code)).one()
        organisation_ids[org.idx] = row.id
        issuer_of[org.idx] = session.get_one(Issuer, row.issuer_id)
    institution_ids: dict[int, int] = {}
    for inst in world.institutions:
        institutions.register_institution(
            session,
            credit_code=inst.credit_code,
            name=inst.name,
            city_code=inst.city,
            approved_projects=[(o.code, None) for o in inst.occupations],
            now=at_hour(since),
        )
        institution_ids[inst.idx] = session.scalars(
            select(Institution.id).where(Institution.credit_code == inst.credit_code)
        ).one()
    return Registry(organisation_ids, issuer_of, institution_ids)


def store_world(
    sessions: Sessions,
    world: World,
    *,
    keystore: KeyStore,
    settings: Settings,
    data_key: bytes,
    actor: str,
    progress: Callable[[str], None] = lambda _: None,
) -> None:
    """Write the whole province, phase by phase (each phase commits in chunks)."""
    with sessions() as session:
        registry = register(session, keystore, settings, world, actor=actor)
    progress(f"registered {len(world.organisations)} organisations, {len(world.institutions)} institutions")
    training.people(sessions, world, data_key)
    progress(f"persons {len(world.persons)}")
    facts = training.classes(sessions, world, registry)
    training.enrolments(sessions, world, facts)
    progress(f"classes {len(world.classes)}, enrolments {sum(len(k.members) for k in world.classes)}")
    total = training.attendance(sessions, world, facts, lambda n: None)
    progress(f"check-ins {total}")
    training.completions(sessions, world, facts)
    results.exams(sessions, world, registry)
    progress(f"plans {len(world.plans)}, candidates {sum(len(p.candidates) for p in world.plans)}")
    results.certificates(sessions, world, registry, data_key, settings.public_base_url)
    progress(f"certificates {len(world.certificates)}")
    claim_rows.claims(sessions, world, data_key)
    progress(f"claims {len(world.claims)}")
