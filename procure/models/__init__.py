"""All SQL tables. Importing this package registers every table on SQLModel.metadata."""

import sourcing.models  # noqa: F401,E402
from procure.models import clauses, evaluation, tenders  # noqa: F401,E402
from procure.models.core import ROLES, AuditEvent, Job, User, UserRole, utcnow  # noqa: F401
