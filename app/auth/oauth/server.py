"""The Authlib authorization server: grants, endpoints, token storage, RFC 8414 metadata.

`build_server(app)` wires Authlib's Flask integration to our tables. The endpoints
themselves are the thin views in `views.py`.
"""

from __future__ import annotations

from authlib.consts import default_json_headers
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import InvalidClientError, InvalidRequestError, UnauthorizedClientError
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7591 import ClientRegistrationEndpoint, InvalidClientMetadataError, InvalidRedirectURIError
from authlib.oauth2.rfc8628 import DeviceAuthorizationEndpoint
from authlib.oauth2.rfc9207 import IssuerParameter
from flask import current_app
from flask import request as http_request

from app.auth.actor import READ, WRITE
from app.auth.oauth import clients, device, tokens
from app.auth.oauth.assertions import PrivateKeyJWT
from app.auth.oauth.clients import (AUTH_CODE, AUTH_METHODS, DEVICE, GRANT_TYPES, REFRESH, TOKEN_AUTH_METHODS,
                                    redirect_uri_problem)
from app.auth.oauth.grants import AuthorizationCodeGrant, DeviceCodeGrant, RefreshTokenGrant, S256Challenge
from app.auth.oauth.models import OAuthGrant
from app.db import new_id
from app.extensions import db

PATHS = {"authorization_endpoint": "/oauth/authorize", "token_endpoint": "/oauth/token",
         "registration_endpoint": "/oauth/register", "revocation_endpoint": "/oauth/revoke",
         "device_authorization_endpoint": "/oauth/device_authorization"}

SIGNING_ALGS = ("RS256", "ES256")  # what Authlib's client assertion (joserfc's recommended set) verifies


def metadata() -> dict:
    """RFC 8414 authorization server metadata."""
    base = current_app.config["BASE_URL"]
    return {
        "issuer": base,
        **{name: base + path for name, path in PATHS.items()},
        "scopes_supported": [READ, WRITE],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": list(GRANT_TYPES),
        "token_endpoint_auth_methods_supported": list(TOKEN_AUTH_METHODS),
        "token_endpoint_auth_signing_alg_values_supported": list(SIGNING_ALGS),
        "revocation_endpoint_auth_methods_supported": list(TOKEN_AUTH_METHODS),
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": True,
        "client_id_metadata_document_supported": True,
        "service_documentation": base + "/api/v1/help",
    }


class Server(AuthorizationServer):
    def validate_requested_scope(self, scope):
        """Scopes minapi does not know (offline_access, openid, …) are ignored, not refused (SPEC §5)."""

    def handle_error_response(self, request, error):
        if isinstance(error, InvalidClientError):
            error.status_code = 401  # unknown or unauthenticated client: hosts then register again
        return super().handle_error_response(request, error)


class Issuer(IssuerParameter):
    """RFC 9207: `iss` on every authorization response redirect."""

    def get_issuer(self) -> str:
        return current_app.config["BASE_URL"]


def save_token(token: dict, req) -> None:
    """Authlib hook: keep a token pair; a code or device grant starts a new grant (family)."""
    grant_type = req.payload.grant_type
    client = req.client
    if grant_type == REFRESH:
        grant = req.refresh_token.grant
    else:
        grant = OAuthGrant(id=new_id("og"), account_id=req.user.id, client_pk=client.id,
                           scope=token.get("scope") or "", resource=tokens.mcp_resource())
        if grant_type == AUTH_CODE:
            grant.resource = req.authorization_code.resource
            req.authorization_code.grant_id = grant.id
        elif grant_type == DEVICE:
            req.credential.status = "used"
        db.session.add(grant)
        db.session.flush()
    clients.mark_used(client)
    tokens.store(token, grant)


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = list(TOKEN_AUTH_METHODS)

    def query_token(self, token_string, token_type_hint):
        return tokens.find_any(token_string)

    def revoke_token(self, token, request):
        tokens.revoke(token, request.form["token"])


class Registration(ClientRegistrationEndpoint):
    """RFC 7591 open registration (rate-limited in the view)."""

    def authenticate_token(self, request):
        return True  # open registration, as MCP hosts expect

    def get_server_metadata(self):
        # private_key_jwt is for metadata-document clients only: a registration has no keys.
        return {**metadata(), "token_endpoint_auth_methods_supported": list(AUTH_METHODS)}

    def extract_client_metadata(self, request):
        """Authlib's checks, except that redirect URIs follow our rule (`clients.redirect_uri_allowed`),
        which also admits private-use schemes without a host (`com.example.app:/cb`)."""
        data = request.payload.data
        uris = data.pop("redirect_uris", None)
        if uris is not None:
            problem = redirect_uri_problem(uris)
            if problem:
                raise InvalidRedirectURIError(problem)
        meta = super().extract_client_metadata(request) if data else {}
        if uris is not None:
            meta["redirect_uris"] = uris
        return meta

    def create_registration_response(self, request):
        data = request.payload.data
        if not isinstance(data, dict):
            raise InvalidClientMetadataError("Send the client metadata as a JSON object.")
        data.pop("scope", None)  # every client gets both scopes; consent decides per token
        meta = self.extract_client_metadata(request)
        grant_types = meta.get("grant_types") or [AUTH_CODE, REFRESH]
        if AUTH_CODE in grant_types and not meta.get("redirect_uris"):
            raise InvalidClientMetadataError("redirect_uris is required for the authorization_code grant.")
        meta["grant_types"] = grant_types
        client, secret = clients.register(meta, client_id=new_id("mcc", 24), ip=http_request.remote_addr)
        body = {**meta, "client_id": client.client_id, "client_id_issued_at": int(client.created_at.timestamp()),
                "scope": client.scope, "token_endpoint_auth_method": client.token_endpoint_auth_method}
        if secret:
            body.update(client_secret=secret, client_secret_expires_at=0)
        return 201, body, default_json_headers


class DeviceAuthorization(DeviceAuthorizationEndpoint):
    """RFC 8628 §3.1 for registered clients; the codes share the seed flow's table."""

    CLIENT_AUTH_METHODS = list(AUTH_METHODS)

    def create_endpoint_response(self, request):
        client = self.authenticate_client(request)
        if not client.check_grant_type(DEVICE):
            raise UnauthorizedClientError("Register the client with the device_code grant type first.")
        scope = client.get_allowed_scope(request.payload.scope)
        if not scope:
            raise InvalidRequestError("None of the requested scopes is available.")
        return 200, device.create("oauth", client.client_id, scope), default_json_headers


def build_server(app) -> Server:
    server = Server()
    server.init_app(app, query_client=clients.query, save_token=save_token)
    server.register_client_auth_method(PrivateKeyJWT.CLIENT_AUTH_METHOD, PrivateKeyJWT())
    server.register_token_generator("default", BearerTokenGenerator(
        tokens.generate_access, tokens.generate_refresh, tokens.access_ttl))
    server.register_grant(AuthorizationCodeGrant, [S256Challenge(required=True)])
    server.register_grant(RefreshTokenGrant)
    server.register_grant(DeviceCodeGrant)
    server.register_endpoint(Revocation)
    server.register_endpoint(Registration)
    server.register_endpoint(DeviceAuthorization)
    server.register_extension(Issuer())
    server.scopes_supported = [READ, WRITE]
    return server
