"""The composition root: the running service's shared parts (settings, database, keystore, caches,
limits), built once per process, and the wiring of what a lower part asks of a higher one (the
registry's ``may_issue``, ``endorsement_by_id`` and ``check_standing``; the subsidies' recovery
register watching status changes; supervision's checks watching postings; the social-insurance
source). Parts never import this module; they declare the Protocol they use
(``platform.runtime.Platform`` and the parts' ``ports.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from credential_service.assessment.organisations import clients as org_clients
from credential_service.assessment.organisations import service as organisations
from credential_service.certificates.ports import IssuingRuntime
from credential_service.certificates.qr_codes import check_public_base_url
from credential_service.certificates.service import IssuanceSettings
from credential_service.core.config import Settings
from credential_service.core.db import (
    make_engine,
    read_only_session_factory,
    session_factory,
    session_scope,
)
from credential_service.core.migrations import ensure_migrated
from credential_service.core.ratelimit import Limiter
from credential_service.crypto.keystore import FileKeyStore
from credential_service.identity import service as identity
from credential_service.issuers.models import IssuerKey
from credential_service.platform import generations
from credential_service.platform.limits import SharedRateLimiter
from credential_service.platform.metrics import count_pool_use
from credential_service.platform.tokens import Principal
from credential_service.subsidies import recoveries
from credential_service.subsidies.ports import SubsidiesRuntime
from credential_service.subsidies.social_insurance import SocialInsuranceSource, source_from
from credential_service.supervision import watch as supervision
from credential_service.transparency.schedule import LogSigner
from credential_service.verification.keys import DirectoryKey, KeyDirectory, database_keys
from credential_service.verification.log_queue import VerificationLogQueue
from credential_service.verification.ports import VerifyingRuntime
from credential_service.verification.tokens import SettledTokens
from credential_service.verification.trust import VerificationSettings
from credential_service.worker.ports import WorkerRuntime


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    keystore: FileKeyStore
    read_sessions: sessionmaker[Session] = field(init=False)
    replica_sessions: sessionmaker[Session] = field(init=False)
    replica_engine: Engine | None = None
    key_directory: KeyDirectory = field(init=False)
    replica_reader: Engine = field(init=False)
    settled_tokens: SettledTokens = field(init=False)
    verification_log: VerificationLogQueue = field(init=False)
    query_limiter: Limiter = field(init=False)
    bulk_limiter: Limiter = field(init=False)
    signin_limiter: Limiter = field(init=False)
    objection_limiter: Limiter = field(init=False)
    social_insurance: SocialInsuranceSource = field(init=False)

    def __post_init__(self) -> None:
        event.listen(self.engine, "before_cursor_execute", identity.refuse_clear_id_numbers)
        count_pool_use(self.engine)
        recoveries.watch(self.sessions)  # revoking a certificate flags the payments made on it
        supervision.watch(self.sessions, self.settings.data_key_bytes)  # postings run their checks
        self.social_insurance = source_from(
            self.settings.social_insurance_source,
            data_key=self.settings.data_key_bytes,
            timeout_seconds=self.settings.social_insurance_timeout_seconds,
        )
        self.read_sessions = read_only_session_factory(self.engine)
        self.replica_sessions = (
            read_only_session_factory(self.replica_engine) if self.replica_engine else self.read_sessions
        )
        self.key_directory = KeyDirectory(self._directory_keys, generation=self._trust_generation)
        self.replica_reader = make_engine(
            self.settings.database_replica_url or self.settings.database_url, single_reads=True
        )
        self.settled_tokens = SettledTokens(self.settings.verify_settled_tokens, self.replica_reader.connect)
        self.verification_log = VerificationLogQueue(self.session)
        shared = partial(SharedRateLimiter, open_session=self.session, key=self.settings.data_key_bytes)
        self.query_limiter = shared("query", self.settings.verify_queries_per_minute, per_seconds=60)
        self.bulk_limiter = shared("bulk", self.settings.verify_bulk_rows_per_hour, per_seconds=3600)
        self.signin_limiter = shared("signin", self.settings.signin_attempts_per_minute, per_seconds=60)
        self.objection_limiter = shared("objection", self.settings.objections_per_hour, per_seconds=3600)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed on success, rolled back on error."""
        with session_scope(self.sessions) as session:
            yield session

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A read-only transaction (PostgreSQL refuses writes in it; SQLite takes no write lock)."""
        with session_scope(self.read_sessions) as session:
            yield session

    @contextmanager
    def replica_session(self) -> Iterator[Session]:
        """A read-only transaction on the hot standby (``CS_DATABASE_REPLICA_URL``), else on the primary.
        A status change commits only once the synchronous standby applied it, so a look-up here
        never misses a revocation that was answered as done."""
        with session_scope(self.replica_sessions) as session:
            yield session

    def _directory_keys(self) -> tuple[int, list[DirectoryKey]]:
        with self.read_session() as session:
            return database_keys(session)

    def _trust_generation(self) -> int:
        with self.read_session() as session:
            return generations.current(session)

    @property
    def issuance(self) -> IssuanceSettings:
        return IssuanceSettings(
            public_base_url=self.settings.public_base_url,
            status_list_size=self.settings.status_list_size,
            registry=organisations.may_issue,
        )

    @property
    def log_signer(self) -> LogSigner:
        """What the transparency log's scheduled and end-of-batch checkpoints use."""
        return LogSigner(
            session=self.session,
            read_session=self.read_session,
            keystore=self.keystore,
            public_base_url=self.settings.public_base_url,
        )

    @property
    def verification(self) -> VerificationSettings:
        return VerificationSettings(
            public_base_url=self.settings.public_base_url,
            may_issue=organisations.may_issue,
            endorsement_by_id=organisations.endorsement_by_id,
        )

    def check_standing(self, session: Session, principal: Principal) -> None:
        org_clients.check_standing(session, principal)

    def check_keystore(self) -> None:
        """Open one private key now, so a wrong passphrase is a start-up error, not a failure later."""
        with self.session() as session:
            first = session.scalars(select(IssuerKey.keystore_id).limit(1)).first()
        if first is not None:
            self.keystore.signer(first)

    def close(self) -> None:
        self.verification_log.close()
        self.engine.dispose()
        self.replica_reader.dispose()
        if self.replica_engine is not None:
            self.replica_engine.dispose()


def build_runtime(settings: Settings, *, require_migrated: bool = True) -> Runtime:
    """Connect to the database and open the keystore; raises ConfigurationError when unusable."""
    settings.ensure_local_dirs()
    check_public_base_url(settings.public_base_url)
    engine = make_engine(settings.database_url)
    if require_migrated:
        ensure_migrated(engine)
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        keystore=FileKeyStore(settings.keystore_dir, settings.passphrase()),
        replica_engine=make_engine(settings.database_replica_url) if settings.database_replica_url else None,
    )
    if require_migrated:
        runtime.check_keystore()
    return runtime


def _serves_every_part(
    runtime: Runtime,
) -> tuple[IssuingRuntime, VerifyingRuntime, WorkerRuntime, SubsidiesRuntime]:
    """Never called: mypy checks here that the Runtime satisfies each part's Protocol, since the
    parts receive it untyped (``app.state``, ``ctx.obj``)."""
    return runtime, runtime, runtime, runtime
