"""The invitation page: `/invitations/<token>`, where an invited person accepts."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm

from app.plugin import Account
from app.plugin import session_actor
from app.plugin import AppError
from app.plugin import db
from app.plugin import Endpoint, EndpointKey
from plugins.collaborators import invitations

bp = Blueprint("invitations", __name__, template_folder="templates")


class AcceptForm(FlaskForm):
    """CSRF token only."""


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept(token):
    invitation = invitations.by_token(token)
    if invitation is None:
        abort(404, "This invitation link is not valid.")
    endpoint = db.session.get(Endpoint, invitation.endpoint_id)
    key = db.session.get(EndpointKey, invitation.key_id)
    actor = session_actor()
    account = db.session.get(Account, actor.account_id) if actor else None
    form, error = AcceptForm(), None
    if account is not None and form.validate_on_submit():
        try:
            invitations.accept(invitation, account)
            db.session.commit()
        except AppError as err:
            db.session.rollback()
            error = err.message
        else:
            flash(f"{endpoint.name} is now shared with you.")
            return redirect(url_for("accounts.home"))
    here = url_for("invitations.accept", token=token)
    return render_template("collaborators/accept.html", invitation=invitation, endpoint=endpoint, key=key,
                           account=account, form=form, error=error, here=here)
