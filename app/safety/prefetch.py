"""What an AI credential's lookup reads in the same statement: the account's write freeze, the
credential's policy and the plan's quota headroom (SPEC §10).

Every MCP request resolves its credential (`app/auth/mcp_keys.py`, `app/auth/oauth/tokens.py`);
then the runner needs the freeze and the policy, and the result carries the headroom. Appended to
the credential's lookup as columns, the three cost one round trip to the database instead of
three, which on PostgreSQL was most of what an MCP call cost beyond the SDK's bare server.

The freeze and the policy hold for the whole request (only a person changes them, in the
dashboard). The headroom serves the request's first tool call when that call is a read that made
no data-plane call (nothing it did could change the figure); any other call reads it afresh after
its commit (`app/tools/mcp.py`, `with_quota`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.safety import controls, headroom
from app.safety.controls import Policy


def columns(account: str, credential: str) -> tuple[str, str]:
    """(the columns to append to a credential's SELECT, the join they need), given the SQL
    expressions of the credential's account id and its own id."""
    return (f"{controls.columns(account, credential)}, {headroom.COLUMNS}",
            f"LEFT JOIN accounts {headroom.ACCOUNT} ON {headroom.ACCOUNT}.id = {account}")


WIDTH = 2 + headroom.WIDTH


@dataclass
class AiState:
    """The freeze, the policy and the headroom row, as read with the credential."""

    frozen: bool
    policy: Policy | None
    _quota: list = field(default_factory=list, repr=False)  # [headroom row] until taken

    @classmethod
    def of_row(cls, row) -> "AiState":
        """From the `columns` at the end of a row."""
        frozen, policy = controls.of_row(row[-WIDTH:-headroom.WIDTH])
        return cls(frozen, policy, [tuple(row[-headroom.WIDTH:])])

    def take_quota(self) -> tuple | None:
        """The headroom row (`headroom.figure` makes it the figure) read with the credential, once
        per request: None after."""
        try:
            return self._quota.pop()
        except IndexError:
            return None
