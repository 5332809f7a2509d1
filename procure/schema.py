"""Every SQL table: importing this module registers them all on SQLModel.metadata."""

import sourcing.models  # noqa: F401 - the sourcing library's tables
from procure import rooms
from procure.core import models  # noqa: F401 - users, audit events, jobs

rooms.import_models()
