"""Notifications: failed calls, failed webhook deliveries and usage alerts, sent by the worker.

services.py  what the gateway and the worker call: `notify_failed_call(log)`,
             `notify_failed_webhook(log)`, `notify_usage(account_id, used, limit)`,
             `usage_alert_possible(used, limit)`
channels.py  the messages and the channels: email, Slack, Discord, Telegram
jobs.py      the jobs: throttle and fan out (`notify.event`), one channel (`notify.deliver`),
             usage alert mail (`notify.usage`)
models.py    throttle state and the usage alerts already sent per cycle
"""

from app.notify.services import (notify_failed_call, notify_failed_webhook, notify_usage,  # noqa: F401
                                 usage_alert_possible)
