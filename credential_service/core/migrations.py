"""Alembic, driven from code: ``init`` upgrades; the app refuses to start on an unmigrated database."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from credential_service.core.db import MIGRATIONS_DIR
from credential_service.core.errors import ConfigurationError


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def ensure_migrated(engine: Engine) -> None:
    """Raise ConfigurationError unless the database is at the newest migration."""
    current, head = current_revision(engine), head_revision(engine)
    if current != head:
        raise ConfigurationError(
            f"数据库未初始化或版本过旧 (at {current or 'nothing'}, need {head}): "
            "run `credential-service init` / the database is not migrated"
        )
