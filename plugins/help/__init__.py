"""The `help` family: the service guide, by topic. Needs no account data."""

from app.plugin import hookimpl
from plugins.help.actions import HelpArgs, HelpResult, help


@hookimpl
def register_tools(tools):
    fam = tools.family("help", summary="The minapi service guide, by topic.")
    fam.action(help, kind="read", http="GET /help", args=HelpArgs, returns=HelpResult, public=True,
               title="minapi guide")
