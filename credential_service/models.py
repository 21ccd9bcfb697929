"""Every part's tables, imported in one place so that Alembic sees the whole schema."""

from __future__ import annotations

from credential_service.assessment.occupations import models as occupations_models
from credential_service.assessment.organisations import models as organisations_models
from credential_service.assessment.workflow import models as workflow_models
from credential_service.audit import models as audit_models
from credential_service.certificates import models as certificates_models
from credential_service.certificates.status import models as status_models  # noqa: F401 - tables for Alembic
from credential_service.core.db import Base
from credential_service.identity import models as identity_models
from credential_service.identity.clients import models as clients_models
from credential_service.identity.signin import models as signin_models  # noqa: F401 - tables for Alembic
from credential_service.issuers import models as issuers_models
from credential_service.platform import models as platform_models
from credential_service.records import models as records_models
from credential_service.records.training import models as training_models  # noqa: F401 - tables for Alembic
from credential_service.statistics import models as statistics_models
from credential_service.subsidies import models as subsidies_models
from credential_service.supervision import models as supervision_models
from credential_service.transparency import models as transparency_models
from credential_service.verification import models as verification_models
from credential_service.worker import models as worker_models

metadata = Base.metadata

__all__ = [
    "audit_models",
    "certificates_models",
    "clients_models",
    "identity_models",
    "issuers_models",
    "metadata",
    "occupations_models",
    "organisations_models",
    "platform_models",
    "records_models",
    "statistics_models",
    "subsidies_models",
    "supervision_models",
    "transparency_models",
    "verification_models",
    "worker_models",
    "workflow_models",
]
