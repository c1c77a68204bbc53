"""The `collaborators` family: collaboration keys (named key pairs with CRUD rights) and invitations."""

from app.plugin import hookimpl
from plugins.collaborators import actions as a


@hookimpl
def register_tools(tools):
    fam = tools.family("collaborators", summary="Share an endpoint: collaboration keys with CRUD rights.")
    fam.action(a.list_keys, kind="read", http="GET /collaborators/<endpoint>/keys", args=a.ListKeysArgs,
               returns=a.KeyList, title="List collaboration keys")
    fam.action(a.create_key, kind="write", http="POST /collaborators/<endpoint>/keys", args=a.CreateArgs,
               returns=a.NewKey, status=201, title="Create a collaboration key")
    fam.action(a.update_permissions, kind="write", http="PUT /collaborators/<endpoint>/keys/<key>/permissions",
               args=a.PermissionArgs, returns=a.KeyView, title="Change a key's rights")
    fam.action(a.activate_key, kind="write", http="POST /collaborators/<endpoint>/keys/<key>/activate",
               args=a.KeyArgs, returns=a.KeyView, title="Reactivate a key", person_only=True)
    fam.action(a.deactivate_key, kind="destructive", http="POST /collaborators/<endpoint>/keys/<key>/deactivate",
               args=a.KeyArgs, returns=a.KeyView, title="Deactivate a key")
    fam.action(a.regenerate_key, kind="destructive", http="POST /collaborators/<endpoint>/keys/<key>/regenerate",
               args=a.KeyArgs, returns=a.NewKey, title="Regenerate a key")
    fam.action(a.delete_key, kind="destructive", http="DELETE /collaborators/<endpoint>/keys/<key>",
               args=a.KeyArgs, returns=a.Deleted, title="Delete a key")
    fam.action(a.list_invitations, kind="read", http="GET /collaborators/<endpoint>/invitations",
               args=a.ListInvitationsArgs, returns=a.InvitationList, title="List invitations")
    fam.action(a.invite, kind="write", http="POST /collaborators/<endpoint>/invitations", args=a.InviteArgs,
               returns=a.Invited, status=201, title="Invite a collaborator", open_world=True)
    fam.action(a.revoke_invitation, kind="destructive",
               http="POST /collaborators/<endpoint>/invitations/<invitation>/revoke", args=a.RevokeArgs,
               returns=a.InvitationView, title="Revoke an invitation")


@hookimpl
def register_blueprints(app):
    from plugins.collaborators.views import bp

    app.register_blueprint(bp)
