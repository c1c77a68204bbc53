"""Configuration: defaults, the instance folder, `MINAPI_*` variables; validated at start-up.

Order (later wins): the defaults below, `<instance>/config.py` if present, the
environment (`MINAPI_FOO` -> `FOO`, values parsed as JSON when they look like it),
then the mapping given to `create_app` (tests). `validate` turns the raw values
into typed ones and raises `ConfigError` listing every problem at once: there are
no silent fallbacks.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from email.utils import parseaddr
from urllib.parse import urlsplit

from flask import Flask


class ConfigError(RuntimeError):
    """The instance cannot start with this configuration."""


DEFAULT_PLANS = {
    "free": {"calls": 1_000, "price": 0, "overage_price": None, "endpoint_lifetime_days": 7},
    "basic": {"calls": 30_000, "price": 10, "overage_price": None, "endpoint_lifetime_days": None},
    "pro": {"calls": 300_000, "price": 30, "overage_price": None, "endpoint_lifetime_days": None},
    "enterprise": {"calls": 1_000_000, "price": 100, "overage_price": 0.0005,
                   "endpoint_lifetime_days": None},
}

DEFAULTS = {
    "DATABASE_URL": None,  # None: SQLite file in the instance folder
    "SECRET_KEY": None,  # None: generated once and kept in the instance folder
    "BASE_URL": "http://127.0.0.1:8000",
    "PLUGINS": None,  # None: every built-in plugin
    "SIGNUP_OPEN": True,
    "DEFAULT_PLAN": "free",
    "PLANS": DEFAULT_PLANS,
    "REDIS_URL": None,
    "DATA_RATE_LIMIT": "100/second",
    "ARCHIVE_URL": None,  # None: the `archives` folder in the instance folder
    "S3_ENDPOINT_URL": None,  # an S3-compatible server for s3:// archives (None: AWS)
    "SELF_SERVICE_PLANS": False,  # people may change their own plan in the dashboard
    "OAUTH_ACCESS_TOKEN_TTL": 3600,  # seconds
    "OAUTH_REFRESH_TOKEN_TTL": 30 * 24 * 3600,
    "OAUTH_REFRESH_GRACE_SECONDS": 30,  # a concurrent reuse of a rotated refresh token is tolerated
    "OAUTH_REGISTER_RATE_LIMIT": "100/hour",  # per IP (hosted clients register on every connection)
    "OAUTH_TOKEN_RATE_LIMIT": "60/minute",  # per IP
    "DEVICE_RATE_LIMIT": "10/minute",  # device codes made, per IP
    "DEVICE_POLL_RATE_LIMIT": "60/minute",  # polls, per IP
    "MCP_EXCHANGE_RATE_LIMIT": "10/hour",  # keys minted by /v1/auth/mcp-exchange, per account
    "ALLOWED_MCP_CLIENT_IDS": None,  # None or empty: /v1/auth/mcp-exchange is disabled
    "CIMD_ALLOW_PRIVATE_ADDRESSES": False,  # tests only: fetch client metadata from loopback/private hosts
    "CIMD_CA_FILE": None,  # extra CA bundle for client metadata documents (private CAs, tests)
    "TRUSTED_PROXIES": 0,  # reverse-proxy hops whose X-Forwarded-For/-Proto/-Host are believed (ProxyFix)
    # Background work (SPEC §6); durations in seconds.
    "WORKER_POLL_INTERVAL": 1.0,  # how often an idle worker looks for due jobs
    "JOB_VISIBILITY_TIMEOUT": 300,  # a running job locked longer than this is taken again
    "JOB_BACKOFF_BASE": 30,  # first retry delay; each next one is 4 times longer
    "JOB_BACKOFF_MAX": 43_200,  # longest retry delay (12 h)
    "ACTIVITY_ENABLED": True,  # the activity trail (SPEC §10); off only to measure what it costs
    "WEBHOOK_ALLOW_PRIVATE": False,  # allow webhooks to private, loopback, link-local addresses
    "WEBHOOK_TIMEOUT": 10,
    "SMTP_URL": None,  # None: mail goes to <instance>/outbox/
    "MAIL_FROM": None,  # None: minapi <noreply@BASE_URL host>
    "TELEGRAM_API_URL": "https://api.telegram.org",
    "NOTIFY_THROTTLE": 900,  # at most one notification per endpoint, environment and kind
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "minapi_session",
    "WTF_CSRF_CHECK_DEFAULT": False,  # forms and session-authenticated API calls check explicitly
    "WTF_CSRF_TIME_LIMIT": None,  # token lives as long as the session
    "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    "METRICS_TOKEN": None,  # None: GET /metrics is off; else the bearer token it requires
}

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def instance_path_from(config: dict | None) -> str | None:
    """The instance folder chosen by the caller or `MINAPI_INSTANCE_PATH`, else Flask's default."""
    if config and config.get("INSTANCE_PATH"):
        return str(config["INSTANCE_PATH"])
    return os.environ.get("MINAPI_INSTANCE_PATH") or None


def load(app: Flask, overrides: dict | None) -> None:
    """Fill `app.config` from every source, then validate it."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile(os.path.join(app.instance_path, "config.py"), silent=True)
    app.config.from_prefixed_env("MINAPI")
    app.config.pop("INSTANCE_PATH", None)
    if overrides:
        app.config.from_mapping({k: v for k, v in overrides.items() if k != "INSTANCE_PATH"})
    validate(app)


def validate(app: Flask) -> None:
    cfg, problems = app.config, []

    def check(fn):
        try:
            fn()
        except (ValueError, TypeError) as exc:
            problems.append(str(exc))

    check(lambda: _database(app))
    check(lambda: cfg.update(BASE_URL=_base_url(cfg["BASE_URL"])))
    check(lambda: cfg.update(SIGNUP_OPEN=as_bool("SIGNUP_OPEN", cfg["SIGNUP_OPEN"])))
    check(lambda: cfg.update(PLUGINS=_plugin_names(cfg["PLUGINS"])))
    check(lambda: _plans(cfg))
    check(lambda: _rate_limit(cfg))
    check(lambda: _redis(cfg))
    check(lambda: cfg.update(SELF_SERVICE_PLANS=as_bool("SELF_SERVICE_PLANS", cfg["SELF_SERVICE_PLANS"])))
    check(lambda: cfg.update(ACTIVITY_ENABLED=as_bool("ACTIVITY_ENABLED", cfg["ACTIVITY_ENABLED"])))
    check(lambda: _archives(app))
    check(lambda: _oauth(cfg))
    check(lambda: _trusted_proxies(cfg))
    check(lambda: _background(cfg))
    check(lambda: cfg.update(METRICS_TOKEN=_metrics_token(cfg["METRICS_TOKEN"])))
    if problems:
        raise ConfigError("invalid configuration:\n  - " + "\n  - ".join(problems))
    _secret_key(app)
    cfg["SESSION_COOKIE_SECURE"] = cfg["BASE_URL"].startswith("https://")


def as_bool(name: str, value) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValueError(f"MINAPI_{name} must be true or false, not {value!r}")


def _database(app: Flask) -> None:
    url = app.config["DATABASE_URL"]
    if not url:
        url = "sqlite:///" + os.path.join(app.instance_path, "minapi.db")
    url = str(url)
    scheme = url.split(":", 1)[0]
    if scheme in ("postgres", "postgresql"):
        url = "postgresql+psycopg:" + url.split(":", 1)[1]
    elif scheme not in ("sqlite", "postgresql+psycopg"):
        raise ValueError(f"MINAPI_DATABASE_URL must be sqlite:/// or postgresql://, not {scheme}://")
    app.config["DATABASE_URL"] = url
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    options = {"pool_pre_ping": True}
    if url.startswith("sqlite"):
        options = {"connect_args": {"timeout": 30}}
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", options)


def _base_url(value) -> str:
    text = str(value or "").strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"MINAPI_BASE_URL must be an absolute http(s) URL, not {value!r}")
    return text


def _plugin_names(value) -> list[str] | None:
    if value is None:
        return None
    names = value if isinstance(value, list) else str(value).split(",")
    names = [str(n).strip() for n in names if str(n).strip()]
    if not names:
        raise ValueError("MINAPI_PLUGINS is set but names no plugin")
    return names


def _plans(cfg) -> None:
    plans = cfg["PLANS"]
    if not isinstance(plans, dict) or not plans:
        raise ValueError("MINAPI_PLANS must be a non-empty JSON object of plans")
    for name, plan in plans.items():
        if not isinstance(plan, dict) or not isinstance(plan.get("calls"), int) or plan["calls"] < 0:
            raise ValueError(f"plan {name!r} needs a whole number of 'calls'")
    if cfg["DEFAULT_PLAN"] not in plans:
        raise ValueError(f"MINAPI_DEFAULT_PLAN {cfg['DEFAULT_PLAN']!r} is not one of the plans")


def _rate_limit(cfg) -> None:
    from limits import parse_many

    for name in RATE_LIMIT_KEYS:
        try:
            parse_many(str(cfg[name]))
        except ValueError:
            raise ValueError(f"MINAPI_{name} is not a rate limit: {cfg[name]!r}") from None


RATE_LIMIT_KEYS = ("DATA_RATE_LIMIT", "OAUTH_REGISTER_RATE_LIMIT", "OAUTH_TOKEN_RATE_LIMIT",
                   "DEVICE_RATE_LIMIT", "DEVICE_POLL_RATE_LIMIT", "MCP_EXCHANGE_RATE_LIMIT")


def _oauth(cfg) -> None:
    """The OAuth server's lifetimes, the exchange's allow-list and the CIMD fetch settings."""
    for name, low in (("OAUTH_ACCESS_TOKEN_TTL", 1), ("OAUTH_REFRESH_TOKEN_TTL", 1),
                      ("OAUTH_REFRESH_GRACE_SECONDS", 0)):
        value = cfg[name]
        if isinstance(value, bool) or not isinstance(value, int) and not str(value).strip().isdigit():
            raise ValueError(f"MINAPI_{name} must be a whole number of seconds, not {value!r}")
        cfg[name] = int(value)
        if cfg[name] < low:
            raise ValueError(f"MINAPI_{name} must be at least {low}")
    ids = cfg["ALLOWED_MCP_CLIENT_IDS"]
    ids = ids if isinstance(ids, list) else str(ids or "").split(",")
    ids = [str(i).strip() for i in ids if str(i).strip()]
    if any(len(i) > 128 for i in ids):
        raise ValueError("MINAPI_ALLOWED_MCP_CLIENT_IDS: a client id is at most 128 characters")
    cfg["ALLOWED_MCP_CLIENT_IDS"] = ids
    cfg["CIMD_ALLOW_PRIVATE_ADDRESSES"] = as_bool("CIMD_ALLOW_PRIVATE_ADDRESSES", cfg["CIMD_ALLOW_PRIVATE_ADDRESSES"])
    ca = cfg["CIMD_CA_FILE"]
    if ca and not os.path.isfile(str(ca)):
        raise ValueError(f"MINAPI_CIMD_CA_FILE is not a file: {ca!r}")


def _trusted_proxies(cfg) -> None:
    """`TRUSTED_PROXIES`: how many reverse proxies stand in front (0: forwarded headers are ignored)."""
    value = cfg["TRUSTED_PROXIES"]
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit() or int(text) > 10:
        raise ValueError(f"MINAPI_TRUSTED_PROXIES must be a whole number of proxy hops from 0 to 10, not {value!r}")
    cfg["TRUSTED_PROXIES"] = int(text)


def _redis(cfg) -> None:
    url = cfg["REDIS_URL"]
    if url and not str(url).startswith(("redis://", "rediss://", "unix://")):
        raise ValueError("MINAPI_REDIS_URL must start with redis://, rediss:// or unix://")


SECONDS = {  # setting: (smallest, largest)
    "WORKER_POLL_INTERVAL": (0.01, 60),
    "JOB_VISIBILITY_TIMEOUT": (0.1, 86_400),
    "JOB_BACKOFF_BASE": (0.001, 86_400),
    "JOB_BACKOFF_MAX": (0.001, 7 * 86_400),
    "WEBHOOK_TIMEOUT": (0.1, 60),
    "NOTIFY_THROTTLE": (0, 7 * 86_400),
}


def _seconds(name: str, value) -> float:
    low, high = SECONDS[name]
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = None
    if isinstance(value, bool) or number is None or not low <= number <= high:
        raise ValueError(f"MINAPI_{name} must be a number of seconds from {low} to {high}, not {value!r}")
    return number


def _background(cfg) -> None:
    for name in SECONDS:
        cfg[name] = _seconds(name, cfg[name])
    cfg["WEBHOOK_ALLOW_PRIVATE"] = as_bool("WEBHOOK_ALLOW_PRIVATE", cfg["WEBHOOK_ALLOW_PRIVATE"])
    if cfg["SMTP_URL"]:
        _smtp_url(str(cfg["SMTP_URL"]))
    if not cfg["MAIL_FROM"]:
        cfg["MAIL_FROM"] = f"minapi <noreply@{urlsplit(str(cfg['BASE_URL'])).hostname or 'localhost'}>"
    elif "@" not in parseaddr(str(cfg["MAIL_FROM"]))[1]:
        raise ValueError(f"MINAPI_MAIL_FROM must be an email address, not {cfg['MAIL_FROM']!r}")
    telegram = urlsplit(str(cfg["TELEGRAM_API_URL"] or ""))
    if telegram.scheme not in ("http", "https") or not telegram.netloc:
        raise ValueError("MINAPI_TELEGRAM_API_URL must be an absolute http(s) URL")
    cfg["TELEGRAM_API_URL"] = str(cfg["TELEGRAM_API_URL"]).rstrip("/")


def _metrics_token(value) -> str | None:
    """`MINAPI_METRICS_TOKEN`: unset or empty turns /metrics off; else a bearer token of 16+ characters."""
    token = "" if value is None else str(value).strip()
    if token and len(token) < 16:
        raise ValueError("MINAPI_METRICS_TOKEN must be at least 16 characters (or unset to turn /metrics off)")
    return token or None


def _smtp_url(url: str) -> None:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname or port == -1:
        raise ValueError("MINAPI_SMTP_URL must look like smtp://user:password@host:port "
                         "(or smtps:// for implicit TLS)")


def _archives(app: Flask) -> None:
    """`ARCHIVE_URL`: a folder (made absolute; default `<instance>/archives`) or `s3://bucket[/prefix]`."""
    cfg = app.config
    url = str(cfg["ARCHIVE_URL"] or os.path.join(app.instance_path, "archives")).strip()
    endpoint = cfg["S3_ENDPOINT_URL"]
    if endpoint and not _is_http_url(str(endpoint)):
        raise ValueError(f"MINAPI_S3_ENDPOINT_URL must be an http(s) URL, not {endpoint!r}")
    cfg["S3_ENDPOINT_URL"] = str(endpoint).rstrip("/") if endpoint else None
    if url.startswith("s3://"):
        bucket = url[len("s3://"):].split("/", 1)[0]
        if not bucket:
            raise ValueError(f"MINAPI_ARCHIVE_URL {url!r} names no bucket (s3://bucket/prefix)")
        cfg["ARCHIVE_URL"] = url.rstrip("/")
        return
    if url.startswith("file://"):
        url = url[len("file://"):]
    elif "://" in url:
        raise ValueError(f"MINAPI_ARCHIVE_URL must be a folder or s3://bucket/prefix, not {url!r}")
    cfg["ARCHIVE_URL"] = os.path.abspath(url)


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _secret_key(app: Flask) -> None:
    """Use the configured key, else the one kept in the instance folder, else make one."""
    key = app.config.get("SECRET_KEY")
    if key:
        key = str(key)
        if len(key) < 16:
            raise ConfigError("invalid configuration:\n  - MINAPI_SECRET_KEY must be at least 16 characters")
        app.config["SECRET_KEY"] = key
        return
    path = Path(app.instance_path) / "secret_key"
    try:  # O_EXCL: two processes starting together agree on one key
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    app.config["SECRET_KEY"] = path.read_text().strip()
