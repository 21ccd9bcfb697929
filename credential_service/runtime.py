"""The running service's shared parts: settings, database, keystore. Built once per process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from credential_service.certificates.service import IssuanceSettings
from credential_service.core.config import Settings
from credential_service.core.db import make_engine, session_factory, session_scope
from credential_service.core.migrations import ensure_migrated
from credential_service.crypto.keystore import FileKeyStore
from credential_service.issuers.models import IssuerKey


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    keystore: FileKeyStore

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed on success, rolled back on error."""
        with session_scope(self.sessions) as session:
            yield session

    @property
    def issuance(self) -> IssuanceSettings:
        return IssuanceSettings(
            public_base_url=self.settings.public_base_url,
            status_list_size=self.settings.status_list_size,
        )

    def check_keystore(self) -> None:
        """Open one private key now, so a wrong passphrase is a start-up error, not a failure later."""
        with self.session() as session:
            first = session.scalars(select(IssuerKey.keystore_id).limit(1)).first()
        if first is not None:
            self.keystore.signer(first)

    def close(self) -> None:
        self.engine.dispose()


def build_runtime(settings: Settings, *, require_migrated: bool = True) -> Runtime:
    """Connect to the database and open the keystore; raises ConfigurationError when unusable."""
    settings.ensure_local_dirs()
    engine = make_engine(settings.database_url)
    if require_migrated:
        ensure_migrated(engine)
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        keystore=FileKeyStore(settings.keystore_dir, settings.passphrase()),
    )
    if require_migrated:
        runtime.check_keystore()
    return runtime
