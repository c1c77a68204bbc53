"""Outbound HTTP to URLs that users choose (webhooks, Slack and Discord hooks), guarded against SSRF.

The host is resolved once and every address it resolves to must be public (not private,
loopback, link-local, shared, multicast, reserved or unspecified) unless
`MINAPI_WEBHOOK_ALLOW_PRIVATE` is true. The connection then goes to the address that was
checked, with the URL's host kept in the `Host` header and in TLS (SNI and the certificate
check), so a DNS answer that changes between the check and the connect (DNS rebinding)
cannot send the request elsewhere. Redirects are never followed and proxy settings from the
environment are ignored (a proxy would connect by name, unchecked).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit, urlunsplit

from app.jobs.registry import Permanent

USER_AGENT = "minapi-webhooks/1"


class OutboundError(Exception):
    """A request did not succeed: `status` is the HTTP status when there was a response."""

    def __init__(self, error: str, status: int | None = None):
        super().__init__(error)
        self.error = error
        self.status = status


class TargetRefused(OutboundError, Permanent):
    """The URL is not allowed (bad scheme, or a non-public address); retrying will not help."""


def check_url(url: str):
    """The parts of `url` if it is an absolute http(s) URL without credentials; else TargetRefused."""
    try:
        parts = urlsplit(str(url))
        port = parts.port
    except ValueError:
        raise TargetRefused(f"not a valid URL: {url!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused("only absolute http:// and https:// URLs can be called")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("credentials in the URL are not supported; use an auth header")
    return parts, port or (443 if parts.scheme == "https" else 80)


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if ip.version == 6 and ip.ipv4_mapped is not None:  # ::ffff:127.0.0.1 is 127.0.0.1
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def resolve(host: str, port: int, *, allow_private: bool) -> str:
    """One address of `host` to connect to, after checking all of them."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise OutboundError(f"cannot resolve {host}: {exc}") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise OutboundError(f"cannot resolve {host}")
    if not allow_private:
        refused = [a for a in addresses if not is_public(a)]
        if refused:
            raise TargetRefused(f"{host} resolves to a non-public address ({refused[0]}); set "
                                "MINAPI_WEBHOOK_ALLOW_PRIVATE=true to allow private targets")
    return addresses[0]


def post_json(url: str, body: bytes, headers: dict, *, timeout: float, allow_private: bool) -> int:
    """POST `body` (JSON bytes) to `url`; the 2xx status, else OutboundError / TargetRefused."""
    parts, port = check_url(url)
    address = resolve(parts.hostname, port, allow_private=allow_private)
    netloc = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
    pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    own = {"Host": parts.netloc, "Content-Type": "application/json", "User-Agent": USER_AGENT}
    reserved = {name.lower() for name in own} | {"content-length", "transfer-encoding", "connection"}
    sent_headers = {**{k: v for k, v in headers.items() if k.lower() not in reserved}, **own}
    extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
    import httpx  # here, not at the top: only the worker sends, and commands start faster without it

    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            request = client.build_request("POST", pinned, content=body, headers=sent_headers,
                                           extensions=extensions)
            response = client.send(request, stream=True)
            response.close()  # the body is not needed; do not read what an endpoint sends back
    except httpx.TimeoutException:
        raise OutboundError(f"no answer within {timeout:g} s") from None
    except httpx.HTTPError as exc:
        raise OutboundError(f"connection failed: {type(exc).__name__}: {exc}"[:300]) from None
    status = response.status_code
    if 300 <= status < 400:
        raise OutboundError(f"HTTP {status}: redirects are not followed", status)
    if not 200 <= status < 300:
        raise OutboundError(f"HTTP {status}", status)
    return status
