"""Every part's tables, imported in one place so that Alembic sees the whole schema."""

from __future__ import annotations

from credential_service.certificates import models as certificates_models
from credential_service.core.db import Base
from credential_service.issuers import models as issuers_models

metadata = Base.metadata

__all__ = ["certificates_models", "issuers_models", "metadata"]
