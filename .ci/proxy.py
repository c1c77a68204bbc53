#!/usr/bin/env python3
"""Loopback credential-injecting reverse proxy for MCP Streamable HTTP.

    python3 proxy.py LISTEN_PORT UPSTREAM_URL KEY

Listens on 127.0.0.1:LISTEN_PORT and forwards every request (any method,
path and query kept as-is) to UPSTREAM_URL's scheme://host:port, adding
`x-api-key: KEY` (replacing any x-api-key the client sent). Everything else
is passed through untouched, in particular Host and Origin, so a server's
DNS-rebinding protection still sees what the client really sent.
Responses are streamed: each chunk the upstream sends (e.g. one SSE event)
is written and flushed to the client at once, so text/event-stream works.

So a client pointed at http://127.0.0.1:LISTEN_PORT<path of UPSTREAM_URL>
reaches UPSTREAM_URL with the key. Standard library only (Python >= 3.8).
Prints "proxy ready ..." on stdout once listening; logs one line per request
on stderr. Stop it with SIGTERM/SIGINT.
"""

import http.client
import signal
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Hop-by-hop headers (RFC 9110 7.6.1) are per-connection: never forwarded.
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
}
CHUNK = 64 * 1024


def make_handler(upstream, key):
    scheme = upstream.scheme
    up_host = upstream.hostname
    up_port = upstream.port or (443 if scheme == "https" else 80)
    conn_cls = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive + chunked towards the client
        server_version = "mcp-key-proxy"
        disable_nagle_algorithm = True  # flush small SSE writes immediately

        def log_message(self, fmt, *args):  # quieter, one line per request
            pass

        def _read_request_body(self):
            te = (self.headers.get("Transfer-Encoding") or "").lower()
            if "chunked" in te:
                parts = []
                while True:
                    size_line = self.rfile.readline()
                    size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                    if size == 0:
                        # consume optional trailers up to the blank line
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        break
                    parts.append(self.rfile.read(size))
                    self.rfile.readline()  # CRLF after each chunk
                return b"".join(parts)
            length = self.headers.get("Content-Length")
            if length:
                return self.rfile.read(int(length))
            return None

        def _proxy(self):
            t0 = time.monotonic()
            status = "-"
            try:
                body = self._read_request_body()
                conn_tokens = {
                    t.strip().lower()
                    for t in (self.headers.get("Connection") or "").split(",")
                    if t.strip()
                }
                up = conn_cls(up_host, up_port, timeout=None)
                # skip_host: we send the client's own Host header verbatim.
                up.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                saw_host = False
                for name, value in self.headers.items():
                    low = name.lower()
                    if low in HOP_BY_HOP or low in conn_tokens or low == "x-api-key":
                        continue
                    if low == "content-length":
                        continue  # re-set below from the (de-chunked) body
                    if low == "host":
                        saw_host = True
                    up.putheader(name, value)
                if not saw_host:  # HTTP/1.1 needs one; only then synthesize it
                    up.putheader("Host", upstream.netloc)
                up.putheader("x-api-key", key)
                if body is not None:
                    up.putheader("Content-Length", str(len(body)))
                up.endheaders(body)
                resp = up.getresponse()
                status = resp.status

                no_body = self.command == "HEAD" or resp.status in (204, 304) or resp.status < 200
                length = resp.getheader("Content-Length")
                chunked_out = not no_body and length is None
                self.send_response_only(resp.status, resp.reason)
                resp_conn_tokens = {
                    t.strip().lower() for t in (resp.getheader("Connection") or "").split(",") if t.strip()
                }
                for name, value in resp.getheaders():
                    low = name.lower()
                    if low in HOP_BY_HOP or low in resp_conn_tokens:
                        continue
                    self.send_header(name, value)
                if chunked_out:
                    self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                self.wfile.flush()

                if not no_body:
                    while True:
                        # read1 returns as soon as *some* bytes are available:
                        # this is what keeps SSE events flowing one by one.
                        data = resp.read1(CHUNK)
                        if not data:
                            break
                        if chunked_out:
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                        else:
                            self.wfile.write(data)
                        self.wfile.flush()
                    if chunked_out:
                        self.wfile.write(b"0\r\n\r\n")
                        self.wfile.flush()
                resp.close()
                up.close()
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # client went away mid-stream
            except (OSError, http.client.HTTPException) as exc:
                self.close_connection = True
                status = 502
                msg = ('{"error":"proxy: upstream failed: %s"}' % str(exc).replace('"', "'")).encode()
                try:
                    self.send_response_only(502, "Bad Gateway")
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(msg)))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(msg)
                    self.wfile.flush()
                except OSError:
                    pass
            finally:
                sys.stderr.write(
                    "proxy: %s %s -> %s (%.0f ms)\n"
                    % (self.command, self.path, status, (time.monotonic() - t0) * 1000)
                )
                sys.stderr.flush()

        do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_OPTIONS = do_HEAD = _proxy

    return Handler


def main(argv):
    if len(argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    listen_port = int(argv[1])
    upstream = urllib.parse.urlsplit(argv[2])
    if upstream.scheme not in ("http", "https") or not upstream.hostname:
        sys.stderr.write("proxy: UPSTREAM_URL must be http(s)://host[:port][/path]\n")
        return 2
    key = argv[3]

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        allow_reuse_address = True

    srv = Server(("127.0.0.1", listen_port), make_handler(upstream, key))

    def stop(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(
        "proxy ready: http://127.0.0.1:%d%s -> %s://%s%s"
        % (listen_port, upstream.path or "/", upstream.scheme, upstream.netloc, upstream.path or "/"),
        flush=True,
    )
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
