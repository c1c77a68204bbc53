"""Imports every core model, so the metadata (and Alembic) sees the whole core schema.

Plugins' models are imported when their plugin is imported.
"""

from app.accounts.models import Account  # noqa: F401
from app.auth.models import McpKey  # noqa: F401
from app.auth.oauth.models import DeviceCode, OAuthClient, OAuthCode, OAuthGrant, OAuthToken  # noqa: F401
from app.gateway.models import (CallLog, Endpoint, EndpointKey, Invitation, Record, UsageCycle,  # noqa: F401
                                UsageDaily)
from app.jobs.models import Job, JobSchedule, WorkerHeartbeat  # noqa: F401
from app.notify.models import NotificationThrottle, UsageAlert  # noqa: F401
from app.activity.models import ActivityEntry  # noqa: F401
from app.safety.models import AiControl  # noqa: F401
