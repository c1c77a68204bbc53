"""Real counterparts for background work: an HTTP receiver, an SMTP sink, `minapi worker` processes."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.live import free_port, minapi_exe


@dataclass
class Received:
    path: str
    headers: dict  # lower-case names
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)


class Receiver:
    """An HTTP server on 127.0.0.1 that records each POST and answers from a script of statuses.

    `statuses`: the answers to the first requests, then 200. `hold`: keep each request waiting
    until `release` is set (for killing a worker mid-delivery). `delay`: seconds per request.
    """

    def __init__(self, statuses=(), *, hold: bool = False, delay: float = 0.0):
        self.requests: list[Received] = []
        self.statuses = list(statuses)
        self.release = threading.Event()
        if not hold:
            self.release.set()
        self.arrived = threading.Event()
        self.delay = delay
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()},
                                                      body))
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                receiver.arrived.set()
                receiver.release.wait(60)
                if receiver.delay:
                    time.sleep(receiver.delay)
                with contextlib.suppress(OSError):
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class SmtpSink:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message it accepts."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        sink = self
        self.messages = []  # email.message.Message

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                from email import message_from_bytes, policy

                sink.messages.append(message_from_bytes(envelope.content, policy=policy.default))
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.url = f"smtp://127.0.0.1:{self.port}"

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


def wait_until(condition, timeout: float = 20.0, interval: float = 0.05, message: str = "condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {message}")


def worker_env(app, **settings) -> dict:
    """The environment under which a `minapi worker` process uses the test app's instance and database."""
    cfg = app.config
    env = dict(os.environ, MINAPI_INSTANCE_PATH=app.instance_path, MINAPI_SECRET_KEY=cfg["SECRET_KEY"],
               MINAPI_BASE_URL=cfg["BASE_URL"], MINAPI_DATABASE_URL=cfg["DATABASE_URL"].replace("+psycopg", ""),
               MINAPI_PLUGINS="builtin", MINAPI_WORKER_POLL_INTERVAL="0.05", MINAPI_JOB_BACKOFF_BASE="0.05")
    env.update({f"MINAPI_{k}": str(v).lower() if isinstance(v, bool) else str(v) for k, v in settings.items()})
    return env


@contextlib.contextmanager
def worker_process(env: dict):
    """`minapi worker` as an operator runs it; stopped with SIGTERM (or already killed) on exit."""
    proc = subprocess.Popen([minapi_exe(), "worker"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        proc.stderr.close()
