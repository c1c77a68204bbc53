"""Prometheus metrics: what is counted, where, and how `/metrics` renders it.

Counted in three places only, each a line or two: the WSGI middleware installed by `install`
(every request by route family and status, its latency, and data-plane calls by outcome),
the MCP adapter (tool calls by tool and outcome) and the webhook delivery job (deliveries by
outcome). The job queue is read from the database when `/metrics` is scraped.

Under gunicorn, each worker process keeps its own numbers; `minapi serve` points
`PROMETHEUS_MULTIPROC_DIR` at a fresh folder before any worker starts (see `prepare_multiprocess`)
and `/metrics` adds up every process's files. `prometheus_client` is imported on first use,
never at import time, because it decides single- or multi-process mode when it is imported.
Nothing is counted unless `MINAPI_METRICS_TOKEN` is set.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
FAMILIES = (  # path prefix → route family, first match wins
    ("/api/v1/data/", "data"), ("/api/mcp", "mcp"), ("/api/", "rest"), ("/oauth", "auth"),
    ("/.well-known/", "auth"), ("/v1/auth/", "auth"), ("/healthz", "ops"), ("/readyz", "ops"),
    ("/metrics", "ops"), ("/static/", "static"),
)


def enabled(app) -> bool:
    return bool(app.config.get("METRICS_TOKEN"))


def prepare_multiprocess() -> str | None:
    """For `minapi serve`: an empty folder for every process's metric files, named in the
    environment before gunicorn forks. An operator's own `PROMETHEUS_MULTIPROC_DIR` is emptied
    instead (prometheus_client requires it between runs). Returns the folder to remove at exit
    (None for the operator's own)."""
    folder = os.environ.get(MULTIPROC_ENV)
    if folder:
        os.makedirs(folder, exist_ok=True)
        for name in os.listdir(folder):
            if name.endswith(".db"):
                os.unlink(os.path.join(folder, name))
        return None
    folder = os.environ[MULTIPROC_ENV] = tempfile.mkdtemp(prefix="minapi-metrics-")
    return folder


def remove_multiprocess(folder: str | None) -> None:
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


def process_exited(pid: int) -> None:
    """gunicorn's `child_exit`: let prometheus_client forget a dead worker's live gauges."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


_made: dict = {}
_making = threading.Lock()


def _m() -> dict:
    """The metric objects, made once per process on first use (after `PROMETHEUS_MULTIPROC_DIR`
    is settled). Made twice, two objects would write the same file and lose each other's counts."""
    if not _made:
        with _making:
            if not _made:
                _made.update(_new_metrics())
    return _made


def _new_metrics() -> dict:
    from prometheus_client import CollectorRegistry, Counter, Histogram

    reg = CollectorRegistry(auto_describe=True)  # ours only; not the process-wide default
    return {
        "registry": reg,
        "requests": Counter("minapi_http_requests", "HTTP requests by route family and status",
                            ["family", "status"], registry=reg),
        "latency": Histogram("minapi_http_request_duration_seconds", "HTTP request latency by route family",
                             ["family"], buckets=LATENCY_BUCKETS, registry=reg),
        "data": Counter("minapi_data_calls", "Data-plane calls by outcome", ["outcome"], registry=reg),
        "tools": Counter("minapi_mcp_tool_calls", "MCP tool calls by tool and outcome (an error code)",
                         ["tool", "outcome"], registry=reg),
        "tool_latency": Histogram("minapi_mcp_tool_call_duration_seconds", "MCP tool call latency by tool",
                                  ["tool"], buckets=LATENCY_BUCKETS, registry=reg),
        "webhooks": Counter("minapi_webhook_deliveries", "Webhook delivery attempts by outcome",
                            ["outcome"], registry=reg),
    }


def family_of(path: str) -> str:
    for prefix, family in FAMILIES:
        if path.startswith(prefix):
            return family
    return "dashboard"


def data_outcome(status: int) -> str:
    if status < 400:
        return "success"
    if status == 429:
        return "rate_limited"
    return "failed" if status < 500 else "error"


class Instrumented:
    """WSGI middleware, outermost: one counter, one histogram (and for `/api/v1/data/` one more
    counter) per request. Latency is the time to the response's status and headers (for a
    streamed MCP answer, to its first byte)."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.children: dict = {}  # (family, status) → its metric children: `.labels()` is the slow part

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        family = family_of(environ.get("PATH_INFO", ""))
        seen = []

        def recording_start_response(status, headers, exc_info=None):
            seen.append(status)
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, recording_start_response)
        if seen:  # the usual case (Flask, the data plane): the headers are ready, so is the latency
            self.record(family, seen, started)
            return body
        return _Closing(body, lambda: self.record(family, seen, started))  # a lazy app: at the end

    def record(self, family: str, seen: list, started: float) -> None:
        status = seen[-1][:3] if seen else "500"
        children = self.children.get((family, status))
        if children is None:
            m = _m()
            children = self.children[(family, status)] = (
                m["requests"].labels(family, status), m["latency"].labels(family),
                m["data"].labels(data_outcome(int(status))) if family == "data" else None)
        requests, latency, data = children
        requests.inc()
        latency.observe(time.perf_counter() - started)
        if data is not None:
            data.inc()


class _Closing:
    """The response body, passed through, calling `done` once when the server closes it."""

    def __init__(self, body, done):
        self.body, self.done = body, done

    def __iter__(self):
        return iter(self.body)

    def close(self):
        try:
            if hasattr(self.body, "close"):
                self.body.close()
        finally:
            self.done()


def install(app) -> None:
    """Count requests when metrics are on (off: nothing is wrapped, nothing costs)."""
    if enabled(app):
        app.wsgi_app = Instrumented(app.wsgi_app)
    app.extensions["minapi.metrics"] = enabled(app)


def tool_call(app, tool: str, outcome: str, seconds: float) -> None:
    """One MCP tool call: `outcome` is `success` or the error code."""
    if app.extensions.get("minapi.metrics"):
        m = _m()
        m["tools"].labels(tool, outcome).inc()
        m["tool_latency"].labels(tool).observe(seconds)


def webhook_delivery(app, outcome: str) -> None:
    """One webhook attempt: `delivered`, `retrying` or `failed` (no tries left)."""
    if app.extensions.get("minapi.metrics"):
        _m()["webhooks"].labels(outcome).inc()


def render(queue: dict) -> bytes:
    """The Prometheus text of every process's metrics plus the job queue gauges."""
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.core import GaugeMetricFamily

    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
    else:
        counted = _m()["registry"]

    class Queue:
        def collect(self):
            depth = GaugeMetricFamily("minapi_jobs", "Jobs waiting or running, by state", labels=["state"])
            for state, count in queue["counts"].items():
                depth.add_metric([state], count)
            yield depth
            yield GaugeMetricFamily("minapi_jobs_oldest_due_seconds",
                                    "Age of the oldest job due and not yet taken (0 when none)",
                                    value=queue["oldest_due_seconds"])

    gauges = CollectorRegistry()
    gauges.register(Queue())
    return generate_latest(counted) + generate_latest(gauges)
