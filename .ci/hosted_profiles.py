#!/usr/bin/env python3
"""Hosted-client profiles: Claude.ai, ChatGPT, Claude Code, Cursor and VS Code, each reproduced
step by step against a running minapi, as the client really behaves (issue 12, SPEC §4 and §5).

    python .ci/hosted_profiles.py BASE_URL EMAIL PASSWORD
    python .ci/hosted_profiles.py --make-tls DIR

For every profile: discovery from the 401 (WWW-Authenticate resource_metadata and scope), the
protected-resource and authorization-server metadata, dynamic registration or a Client ID
Metadata Document, the authorization request with the client's parameters, sign-in and consent
as a browser posts them (accepting the page's defaults), the token, a refresh, then the MCP
requests with the protocol version and headers the client sends (`server/discover` first for
ChatGPT, `initialize` 2025-11-25), `tools/list`, one read tool and one write tool; then a second
authorization where the person picks read-only, whose write must be a clear 403
`insufficient_scope`. Every step is printed; the exit status is non-zero on any failure.

The account EMAIL / PASSWORD must exist (`minapi users create EMAIL --password PASSWORD`).

Server environment needed. The metadata documents (and ChatGPT's JWKS) are served by this
script over HTTPS on 127.0.0.1 with a throwaway self-signed certificate, so the server must
trust that certificate and allow fetching from a private address:

    python .ci/hosted_profiles.py --make-tls DIR      # before starting the server
    export MINAPI_CIMD_CA_FILE=DIR/cimd.crt MINAPI_CIMD_ALLOW_PRIVATE_ADDRESSES=true
    minapi serve ...                                   # with those two variables set
    python .ci/hosted_profiles.py BASE_URL EMAIL PASSWORD   # same environment: the script
                                                            # finds DIR/cimd.key beside the CA file

MINAPI_BASE_URL of the server must be BASE_URL (the issuer and the MCP resource).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import socket
import sys
import time
import uuid
from dataclasses import dataclass, field
from html import unescape
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the clone: its tests' helpers
from tests.app.auth.oauth.cimd_server import DocumentServer, self_signed  # noqa: E402

CLAUDE_CB = "https://claude.ai/api/mcp/auth_callback"
CHATGPT_CB = "https://chatgpt.com/connector_platform_oauth_redirect"
CURSOR_CBS = ["cursor://anysphere.cursor-mcp/oauth/callback", "https://www.cursor.com/agents/mcp/oauth/callback",
              "http://localhost:8787/callback"]
VERSION = "2025-11-25"
MODERN = "2026-07-28"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
READ_TOOL, WRITE_TOOL = "endpoints_list", "endpoints_create"


class Failure(Exception):
    pass


def expect(ok, message: str, resp: httpx.Response | None = None):
    if not ok:
        detail = f" (HTTP {resp.status_code}: {resp.text[:400]})" if resp is not None else ""
        raise Failure(message + detail)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the clients' own web server: metadata documents and a JWKS over HTTPS -----------------------
# (tests.app.auth.oauth.cimd_server: a self-signed certificate and an HTTPS document server)

CACHED = {"Cache-Control": "max-age=300"}  # as chatgpt.com and claude.ai serve theirs

class Signer:
    """ChatGPT's key pair: the JWKS it publishes and the RFC 7523 assertions it signs."""

    def __init__(self):
        from joserfc.jwk import RSAKey

        self.key = RSAKey.generate_key(2048, parameters={"kid": f"k-{uuid.uuid4().hex[:8]}", "use": "sig"})

    def jwks(self) -> dict:
        return {"keys": [{**self.key.as_dict(private=False), "alg": "RS256"}]}

    def assertion(self, client_id: str, audience: str) -> str:
        from joserfc import jwt

        now = int(time.time())
        claims = {"iss": client_id, "sub": client_id, "aud": audience, "iat": now, "exp": now + 300,
                  "jti": uuid.uuid4().hex}
        return jwt.encode({"alg": "RS256", "kid": self.key.kid, "typ": "JWT"}, claims, self.key)


# -- the profiles --------------------------------------------------------------------------------

@dataclass
class Profile:
    name: str
    style: str  # claude | chatgpt | sdk: how its MCP requests look
    redirect: str  # the redirect URI used in the main run
    readonly_redirect: str  # the one used in the read-only run
    registration: dict | None = None  # DCR metadata; else a CIMD document
    document: dict | None = None
    document_path: str | None = None
    private_key_jwt: bool = False
    send_resource: bool = True
    client_info: dict = field(default_factory=dict)


def profiles() -> list[Profile]:
    grants = {"grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"]}
    cc_port, cc_port2, vs_port = free_port(), free_port(), free_port()
    cc_redirect = f"http://localhost:{cc_port}/callback"
    chatgpt_doc = {"client_name": "ChatGPT", "client_uri": "https://chatgpt.com", "redirect_uris": [CHATGPT_CB],
                   "token_endpoint_auth_method": "private_key_jwt", **grants}
    return [
        Profile("Claude.ai (DCR, client_secret_post)", "claude", CLAUDE_CB, CLAUDE_CB,
                registration={"client_name": "Claude", "redirect_uris": [CLAUDE_CB],
                              "token_endpoint_auth_method": "client_secret_post", **grants},
                client_info={"name": "claude-ai", "version": "0.1.0"}),
        Profile("Claude.ai (CIMD, none)", "claude", CLAUDE_CB, CLAUDE_CB,
                document={"client_name": "Claude", "client_uri": "https://claude.ai", "redirect_uris": [CLAUDE_CB],
                          "token_endpoint_auth_method": "none", **grants},
                document_path="/oauth/claude-ai/client.json", client_info={"name": "claude-ai", "version": "0.1.0"}),
        Profile("ChatGPT (CIMD, private_key_jwt, /oauth/<id>/client.json)", "chatgpt", CHATGPT_CB, CHATGPT_CB,
                document=chatgpt_doc, document_path=f"/oauth/{uuid.uuid4().hex[:12]}/client.json",
                private_key_jwt=True, client_info={"name": "openai-mcp", "version": "1.0.0"}),
        Profile("ChatGPT (CIMD, private_key_jwt, /oauth/client.json)", "chatgpt", CHATGPT_CB, CHATGPT_CB,
                document=chatgpt_doc, document_path="/oauth/client.json", private_key_jwt=True,
                client_info={"name": "openai-mcp", "version": "1.0.0"}),
        Profile("ChatGPT (DCR, none)", "chatgpt", CHATGPT_CB, CHATGPT_CB,
                registration={"client_name": "ChatGPT", "redirect_uris": [CHATGPT_CB],
                              "token_endpoint_auth_method": "none", **grants},
                client_info={"name": "openai-mcp", "version": "1.0.0"}),
        Profile("Claude Code (CIMD, port-less loopback redirects)", "sdk", f"http://localhost:{cc_port}/callback",
                f"http://127.0.0.1:{cc_port2}/callback",
                document={"client_name": "Claude Code", "client_uri": "https://claude.com/claude-code",
                          "redirect_uris": ["http://localhost/callback", "http://127.0.0.1/callback"],
                          "token_endpoint_auth_method": "none", **grants},
                document_path="/oauth/claude-code-client-metadata",
                client_info={"name": "claude-code", "version": "2.1.0"}),
        Profile("Claude Code (DCR)", "sdk", cc_redirect, cc_redirect,
                registration={"client_name": "Claude Code (minapi)", "redirect_uris": [cc_redirect],
                              "token_endpoint_auth_method": "none", **grants},
                client_info={"name": "claude-code", "version": "2.1.0"}),
        Profile("Cursor (DCR, public)", "sdk", CURSOR_CBS[0], CURSOR_CBS[2], send_resource=False,
                registration={"client_name": "Cursor", "redirect_uris": CURSOR_CBS,
                              "token_endpoint_auth_method": "none", **grants},
                client_info={"name": "cursor-vscode", "version": "1.0.0"}),
        Profile("VS Code (CIMD, loopback port changed)", "sdk", f"http://127.0.0.1:{vs_port}/",
                "https://vscode.dev/redirect",
                document={"client_name": "Visual Studio Code", "client_uri": "https://code.visualstudio.com",
                          "redirect_uris": ["http://127.0.0.1:33418/", "https://vscode.dev/redirect"],
                          "token_endpoint_auth_method": "none", **grants},
                document_path="/oauth/vscode/client.json",
                client_info={"name": "Visual Studio Code", "version": "1.107.0"}),
    ]


# -- the person at a browser ---------------------------------------------------------------------

class Browser:
    def __init__(self, base: str, email: str, password: str, log):
        self.base, self.email, self.password, self.log = base, email, password, log
        self.http = httpx.Client(base_url=base, follow_redirects=False, timeout=30)

    def authorize(self, url: str, access: str | None) -> str:
        """Open the authorization URL, sign in if asked, answer the consent page; returns the redirect."""
        resp = self.http.get(url)
        if resp.status_code == 302 and urlsplit(resp.headers["location"]).path == "/login":
            self.log("browser: sent to the sign-in page; signing in")
            login = resp.headers["location"]
            page = self.http.get(login)
            resp = self.http.post(login, data={"email": self.email, "password": self.password,
                                               "csrf_token": csrf(page.text)})
            expect(resp.status_code == 302, f"signing in as {self.email} failed (does the account exist?)", resp)
            resp = self.http.get(resp.headers["location"])
        if resp.status_code == 302:
            return resp.headers["location"]
        expect(resp.status_code == 200, "the consent page did not open", resp)
        html = resp.text
        main = html.split("<main>", 1)[-1]
        action = unescape(re.search(r'<form method="post" action="([^"]+)"', main).group(1))
        radios = re.findall(r"<input[^>]*name=\"access\"[^>]*>", main)
        offered = [re.search(r'value="(\w+)"', r).group(1) for r in radios]
        preselected = [re.search(r'value="(\w+)"', r).group(1) for r in radios if " checked" in r]
        self.log(f"browser: consent page offers {offered}, preselected {preselected}")
        expect(len(preselected) == 1, "the consent page preselects no choice")
        choice = access or preselected[0]
        self.log(f"browser: posts access={choice}, decision=allow")
        resp = self.http.post(action, data={"csrf_token": csrf(html), "access": choice, "decision": "allow"})
        expect(resp.status_code == 302, "the consent answer was not redirected", resp)
        return resp.headers["location"]


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    expect(match, "no CSRF token on the page")
    return match.group(1)


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    return verifier, base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def challenge_param(header: str, name: str) -> str | None:
    match = re.search(rf'{name}="([^"]*)"', header)
    return match.group(1) if match else None


# -- one profile, step by step -------------------------------------------------------------------

class Run:
    def __init__(self, base, email, password, profile: Profile, docs: DocumentServer | None):
        self.base, self.profile, self.docs = base, profile, docs
        self.mcp_url = base + "/api/mcp"
        self.http = httpx.Client(timeout=30, follow_redirects=False)
        self.browser = Browser(base, email, password, self.log)
        self.signer = Signer() if profile.private_key_jwt else None

    def log(self, message: str) -> None:
        print(f"[{self.profile.name}] {message}", flush=True)

    def discover(self) -> None:
        resp = self.http.post(self.mcp_url, json=self.initialize_body(), headers=self.mcp_headers(initialize=True))
        expect(resp.status_code == 401, "an unauthenticated initialize must be 401", resp)
        header = resp.headers.get("WWW-Authenticate", "")
        self.resource_metadata = challenge_param(header, "resource_metadata")
        self.challenged = challenge_param(header, "scope")
        expect(self.resource_metadata, f"the 401 names no resource_metadata: {header!r}")
        self.log(f"401 challenge: resource_metadata={self.resource_metadata} scope={self.challenged!r}")
        prm = self.http.get(self.resource_metadata)
        expect(prm.status_code == 200, "protected-resource metadata", prm)
        prm = prm.json()
        expect(prm.get("resource") == self.mcp_url, f"resource is {prm.get('resource')!r}")
        self.resource = prm["resource"]
        issuer = prm["authorization_servers"][0]
        asm = self.http.get(issuer.rstrip("/") + "/.well-known/oauth-authorization-server")
        expect(asm.status_code == 200, "authorization-server metadata", asm)
        self.asm = asm.json()
        expect(self.asm.get("issuer") == issuer, "issuer mismatch")
        expect("S256" in self.asm.get("code_challenge_methods_supported", []), "no S256")
        self.scope = self.challenged or " ".join(prm.get("scopes_supported") or [])
        self.log(f"metadata: issuer {issuer}, token endpoint {self.asm['token_endpoint']}; will ask for {self.scope!r}")

    def client(self) -> None:
        p = self.profile
        if p.registration is not None:
            resp = self.http.post(self.asm["registration_endpoint"], json=p.registration)
            expect(resp.status_code == 201, "dynamic registration", resp)
            body = resp.json()
            self.client_id, self.client_secret = body["client_id"], body.get("client_secret")
            self.method = body["token_endpoint_auth_method"]
            expect(self.method == p.registration["token_endpoint_auth_method"], f"registered as {self.method}")
            self.log(f"registered (DCR): client_id={self.client_id} method={self.method}")
            return
        expect(self.docs is not None, "no document host (see the script's header for MINAPI_CIMD_CA_FILE)")
        expect(self.asm.get("client_id_metadata_document_supported"), "CIMD not advertised")
        doc = dict(p.document)
        if self.signer:
            jwks_path = p.document_path.rsplit("/", 1)[0] + "/jwks.json"
            doc["jwks_uri"] = self.docs.document(jwks_path, self.signer.jwks(), headers=CACHED)
            expect("private_key_jwt" in self.asm.get("token_endpoint_auth_methods_supported", []),
                   "private_key_jwt not advertised")
        self.client_id = self.docs.base + p.document_path
        self.docs.document(p.document_path, {"client_id": self.client_id, **doc}, headers=CACHED)
        self.client_secret, self.method = None, doc["token_endpoint_auth_method"]
        self.log(f"client ID metadata document: {self.client_id} ({self.method})")

    def client_auth(self) -> dict:
        if self.method == "client_secret_post":
            return {"client_id": self.client_id, "client_secret": self.client_secret}
        if self.method == "private_key_jwt":
            return {"client_id": self.client_id, "client_assertion_type": ASSERTION_TYPE,
                    "client_assertion": self.signer.assertion(self.client_id, self.asm["token_endpoint"])}
        return {"client_id": self.client_id}

    def authorize(self, scope: str, redirect: str, access: str | None) -> dict:
        verifier, challenge = pkce()
        state = secrets.token_urlsafe(16)
        params = {"response_type": "code", "client_id": self.client_id, "redirect_uri": redirect,
                  "scope": scope, "state": state, "code_challenge": challenge, "code_challenge_method": "S256"}
        if self.profile.send_resource:
            params["resource"] = self.resource
        self.log(f"authorize: redirect_uri={redirect} scope={scope!r} resource="
                 f"{params.get('resource', '(none)')}")
        location = self.browser.authorize(self.asm["authorization_endpoint"] + "?" + urlencode(params), access)
        expect(location.startswith(redirect.split("?")[0]), f"redirected to {location!r}, not the client")
        query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        expect("code" in query, f"no code: {query}")
        expect(query.get("state") == state and query.get("iss") == self.asm["issuer"], f"state/iss: {query}")
        data = {"grant_type": "authorization_code", "code": query["code"], "redirect_uri": redirect,
                "code_verifier": verifier, **self.client_auth()}
        if self.profile.send_resource:
            data["resource"] = self.resource
        resp = self.http.post(self.asm["token_endpoint"], data=data)
        expect(resp.status_code == 200, "token", resp)
        tokens = resp.json()
        expect(tokens.get("token_type", "").lower() == "bearer" and tokens.get("refresh_token"), f"token: {tokens}")
        self.log(f"token: scope={tokens.get('scope')!r}, expires_in={tokens.get('expires_in')}, refresh token issued")
        return tokens

    def refresh(self, tokens: dict) -> dict:
        data = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], **self.client_auth()}
        if self.profile.send_resource:
            data["resource"] = self.resource
        resp = self.http.post(self.asm["token_endpoint"], data=data)
        expect(resp.status_code == 200, "refresh", resp)
        new = resp.json()
        expect(new["access_token"] != tokens["access_token"] and new["refresh_token"] != tokens["refresh_token"],
               "a refresh must rotate both tokens")
        self.log(f"refresh: new access and refresh tokens, scope={new.get('scope')!r}")
        return new

    # MCP, as the client sends it
    def initialize_body(self) -> dict:
        return {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": VERSION, "capabilities": {}, "clientInfo": self.profile.client_info or
            {"name": "profile", "version": "1"}}}

    def mcp_headers(self, token: str | None = None, initialize=False) -> dict:
        headers = {"Content-Type": "application/json"}
        if self.profile.style == "claude":
            headers["Accept"] = "*/*"  # and no MCP-Protocol-Version header, even after initialize
        else:
            headers["Accept"] = "application/json, text/event-stream"
            if not initialize:
                headers["MCP-Protocol-Version"] = VERSION
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def rpc(self, token: str, body: dict, **extra) -> tuple[httpx.Response, dict | None]:
        headers = {**self.mcp_headers(token, initialize=body.get("method") == "initialize"), **extra}
        resp = self.http.post(self.mcp_url, json=body, headers=headers)
        payload = None
        if resp.headers.get("content-type", "").startswith("text/event-stream"):
            data = [line[5:].strip() for line in resp.text.splitlines() if line.startswith("data:")]
            payload = json.loads(data[-1]) if data else None
        elif resp.content:
            try:
                payload = resp.json()
            except ValueError:
                payload = None
        return resp, payload

    def call_params(self, name: str, arguments: dict) -> dict:
        params = {"name": name, "arguments": arguments}
        if self.profile.style == "chatgpt":
            params["_meta"] = {"openai/userAgent": "ChatGPT/1.2025.350 (profile)", "openai/locale": "en-US",
                               "openai/userLocation": {"city": "San Francisco", "country": "US",
                                                      "timezone": "America/Los_Angeles"},
                               "openai/subject": "v1/profile-" + uuid.uuid4().hex[:8]}
        return params

    def open_session(self, token: str) -> None:
        if self.profile.style == "chatgpt":
            body = {"jsonrpc": "2.0", "id": "discover", "method": "server/discover", "params": {"_meta": {
                "io.modelcontextprotocol/protocolVersion": MODERN,
                "io.modelcontextprotocol/clientInfo": self.profile.client_info,
                "io.modelcontextprotocol/clientCapabilities": {}}}}
            resp, payload = self.rpc(token, body, **{"MCP-Protocol-Version": MODERN, "Mcp-Method": "server/discover"})
            expect(resp.status_code == 200 and payload and "result" in payload, "server/discover", resp)
            self.log(f"server/discover: supportedVersions={payload['result'].get('supportedVersions')}")
        resp, payload = self.rpc(token, self.initialize_body())
        expect(resp.status_code == 200 and payload and "result" in payload, "initialize", resp)
        result = payload["result"]
        expect(result.get("protocolVersion") == VERSION, f"initialize answered {result.get('protocolVersion')}")
        self.log(f"initialize {VERSION}: serverInfo={result.get('serverInfo')}")
        resp, _ = self.rpc(token, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        expect(resp.status_code in (200, 202), "notifications/initialized", resp)

    def tools(self, token: str) -> set[str]:
        resp, payload = self.rpc(token, {"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        expect(resp.status_code == 200 and payload and "result" in payload, "tools/list", resp)
        names = {t["name"] for t in payload["result"]["tools"]}
        expect({READ_TOOL, WRITE_TOOL} <= names, f"tools/list lacks {READ_TOOL}/{WRITE_TOOL}")
        self.log(f"tools/list: {len(names)} tools")
        return names

    def call(self, token: str, name: str, arguments: dict) -> tuple[httpx.Response, dict | None]:
        return self.rpc(token, {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                                "params": self.call_params(name, arguments)})

    def read(self, token: str) -> None:
        resp, payload = self.call(token, READ_TOOL, {})
        expect(resp.status_code == 200 and payload and payload.get("result", {}).get("isError") is False,
               f"{READ_TOOL}", resp)
        self.log(f"tools/call {READ_TOOL}: ok")

    def write(self, token: str) -> tuple[httpx.Response, dict | None]:
        slug = re.sub(r"[^a-z0-9]+", "-", self.profile.name.lower()).strip("-")[:30]
        return self.call(token, WRITE_TOOL, {"name": f"{slug}-{uuid.uuid4().hex[:6]}",
                                             "description": f"made by the {self.profile.name} profile"})

    def run(self) -> None:
        p = self.profile
        self.discover()
        self.client()
        tokens = self.refresh(self.authorize(self.scope, p.redirect, access=None))
        self.open_session(tokens["access_token"])
        self.tools(tokens["access_token"])
        self.read(tokens["access_token"])
        resp, payload = self.write(tokens["access_token"])
        if resp.status_code == 403 and "mcp:write" not in self.scope.split():
            # The challenge named only read scopes: a host that requests exactly those ends up
            # read-only (Claude.ai cannot step up). Shown, then stepped up so the rest still runs.
            wanted = challenge_param(resp.headers.get("WWW-Authenticate", ""), "scope") or "mcp:read mcp:write"
            self.log(f"STEP-UP NEEDED: the 401 challenge named {self.scope!r}, so the write got 403; "
                     f"authorizing again with {wanted!r}")
            self.scope = wanted
            tokens = self.authorize(self.scope, p.redirect, access=None)
            resp, payload = self.write(tokens["access_token"])
        expect(resp.status_code == 200 and payload and payload.get("result", {}).get("isError") is False,
               f"{WRITE_TOOL} after accepting the consent defaults", resp)
        self.log(f"tools/call {WRITE_TOOL}: ok (created {payload['result'].get('structuredContent', {}).get('id')})")

        self.log("--- the person picks read-only ---")
        tokens = self.authorize(self.scope, p.readonly_redirect, access="read")
        expect(tokens.get("scope") == "mcp:read", f"read-only token has scope {tokens.get('scope')!r}")
        self.open_session(tokens["access_token"])
        self.read(tokens["access_token"])
        resp, payload = self.write(tokens["access_token"])
        data = ((payload or {}).get("error") or {}).get("data") or {}
        expect(resp.status_code == 403 and data.get("code") == "insufficient_scope"
               and "insufficient_scope" in resp.headers.get("WWW-Authenticate", ""),
               f"{WRITE_TOOL} with a read-only token must be 403 insufficient_scope", resp)
        self.log(f"tools/call {WRITE_TOOL} refused clearly: 403 {data.get('code')}: "
                 f"{payload['error'].get('message')}")


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[1] == "--make-tls":
        cert, key = self_signed(argv[2])
        print(f"wrote {cert} and {key}; start the server with MINAPI_CIMD_CA_FILE={cert} "
              "MINAPI_CIMD_ALLOW_PRIVATE_ADDRESSES=true")
        return 0
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    base, email, password = argv[1].rstrip("/"), argv[2], argv[3]
    base = base[:-len("/api/mcp")] if base.endswith("/api/mcp") else base
    ca = os.environ.get("MINAPI_CIMD_CA_FILE")
    key = os.path.splitext(ca)[0] + ".key" if ca else None
    if not ca or not os.path.isfile(ca) or not os.path.isfile(key):
        print("MISSING SETUP: the metadata-document profiles need MINAPI_CIMD_CA_FILE=DIR/cimd.crt (with "
              "DIR/cimd.key beside it, from `--make-tls DIR`) in this environment, and the server started with "
              "the same MINAPI_CIMD_CA_FILE and MINAPI_CIMD_ALLOW_PRIVATE_ADDRESSES=true.", file=sys.stderr)
        return 2
    if os.environ.get("MINAPI_CIMD_ALLOW_PRIVATE_ADDRESSES", "").lower() not in ("1", "true", "yes", "on"):
        print("NOTE: MINAPI_CIMD_ALLOW_PRIVATE_ADDRESSES is not set here; the server must have it set to true, "
              "or every metadata-document profile fails with invalid_client.", flush=True)
    docs = DocumentServer(cert=ca, key=key)
    failed, chosen = [], profiles()
    for profile in chosen:
        print(f"=== {profile.name} ===", flush=True)
        try:
            Run(base, email, password, profile, docs).run()
            print(f"PASS {profile.name}", flush=True)
        except (Failure, httpx.HTTPError, KeyError, ValueError, AttributeError) as exc:
            print(f"FAIL {profile.name}: {exc.__class__.__name__}: {exc}", flush=True)
            if profile.document is not None and "invalid_client" in str(exc):
                print("  hint: is the server running with MINAPI_CIMD_ALLOW_PRIVATE_ADDRESSES=true and "
                      f"MINAPI_CIMD_CA_FILE={ca}?", flush=True)
            failed.append(profile.name)
    print(f"{len(chosen) - len(failed)} profiles passed, {len(failed)} failed" +
          (f": {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
