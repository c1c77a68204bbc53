"""Outgoing webhooks: signed POSTs of record events, delivered by the worker.

signing.py   Standard Webhooks secrets (`whsec_…`) and signatures
delivery.py  the `webhook.deliver` job: send, record each attempt on the call log
services.py  `resend(account_id, log_id)`: send a failed delivery again
"""

from app.webhooks.services import resend  # noqa: F401
