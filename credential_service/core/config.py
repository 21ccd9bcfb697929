"""Typed settings read from ``CS_*`` environment variables (pydantic-settings).

Defaults give a working single-machine set-up: a SQLite file and a keystore under the repository.
Outside development the service refuses to start with a placeholder secret.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cached_property
from ipaddress import ip_network
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from credential_service.core.errors import ConfigurationError
from credential_service.core.ratelimit import Network

REPO_ROOT = Path(__file__).resolve().parents[2]
DEV_PASSPHRASE = "development-only-passphrase"  # noqa: S105 - refused outside development
DATA_KEY_BYTES = 32


class Settings(BaseSettings):
    """Service configuration. Every field can be set as ``CS_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="CS_", extra="ignore", frozen=True)

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = Field(
        default=f"sqlite:///{REPO_ROOT / 'var' / 'credential-service.sqlite3'}",
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db",
    )
    database_replica_url: str | None = Field(
        default=None,
        description="a hot standby of database_url (PostgreSQL) for read-only work: certificate look-ups",
    )
    keystore_dir: Path = REPO_ROOT / "keys"
    keystore_passphrase: str | None = Field(
        default=None, description="Passphrase that encrypts private keys at rest"
    )
    keystore_passphrase_file: Path | None = None
    public_base_url: str = "http://127.0.0.1:8000"
    data_key: str | None = Field(
        default=None, description="base64 of 32 bytes: encrypts ID numbers (AES-GCM) at rest"
    )
    data_key_file: Path | None = None
    province_code: str = "14"
    # /metrics answers loopback scrapers, and others that send "Authorization: Bearer <this>".
    metrics_token: str | None = Field(default=None, min_length=16)
    # Where the public 公示 page sends people with an objection they would rather not type in.
    objection_contact: str = "人社服务热线 12333，或向评价机构所在地人力资源和社会保障部门书面反映"
    max_body_bytes: int = 1_000_000
    max_upload_bytes: int = 50_000_000  # result sheets (CSV / Excel), streamed
    status_list_size: int = 131_072
    status_list_cache_seconds: int = 60
    access_token_minutes: int = 15
    # The transparency log signs a checkpoint this often when it grew (0: only on issuance and batches).
    log_checkpoint_seconds: int = Field(default=300, ge=0)
    # Public look-ups by certificate number + name: per client, to stop enumeration of numbers.
    verify_queries_per_minute: int = Field(default=10, ge=1)
    verify_bulk_max_rows: int = Field(default=500, ge=1)
    verify_bulk_rows_per_hour: int = Field(default=2_000, ge=1)
    # Genuine QR verifications kept per process (about 3 KB each; 0: none), decision 040.
    verify_settled_tokens: int = Field(default=10_000, ge=0)
    # Load shedding per process (web.admission, decision 043): reads and writes worked on at once
    # (0: no limit at all; writes 0: in the readers' places), requests waiting for a place (per
    # kind), and how long one waits before it is answered 503.
    max_in_flight: int = Field(default=8, ge=0)
    max_writes_in_flight: int = Field(default=2, ge=0)
    max_waiting: int = Field(default=32, ge=0)
    max_wait_seconds: float = Field(default=1.0, ge=0, le=60)
    # Sign-in attempts per client (worker assertion, development form, organisation page, OAuth
    # token endpoint): slows password and client-secret guessing.
    signin_attempts_per_minute: int = Field(default=10, ge=1)
    # Objections during publicity per client (anyone may object; a flood would bury real ones).
    objections_per_hour: int = Field(default=10, ge=1)
    # Reverse proxies whose X-Forwarded-For is believed (IPs or CIDRs, comma-separated; none by
    # default): from any other peer the header is ignored, else rotating it would dodge every limit.
    trusted_proxies: Annotated[tuple[Network, ...], NoDecode] = ()
    # Worker sign-in: the electronic social-security card (or another identity provider) signs an
    # assertion (EdDSA JWT) with this issuer name and public key (Ed25519 Multikey, z6Mk…).
    idp_issuer: str | None = None
    idp_public_key: str | None = None
    # The development identity provider (a sign-in form for testers); never in production.
    dev_identity_provider: bool | None = None
    # Subsidies: where insured months, employment status and the card's financial account come from
    # (subsidies.social_insurance): "demo" (the demo data; a person without demo facts: cannot tell)
    # or the URL of the provincial social-insurance system's interface (docs/social-insurance-interface.md).
    social_insurance_source: str = "demo"
    social_insurance_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    # The printable certificate embeds a CJK TrueType font (subset). None: the first usable font of
    # certificates.printable.FONT_CANDIDATES (fonts-wqy-zenhei, …); without one the PDF answers 503.
    pdf_font: Path | None = Field(default=None, description="TrueType (.ttf/.ttc) CJK font for PDFs")

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(ip_network(part.strip()) for part in value.split(",") if part.strip())
        return value

    @model_validator(mode="after")
    def _bulk_rows_fit_the_hourly_budget(self) -> Settings:
        if self.verify_bulk_max_rows > self.verify_bulk_rows_per_hour:
            raise ValueError("CS_VERIFY_BULK_MAX_ROWS must not exceed CS_VERIFY_BULK_ROWS_PER_HOUR")
        return self

    @model_validator(mode="after")
    def _refuse_placeholders_outside_development(self) -> Settings:
        if self.environment == "production":
            if self.passphrase() == DEV_PASSPHRASE:
                raise ValueError("CS_KEYSTORE_PASSPHRASE must be set in production")
            if self.data_key is None and self.data_key_file is None:
                raise ValueError("CS_DATA_KEY or CS_DATA_KEY_FILE must be set in production")
            if self.dev_identity_provider:
                raise ValueError("CS_DEV_IDENTITY_PROVIDER must not be enabled in production")
        return self

    @property
    def dev_idp_enabled(self) -> bool:
        if self.dev_identity_provider is None:
            return self.environment != "production"
        return self.dev_identity_provider

    def passphrase(self) -> str:
        """The keystore passphrase: the file wins over the variable; development has a default."""
        if self.keystore_passphrase_file is not None:
            try:
                return self.keystore_passphrase_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigurationError(f"cannot read CS_KEYSTORE_PASSPHRASE_FILE: {exc.strerror}") from exc
        if self.keystore_passphrase:
            return self.keystore_passphrase
        return DEV_PASSPHRASE

    @cached_property
    def data_key_bytes(self) -> bytes:
        """The 32-byte key for personal data. Development derives a fixed key from the passphrase."""
        raw: str | None = self.data_key
        if self.data_key_file is not None:
            raw = self.data_key_file.read_text(encoding="utf-8").strip()
        if raw is None:
            return hashlib.sha256(b"cs-dev-data-key:" + self.passphrase().encode()).digest()
        try:
            key = base64.b64decode(raw, validate=True)
        except ValueError as exc:
            raise ConfigurationError("CS_DATA_KEY is not valid base64") from exc
        if len(key) != DATA_KEY_BYTES:
            raise ConfigurationError("CS_DATA_KEY must decode to 32 bytes")
        return key

    @property
    def public_host(self) -> str:
        """The host (with port) of the public base URL, as it appears in did:web DIDs."""
        return self.public_base_url.split("://", 1)[-1].rstrip("/")

    def ensure_local_dirs(self) -> None:
        """Create the SQLite folder when the database is a local file."""
        if self.database_url.startswith("sqlite:///"):
            Path(self.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.keystore_dir.mkdir(parents=True, exist_ok=True)


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (CLI flags) on top."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
