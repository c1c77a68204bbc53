"""Client ID Metadata Documents: an HTTPS `client_id` is the URL of the client's own metadata.

The document is fetched with a short timeout, a size cap and no redirects, from a
host whose every address is public (no loopback, private, link-local … unless
`CIMD_ALLOW_PRIVATE_ADDRESSES` is set, for tests). The connection goes to the very
address that was checked, so DNS cannot be re-pointed between check and fetch. The
document's `client_id` must equal its URL; its redirect URIs follow the registration rules;
it is a public client (`none`) or, with a `jwks_uri`, authenticates with a signed client
assertion (`private_key_jwt`, see `assertions`). It is cached in `oauth_clients` for as long
as its HTTP cache headers allow (at most a day; an hour when they say nothing).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import socket
import ssl
from datetime import timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit, urlunsplit

import httpx
from flask import current_app
from sqlalchemy import select

from app.auth.oauth.clients import ALL_SCOPES, AUTH_CODE, PRIVATE_KEY_JWT, REFRESH, redirect_uri_problem
from app.auth.oauth.models import CIMD, OAuthClient
from app.db import utcnow
from app.extensions import db

log = logging.getLogger(__name__)

TIMEOUT = 5.0
MAX_BYTES = 16 * 1024
DEFAULT_TTL = timedelta(hours=1)
MAX_TTL = timedelta(days=1)


class MetadataError(Exception):
    """The document could not be fetched or is not acceptable; the client is then unknown."""


def client_for(url: str) -> OAuthClient | None:
    """The cached client for this URL, re-fetched when the cache has expired; None if unusable."""
    client = db.session.scalar(select(OAuthClient).where(OAuthClient.client_id == url))
    if client is not None and client.kind != CIMD:
        return None
    if client is not None and client.metadata_expires_at and client.metadata_expires_at > utcnow():
        return client
    try:
        doc, ttl = fetch(url)
    except MetadataError as exc:
        log.info("client metadata document %s refused: %s", url, exc)
        return None
    if client is None:
        client = OAuthClient(client_id=url, kind=CIMD)
        db.session.add(client)
    client.client_name = str(doc.get("client_name") or urlsplit(url).hostname)[:200]
    client.client_uri = str(doc["client_uri"])[:512] if isinstance(doc.get("client_uri"), str) else None
    client.redirect_uris = json.dumps(doc["redirect_uris"])
    client.grant_types = " ".join(g for g in doc.get("grant_types") or [AUTH_CODE, REFRESH]
                                  if g in (AUTH_CODE, REFRESH))
    client.token_endpoint_auth_method = doc.get("token_endpoint_auth_method") or "none"
    client.jwks_uri = doc.get("jwks_uri") if client.token_endpoint_auth_method == PRIVATE_KEY_JWT else None
    client.scope = ALL_SCOPES
    client.metadata_expires_at = utcnow() + ttl
    db.session.flush()
    return client


def fetch(url: str) -> tuple[dict, timedelta]:
    """GET the document safely; returns (document, cache lifetime). Raises MetadataError."""
    body, ttl = fetch_bytes(url)
    return validate(url, body), ttl


def fetch_bytes(url: str) -> tuple[bytes, timedelta]:
    """GET an https URL under the SSRF guard, timeout and size cap; returns (body, cache lifetime)."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password or parts.fragment:
        raise MetadataError("the URL must be https, without credentials or fragment")
    address = checked_address(parts.hostname, parts.port or 443)
    host_literal = f"[{address}]" if ":" in address else address
    target = urlunsplit(("https", f"{host_literal}:{parts.port or 443}", parts.path, parts.query, ""))
    headers = {"Host": parts.netloc, "Accept": "application/json", "User-Agent": "minapi-cimd/1"}
    try:
        with httpx.Client(verify=ssl_context(), timeout=TIMEOUT, follow_redirects=False, trust_env=False) as http:
            with http.stream("GET", target, headers=headers, extensions={"sni_hostname": parts.hostname}) as resp:
                if resp.status_code != 200:
                    raise MetadataError(f"HTTP {resp.status_code} (redirects are not followed)")
                body = b""
                for chunk in resp.iter_bytes():
                    body += chunk
                    if len(body) > MAX_BYTES:
                        raise MetadataError(f"larger than {MAX_BYTES} bytes")
                cache_headers = resp.headers
    except httpx.HTTPError as exc:
        raise MetadataError(f"fetch failed: {exc.__class__.__name__}") from None
    return body, lifetime(cache_headers)


def ssl_context() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ca_file = current_app.config.get("CIMD_CA_FILE")
    if ca_file:
        ctx.load_verify_locations(cafile=ca_file)
    return ctx


def checked_address(host: str, port: int) -> str:
    """The first address of `host`, after checking that every address it has is public."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise MetadataError("the host does not resolve") from None
    addresses = [info[4][0] for info in infos]
    allow_private = current_app.config.get("CIMD_ALLOW_PRIVATE_ADDRESSES")
    for addr in addresses:
        ip = ipaddress.ip_address(addr.split("%", 1)[0])
        if not ip.is_global and not allow_private:
            raise MetadataError(f"the host resolves to a non-public address ({ip})")
    if not addresses:
        raise MetadataError("the host has no address")
    return addresses[0]


def validate(url: str, body: bytes) -> dict:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise MetadataError("not JSON") from None
    if not isinstance(doc, dict):
        raise MetadataError("not a JSON object")
    if doc.get("client_id") != url:
        raise MetadataError("its client_id is not its URL")
    uris = doc.get("redirect_uris")
    if not isinstance(uris, list) or not uris or not all(isinstance(u, str) and len(u) <= 512 for u in uris):
        raise MetadataError("redirect_uris must be a non-empty list of URLs")
    problem = redirect_uri_problem(uris)
    if problem:
        raise MetadataError(problem)
    method = doc.get("token_endpoint_auth_method", "none")
    if method not in ("none", PRIVATE_KEY_JWT):
        raise MetadataError("token_endpoint_auth_method must be none or private_key_jwt")
    if method == PRIVATE_KEY_JWT:
        jwks_uri = doc.get("jwks_uri")
        if not isinstance(jwks_uri, str) or len(jwks_uri) > 512 or urlsplit(jwks_uri).scheme != "https":
            raise MetadataError("a private_key_jwt client needs an https jwks_uri")
    if "client_secret" in doc:
        raise MetadataError("a metadata document must not carry a client_secret")
    return doc


def lifetime(headers) -> timedelta:
    """How long the document may be cached, from Cache-Control (or Expires); capped at a day."""
    control = headers.get("cache-control", "").lower()
    if "no-store" in control or "no-cache" in control:
        return timedelta(0)
    match = re.search(r"max-age=(\d+)", control)
    if match:
        return min(timedelta(seconds=int(match.group(1))), MAX_TTL)
    expires = headers.get("expires")
    if expires:
        try:
            return max(timedelta(0), min(parsedate_to_datetime(expires) - utcnow(), MAX_TTL))
        except (TypeError, ValueError):
            return timedelta(0)
    return DEFAULT_TTL
