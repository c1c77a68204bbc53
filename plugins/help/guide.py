"""The text of the service guide, one entry per topic (Markdown)."""

TOPICS = {
    "getting-started": {
        "title": "Getting started",
        "summary": "From nothing to a working JSON API in three steps.",
        "text": """
1. **Create an endpoint**: give it a name and, if you like, field definitions
   (`endpoints_create`, or the dashboard). You get a URL `/api/v1/data/<slug>` and an
   owner key pair: `tm_test_…` (sandbox) and `tm_live_…` (production). The keys are shown
   once; keep them.
2. **Call it in the sandbox**: `POST /api/v1/data/<slug>` with `Authorization: Bearer tm_test_…`
   and a JSON object body stores a record; `GET` lists and searches.
3. **Deploy**: after at least one successful sandbox call, `endpoints_deploy` copies the
   sandbox configuration to production. From then on the `tm_live_…` key works too.

Every call is logged (`logs`), counted against your plan (`subscription`, `stats`) and can
fire a signed webhook (`webhooks`).
""",
    },
    "endpoints": {
        "title": "Endpoints",
        "summary": "What an endpoint is, how it is named, deployed and switched off.",
        "text": """
An endpoint is one JSON API you own. It has a `name` (1–100 characters, unique in your
account), a `slug` used in its URL (made from the name plus a short random suffix; it never
changes, even when you rename), a `description` (up to 500 characters), an `active` flag and
a `version` that counts deploys. Each endpoint has two environments, `sandbox` and
`production`, each with its own field definitions, webhook and notification settings.

Tools: `endpoints_list`, `endpoints_get`, `endpoints_create`, `endpoints_update`,
`endpoints_deploy`. You can name an endpoint by its id (`ep_…`), slug or name.
Deleting an endpoint, regenerating its owner keys and clearing sandbox data are done by a
signed-in person in the dashboard only.
""",
    },
    "fields": {
        "title": "Field definitions",
        "summary": "Required fields, types and searchable text.",
        "text": """
Each field is `{name, type, required, searchable}`. Types: `string`, `number`, `boolean`,
`array`, `object`. `searchable` is allowed only for strings and marks text that full-text
search should weigh. With no fields at all, any JSON object is accepted.

A POST or PUT that misses a required field or sends a wrong type is refused with
400 `validation_failed`, and `details` names each field and what is wrong with it. Fields you
did not define are stored as sent.
""",
    },
    "environments": {
        "title": "Sandbox and production",
        "summary": "Two environments per endpoint, chosen by the key.",
        "text": """
The environment is chosen by the key prefix, never by the URL: `tm_test_…` keys reach the
sandbox, `tm_live_…` keys reach production. Production refuses every call with
403 `not_deployed` (and does not log it) until the first deploy. Deploy copies the sandbox
field definitions, webhook and notification settings to production and bumps `version`.

Sandbox records and logs are deleted after 30 days. Production records are your data: they
are never archived or expired; production call logs older than 30 days move to archives.
""",
    },
    "keys": {
        "title": "Keys",
        "summary": "Owner keys, collaboration keys and MCP keys, and which is which.",
        "text": """
- **Owner keys** (`tm_test_…`, `tm_live_…`): one pair per endpoint, made at creation. They
  cannot be deleted, only regenerated (dashboard only).
- **Collaboration keys**: named key pairs with CRUD permissions (create = POST, read = GET,
  update = PUT, delete = DELETE) and an active flag. A key can never get rights its creator
  lacks.
- **MCP keys** (`tm_mcp_…`): account-level keys for AI tools such as Claude Code and
  Cursor, scoped `mcp:read` or `mcp:read mcp:write`. They work on `/api/mcp` and the
  management API, never on the data plane.

Every key is stored as a hash and shown exactly once, when it is made.
""",
    },
    "data-api": {
        "title": "The data API",
        "summary": "POST, GET, search, PUT and DELETE records at /api/v1/data/<slug>.",
        "text": """
| method | path | does |
|---|---|---|
| POST | `/api/v1/data/<slug>` | create a record → 201 `{id, environment, created_at, data}` |
| GET | `/api/v1/data/<slug>` | list newest first; `limit` 1–30 (default 10), `cursor` |
| GET | `/api/v1/data/<slug>/search` | full-text search: `q`, optional `from`, `to` (ISO 8601; default the last 30 days) |
| GET | `/api/v1/data/<slug>/<record_id>` | one record |
| PUT | `/api/v1/data/<slug>/<record_id>` | replace the whole record (validated like POST) |
| DELETE | `/api/v1/data/<slug>/<record_id>` | delete → 204 |

Send `Authorization: Bearer tm_test_…` (or `tm_live_…`) and `Content-Type: application/json`;
the body must be a JSON object of at most 100 KB. Lists return
`{data, next_cursor, has_more}`. Every logged call answers with an `X-Minapi-Log-Id` header naming
its call log. Errors: 400 `invalid_json`, `not_an_object`,
`validation_failed`; 401 `invalid_key`; 403 `permission_denied`, `key_inactive`,
`endpoint_inactive`, `not_deployed`; 404 `endpoint_not_found`, `record_not_found`;
413 `payload_too_large`; 415 `unsupported_media_type`; 429 `quota_exceeded`, `rate_limited`.
""",
    },
    "webhooks": {
        "title": "Webhooks",
        "summary": "Signed POSTs to your URL after each write.",
        "text": """
Set a webhook per environment with `endpoints_update` (`webhook: {url, auth_header?, auth_value?}`),
or per request with the headers `X-Webhook-Callback`, `X-Webhook-Auth` and
`X-Webhook-Auth-Header`. After a write commits, minapi POSTs
`{type, endpoint, environment, record_id, data, occurred_at}` where `type` is
`record.created`, `record.updated` or `record.deleted`.

Deliveries are signed per Standard Webhooks: headers `webhook-id`, `webhook-timestamp` and
`webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">` with the endpoint's
webhook secret (`whsec_…`; the key is the base64-decoded part after `whsec_`, as every Standard
Webhooks library does it). `webhook-id` is the same on every retry of one event: de-duplicate on
it, since a delivery can arrive more than once. Any 2xx answer within 10 seconds counts;
anything else (redirects are not followed) is retried with exponential backoff and jitter,
8 tries over about a day. Each attempt's outcome shows on the call log, and
`logs_resend_webhook` sends a failed one again. Private and loopback addresses are refused
unless the instance allows them.
""",
    },
    "notifications": {
        "title": "Notifications",
        "summary": "Alerts for failed calls, failed webhooks and usage.",
        "text": """
Per endpoint and environment you can be told about failed calls and failed webhook
deliveries, by email, Slack, Discord (incoming-webhook URLs) or Telegram (bot token and chat
id), with `endpoints_update` (`notifications`). At most one notification of each kind per
endpoint and environment goes out every 15 minutes. Usage alerts go by email to the account at
80 % and 100 % of your plan's calls, once per cycle.
""",
    },
    "logs": {
        "title": "Call logs",
        "summary": "Every call, searchable: status, key, latency, payload, webhook outcome.",
        "text": """
Every data-plane call that reaches an endpoint is logged, failures included (except production
calls before the first deploy): time, environment, method, record id, key, status code,
outcome (`success`/`failed`), error code, latency, request payload and webhook delivery status.

Tools: `logs_lookup` (one log by `log_id`, or every call of a `record_id`, newest first),
`logs_search` (full text plus `endpoint`, `environment` (both when left out), `status`
`success`/`failed`, `key` (a collaboration key's id or name, or `owner`) and `from`/`to` in
ISO 8601 on the created or processed time (`date_basis`); pages with `limit` and `cursor`),
`logs_fetch_archived` (`endpoint` plus `log_id` or `record_id`: calls read back from the archive
files) and `logs_resend_webhook`. A collaborator sees only their own calls.
""",
    },
    "stats": {
        "title": "Usage statistics",
        "summary": "Monthly and daily totals, success rates and latency.",
        "text": """
`stats_get` returns, for a month (`YYYY-MM`, UTC) from its 1st through the day `to`
(`YYYY-MM-DD`, default today; the month defaults to that day's), total calls, successes,
failures, average latency of writes, a daily breakdown (the days with calls) and a breakdown
by key (the owner key is `owner`), for one endpoint or the whole account, one environment or
both. "This month through yesterday" is `to` = yesterday's date. Statistics come from daily counters, so archived and
deleted logs still count.
""",
    },
    "archives": {
        "title": "Archives",
        "summary": "Production logs older than 30 days, as daily files.",
        "text": """
Production call logs older than 30 days move into one file per endpoint per UTC day,
downloadable as `.jsonl.gz` or `.csv`. `archives_list` lists the files; `archives_download`
(`endpoint`, `date` `YYYY-MM-DD`, `format` `jsonl`/`csv`) returns a signed URL valid for 15
minutes that needs no key; `logs_fetch_archived` finds one call in them. Sandbox logs and records
are deleted after 30 days instead. Deleting an archive file is done in the dashboard.
""",
    },
    "collaborators": {
        "title": "Collaborators",
        "summary": "Sharing an endpoint through collaboration keys and invitations.",
        "text": """
Create a collaboration key with the rights it needs (`collaborators_create_key`), then invite
people to it by email (`collaborators_invite`). An invitation is pending until accepted,
revoked or expired (after 7 days). Accepting needs signing in or signing up with the invited
address; the endpoint then shows in that account as *shared*, with the key's permissions, and
the collaborator sees only the calls made with their key.
""",
    },
    "plans": {
        "title": "Plans and quotas",
        "summary": "Calls per 30-day cycle, prices and overage.",
        "text": """
Default plans (an instance can configure its own):

| plan | calls / 30 days | price | notes |
|---|---|---|---|
| free | 1,000 | $0 | endpoints are deleted 7 days after creation |
| basic | 30,000 | $10 | |
| pro | 300,000 | $30 | |
| enterprise | 1,000,000 | $100 | calls past the limit allowed, billed at $0.0005 each |

Every logged data-plane call counts, in both environments, failures included; calls refused
with 429 do not. Past the limit a call is refused with 429 `quota_exceeded` (enterprise goes on
and counts overage). `subscription_get` shows the plan, cycle dates, usage and what remains. Changing
or cancelling a plan is done by a person in the dashboard when the instance allows self-service
(`MINAPI_SELF_SERVICE_PLANS`), otherwise by an instance admin (`minapi users set-plan EMAIL PLAN`).
""",
    },
    "mcp": {
        "title": "MCP: connecting an AI assistant",
        "summary": "The MCP server at /api/mcp, its tools and what AI can never do.",
        "text": """
minapi is an MCP server at `POST /api/mcp` (Streamable HTTP). Claude Code, Cursor and other
local tools connect with an MCP key in the `x-api-key` header:

```json
{"mcpServers": {"minapi": {"type": "http", "url": "<BASE_URL>/api/mcp",
                           "headers": {"x-api-key": "tm_mcp_…"}}}}
```

Claude.ai and ChatGPT connect with OAuth instead (topic `oauth`). Every non-destructive
action is a tool named `<family>_<action>`. Read tools need `mcp:read`, the others
`mcp:write`. Destructive actions (deleting endpoints, keys or archives, regenerating keys,
changing plans) are never MCP tools and are refused to every AI credential: a signed-in
person does them in the dashboard.
""",
    },
    "oauth": {
        "title": "OAuth for Claude.ai and ChatGPT",
        "summary": "How hosted AI clients connect, consent and get revoked.",
        "text": """
Add `<BASE_URL>/api/mcp` as a custom connector. The client discovers the authorization server
from `/.well-known/oauth-protected-resource/api/mcp`, registers itself (dynamic registration
or a Client ID Metadata Document), and sends you to a consent page where you choose read-only
or read and write. Tokens are bound to the MCP server's URL, short-lived and refreshed with
rotation. You can see and revoke connected clients in the dashboard under Settings → AI.
Hosts without a browser can use the device login instead.
""",
    },
    "safety": {
        "title": "Safety: activity, the AI write freeze, policies and quota",
        "summary": "What a person sees of AI actions, and how they stop or narrow them.",
        "text": """
Every action on your account is on the activity trail (`activity_search`, and the dashboard's
Settings → Activity): who (a person, an MCP key's label, an OAuth client's name), which surface,
which tool, the outcome and error code, and the arguments without record data or secrets.
Refusals are there too. Rows are kept 90 days.

A person can **freeze AI writes** in Settings → AI: every write tool then answers
`ai_writes_frozen` until they lift it; reads still work, and `help` and `subscription_get`
say `ai_writes_frozen: true`. Do not retry a frozen write: tell the person.

Each MCP key and OAuth connection can be **narrowed** by a person: read-only, some endpoints
only, or the sandbox environment only. A call outside it answers `outside_policy` with the
rule (`access`, `endpoints`, `environments`); `endpoints_list` shows only allowed endpoints,
and tools with an `endpoint` argument must name one of them.

Every tool result carries `_meta["minapi/quota"]` = `{used, limit, remaining, cycle_ends}`:
warn the person before the plan's calls run out.
""",
    },
}
