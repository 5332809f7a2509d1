"""All SQL tables. Importing this package registers every table on SQLModel.metadata."""

from procure.models.core import ROLES, AuditEvent, Job, User, UserRole, utcnow  # noqa: F401
from procure.models import clauses, tenders, evaluation  # noqa: F401,E402
import sourcing.models  # noqa: F401,E402
