"""OAuth endpoints: RFC 8414 metadata, the authorization (consent) page, token, registration,
revocation and device authorization, plus revoking a connected client from `/settings/ai`.

Views are thin: Authlib validates and answers in RFC 6749 JSON; each view commits once.
"""

from __future__ import annotations

from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749 import OAuth2Error
from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for

from app.auth.actor import READ, WRITE, session_actor
from app.auth.oauth import connections
from app.auth.oauth.forms import ConfirmForm, ConsentForm
from app.auth.oauth.grants import Consent
from app.auth.oauth.server import metadata
from app.errors import AppError
from app.extensions import db, limiter

bp = Blueprint("oauth", __name__)


def server():
    return current_app.extensions["minapi.oauth_server"]


@bp.get("/.well-known/oauth-authorization-server")
def authorization_server_metadata():
    return jsonify(metadata())


def authorization_error(error: OAuth2Error):
    """Redirect the error to the client when its redirect URI is known; else show it here (RFC 6749 §4.1.2.1)."""
    if error.redirect_uri:
        resp = server().handle_error_response(None, error)
        resp.location = add_params_to_uri(resp.location, [("iss", current_app.config["BASE_URL"])])
        return resp
    err = AppError(error.description or error.error, code=error.error, status=400)
    return render_template("error.html", error=err), 400


@bp.route("/oauth/authorize", methods=["GET", "POST"])
def authorize():
    try:
        grant = server().get_consent_grant(end_user=None)
    except OAuth2Error as error:
        db.session.commit()  # keeps a fetched client metadata document cached
        return authorization_error(error)
    db.session.commit()
    actor = session_actor()
    if actor is None:  # sign in first, then come back here
        return redirect(url_for("accounts.login", next=request.full_path))
    client, requested = grant.request.client, grant.request.scope.split()
    form = ConsentForm(access="write" if WRITE in requested else "read")
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            consent = None
            if request.form.get("decision") == "allow":
                chosen = [READ, WRITE] if form.access.data == "write" and WRITE in requested else [READ]
                consent = Consent(actor.account_id, " ".join(chosen))
            response = server().create_authorization_response(grant_user=consent, grant=grant)
            db.session.commit()
            return response
        status = 400
    return render_template("oauth/consent.html", client=client, requested=requested, form=form,
                           offers_write=WRITE in requested), status


@bp.post("/oauth/token")
@limiter.limit(lambda: current_app.config["OAUTH_TOKEN_RATE_LIMIT"])
def token():
    response = server().create_token_response()
    db.session.commit()  # also keeps a revoked family revoked when the answer is an error
    return response


@bp.post("/oauth/register")
@limiter.limit(lambda: current_app.config["OAUTH_REGISTER_RATE_LIMIT"])
def register():
    if not isinstance(request.get_json(silent=True), dict):
        return jsonify(error="invalid_client_metadata",
                       error_description="Send the client metadata as a JSON object."), 400
    response = server().create_endpoint_response("client_registration")
    db.session.commit()
    return response


@bp.post("/oauth/revoke")
@limiter.limit(lambda: current_app.config["OAUTH_TOKEN_RATE_LIMIT"])
def revoke():
    response = server().create_endpoint_response("revocation")
    db.session.commit()
    return response


@bp.post("/oauth/device_authorization")
@limiter.limit(lambda: current_app.config["DEVICE_RATE_LIMIT"])
def device_authorization():
    response = server().create_endpoint_response("device_authorization")
    db.session.commit()
    return response


@bp.post("/settings/ai/oauth/<grant_id>/revoke")
def revoke_grant(grant_id):
    """A person ends a connected client's access (session and CSRF only: AI credentials never can)."""
    actor = session_actor()
    if actor is None:
        return redirect(url_for("accounts.login", next=url_for("settings.ai")))
    if not ConfirmForm().validate_on_submit():
        raise AppError("The form expired; reload the page and try again.", code="csrf_failed", status=400)
    connections.revoke(actor.account_id, grant_id)
    db.session.commit()
    flash("Access revoked. The client must be connected again to use minapi.")
    return redirect(url_for("settings.ai"))
