"""Tables, one module per concern; every model and constant is importable from here.

- :mod:`untxt.db.models.base`: the declarative base and its naming convention
- :mod:`untxt.db.models.jobs`: documents, batches, jobs, tasks, results, idempotency keys
- :mod:`untxt.db.models.accounts`: users, API keys, the audit log, the server secret
- :mod:`untxt.db.models.events`: the event outbox and webhooks
- :mod:`untxt.db.models.fields`: extractions, corrections and templates
"""

from untxt.db.models.accounts import (
    USER_ROLES,
    ApiKeyRow,
    AuditEventRow,
    ServerSecretRow,
    UserRow,
)
from untxt.db.models.base import NAMING, Base, snapshot, table_of
from untxt.db.models.events import (
    DELIVERY_STATUSES,
    EVENT_TYPES,
    EventRow,
    WebhookAttemptRow,
    WebhookDeliveryRow,
    WebhookSecretRow,
    WebhookSubscriptionRow,
)
from untxt.db.models.fields import ExtractionRow, FieldCorrectionRow, TemplateRow
from untxt.db.models.jobs import (
    ASSEMBLE_PAGE,
    JOB_STATUSES,
    TASK_STATUSES,
    TERMINAL_STATUSES,
    BatchRow,
    DocumentRow,
    IdempotencyKeyRow,
    JobRow,
    ResultRow,
    TaskRow,
)

__all__ = [
    "ASSEMBLE_PAGE",
    "DELIVERY_STATUSES",
    "EVENT_TYPES",
    "JOB_STATUSES",
    "NAMING",
    "TASK_STATUSES",
    "TERMINAL_STATUSES",
    "USER_ROLES",
    "ApiKeyRow",
    "AuditEventRow",
    "Base",
    "BatchRow",
    "DocumentRow",
    "EventRow",
    "ExtractionRow",
    "FieldCorrectionRow",
    "IdempotencyKeyRow",
    "JobRow",
    "ResultRow",
    "ServerSecretRow",
    "TaskRow",
    "TemplateRow",
    "UserRow",
    "WebhookAttemptRow",
    "WebhookDeliveryRow",
    "WebhookSecretRow",
    "WebhookSubscriptionRow",
    "snapshot",
    "table_of",
]
