"""Every part's tables, imported in one place so that Alembic sees the whole schema."""

from __future__ import annotations

from credential_service.assessment import (
    organisation_models,  # noqa: F401 - its tables and models.py's
    workflow_models,
)
from credential_service.audit import models as audit_models
from credential_service.certificates import models as certificates_models
from credential_service.certificates import status_models  # noqa: F401 - tables for Alembic
from credential_service.core.db import Base
from credential_service.identity import models as identity_models
from credential_service.identity import signin_models  # noqa: F401 - tables for Alembic
from credential_service.issuers import models as issuers_models
from credential_service.records import models as records_models
from credential_service.records import training_models  # noqa: F401 - tables for Alembic
from credential_service.transparency import models as transparency_models
from credential_service.verification import models as verification_models

metadata = Base.metadata

__all__ = [
    "audit_models",
    "certificates_models",
    "identity_models",
    "issuers_models",
    "metadata",
    "records_models",
    "transparency_models",
    "verification_models",
    "workflow_models",
]
