"""Running the app for real: migrations, then gunicorn with the app preloaded, and one job worker.

A web worker that stops (SIGTERM, a restart) writes the data-plane reads and activity rows
still waiting in it (`app.deferred`) on its way out.

The job worker is a separate `minapi worker` process started by gunicorn's master once it is
ready, restarted if it exits on its own, and stopped (SIGTERM: the current job finishes)
when the master stops. On Linux it is also told to stop if the master dies outright.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading

from flask import Flask

log = logging.getLogger(__name__)
RESTART_DELAY = 1.0
STOP_TIMEOUT = 30


def upgrade_database() -> None:
    """Apply every pending migration (inside an app context)."""
    from flask_migrate import upgrade

    upgrade()


class WorkerProcess:
    """`minapi worker` beside the web server, for the one-machine setup."""

    def __init__(self, app: Flask):
        self.env = dict(os.environ, MINAPI_INSTANCE_PATH=app.instance_path)
        self.proc: subprocess.Popen | None = None
        self.stopping = threading.Event()
        self.watcher: threading.Thread | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], env=self.env,
                                     preexec_fn=_death_signal())
        log.info("job worker started (pid %s)", self.proc.pid)
        if self.watcher is None:
            self.watcher = threading.Thread(target=self._watch, name="minapi-worker-watch", daemon=True)
            self.watcher.start()

    def _watch(self) -> None:
        while not self.stopping.wait(RESTART_DELAY):
            if self.proc is not None and self.proc.poll() is not None and not self.stopping.is_set():
                log.warning("job worker exited with %s; starting a new one", self.proc.returncode)
                self.start()

    def stop(self) -> None:
        self.stopping.set()
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:  # its job will be taken again after the visibility timeout
            self.proc.kill()
            self.proc.wait()


def _death_signal():
    """Linux: a preexec_fn asking for SIGTERM when the server's master dies without stopping us.

    Resolved here, in the parent: the child between fork and exec must not import anything.
    """
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return lambda: prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def run_gunicorn(app: Flask, *, host: str, port: int, workers: int, threads: int = 8,
                 with_worker: bool = True, access_log: bool = True) -> None:
    from gunicorn.app.base import BaseApplication

    from app import deferred, metrics
    from app.extensions import db
    from app.writer import group_commit_for

    metrics_dir = metrics.prepare_multiprocess() if metrics.enabled(app) else None  # before any fork
    job_worker = WorkerProcess(app) if with_worker else None

    class Server(BaseApplication):
        def load_config(self):
            settings = {
                "bind": f"{host}:{port}",
                # Room for any URL the app answers itself (a long cursor gets a JSON 400 from the
                # app, not gunicorn's 414); 8190 is gunicorn's ceiling for the request line.
                "limit_request_line": 8190,
                "limit_request_field_size": 16384,
                "workers": workers,
                # gthread: MCP calls and slow clients do not block a whole worker. One thread is
                # gunicorn's sync worker: one request at a time per process, no keep-alive.
                "threads": threads,
                "worker_class": "gthread" if threads > 1 else "sync",
                "preload_app": True,
                "timeout": 60,
                "graceful_timeout": 20,
                "accesslog": "-" if access_log else None,
                "post_fork": _post_fork,
                # A worker's last step: the reads and activity rows still waiting in it are written.
                "worker_exit": lambda server, worker: deferred.flush_all(),
                "child_exit": lambda server, worker: metrics.process_exited(worker.pid),
            }
            if job_worker is not None:
                settings.update(when_ready=lambda server: job_worker.start(),
                                on_exit=lambda server: job_worker.stop())
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self):
            return app

    def _post_fork(server, worker):
        # Connections opened in the master must not be shared by forked workers.
        with app.app_context():
            db.engine.dispose(close=False)

    app.extensions["minapi.mcp"].preload()  # the MCP SDK, imported once in the master, shared by forks
    group = group_commit_for(app)
    if group is not None:  # SQLite: a sync worker has no concurrent calls to group
        group.inline = threads == 1
    with app.app_context():
        db.engine.dispose()
    json_error_pages()
    try:
        Server().run()
    finally:
        metrics.remove_multiprocess(metrics_dir)


GUNICORN_CODES = {400: "bad_request", 403: "forbidden", 414: "request_line_too_long",
                  417: "expectation_failed", 431: "headers_too_large", 500: "internal_error",
                  501: "not_implemented"}


def json_error_pages() -> None:
    """gunicorn answers requests it cannot parse (a request line or header over its limits, a
    malformed request) itself, with an HTML page. Here that answer is the SPEC's error shape,
    with a short message. Set in the master before it forks the workers."""
    import json

    from gunicorn import util

    def write_error(sock, status_int, reason, mesg):
        body = json.dumps({"error": {"code": GUNICORN_CODES.get(status_int, "bad_request"),
                                     "message": f"{reason}: {mesg}"[:200]}}).encode()
        head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1")
        util.write_nonblock(sock, head + body)

    util.write_error = write_error
