"""The tool registry: families of actions, validated the moment a plugin registers them.

An action is a plain function with a marshmallow schema for its arguments and one
for its result, a `kind` (`read`, `write`, `destructive`) and an HTTP rule. From
that one declaration the REST adapter makes a route, the MCP adapter a tool, and
the OpenAPI generator a path. Whether an action reaches MCP, and with which
annotations and scope, is decided here and only here.
"""

from __future__ import annotations

import inspect
import posixpath
import re
from dataclasses import dataclass, field
from typing import Callable

from marshmallow import Schema

KINDS = ("read", "write", "destructive")
API_PREFIX = "/api/v1"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
NAME_RE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
PATH_RE = re.compile(r"^(?:/(?:[A-Za-z0-9._~-]+|<[a-z_][a-z0-9_]*>))+$")
MAX_DESCRIPTION = 1000
MAX_TOOL_NAME = 64


class RegistrationError(ValueError):
    """A plugin tried to register something that breaks the registry's rules."""


@dataclass(frozen=True)
class Action:
    family: str
    name: str
    func: Callable
    kind: str
    method: str
    path: str
    args: Schema
    returns: Schema
    title: str
    description: str
    status: int = 200
    public: bool = False
    mcp: bool = True
    modifies_existing: bool = False
    person_only: bool = False
    open_world: bool = False
    plugin: str = ""

    @property
    def tool_name(self) -> str:
        """`<family>_<action>`; an action named like its family is just the family name."""
        return self.family if self.name == self.family else f"{self.family}_{self.name}"

    @property
    def exposed_on_mcp(self) -> bool:
        """The single rule that keeps destructive actions away from AI credentials."""
        return self.kind != "destructive" and self.mcp and not self.person_only

    @property
    def needs_person(self) -> bool:
        """Only a signed-in person (dashboard session) may run it, on every surface."""
        return self.kind == "destructive" or self.person_only

    @property
    def scope(self) -> str:
        """The OAuth / MCP-key scope needed to run this action."""
        return "mcp:read" if self.kind == "read" else "mcp:write"

    @property
    def annotations(self) -> dict:
        """MCP tool annotations, derived from `kind` (never set by hand)."""
        read = self.kind == "read"
        return {
            "title": self.title,
            "readOnlyHint": read,
            "destructiveHint": (not read) and (self.kind == "destructive" or self.modifies_existing),
            "idempotentHint": read,
            "openWorldHint": self.open_world,
        }

    @property
    def url_rule(self) -> str:
        return API_PREFIX + self.path


@dataclass
class Family:
    registry: "ToolRegistry"
    name: str
    summary: str
    plugin: str
    actions: list[Action] = field(default_factory=list)

    def action(self, func: Callable, *, kind: str | None = None, http: str | None = None,
               args: type[Schema] | Schema | None = None, returns: type[Schema] | Schema | None = None,
               name: str | None = None, title: str | None = None, status: int = 200,
               public: bool = False, mcp: bool = True, modifies_existing: bool = False,
               person_only: bool = False, open_world: bool = False,
               delete_reason: str | None = None) -> Action:
        """Declare one action; raises `RegistrationError` on any rule it breaks.

        :param func: a plain function of the validated arguments (as keyword arguments);
            its docstring is the description shown to people and models.
        :param kind: ``read``, ``write`` or ``destructive`` (required).
        :param http: ``"METHOD /path"`` relative to ``/api/v1`` (``<name>`` for path arguments).
        :param args: marshmallow schema of the arguments; ``returns``: schema of the result.
        :param public: the action needs no signed-in account (read actions only).
        :param mcp: set False to keep a non-destructive action off MCP.
        :param modifies_existing: a write that replaces or removes existing user data
            (MCP ``destructiveHint: true``).
        :param person_only: like destructive, only a signed-in person may run it (never an AI
            credential), though it destroys nothing; e.g. minting credentials.
        :param open_world: its effects reach people or systems outside minapi (email, webhooks):
            MCP ``openWorldHint: true``.
        :param delete_reason: required to route a non-destructive action with DELETE.
        """
        action = self.registry._build(self, func, kind=kind, http=http, args=args, returns=returns,
                                      name=name, title=title, status=status, public=public, mcp=mcp,
                                      modifies_existing=modifies_existing, person_only=person_only,
                                      open_world=open_world, delete_reason=delete_reason)
        self.actions.append(action)
        self.registry._add(action)
        return action


class ToolRegistry:
    """Everything plugins declared; handed to the `register_tools` hook."""

    def __init__(self):
        self.families: dict[str, Family] = {}
        self._by_tool: dict[str, Action] = {}
        self._routes: dict[tuple[str, str], Action] = {}
        self.current_plugin = ""

    def family(self, name: str, *, summary: str) -> Family:
        """Open (or reopen, from the same plugin) a family of actions."""
        if not isinstance(name, str) or not NAME_RE.match(name) or len(name) > 40:
            raise RegistrationError(f"family name {name!r} must be lower_snake_case, at most 40 characters")
        if not summary or not str(summary).strip():
            raise RegistrationError(f"family {name!r} needs a summary")
        existing = self.families.get(name)
        if existing is not None:
            if existing.plugin != self.current_plugin:
                raise RegistrationError(f"family {name!r} already belongs to plugin {existing.plugin!r}")
            return existing
        fam = Family(self, name, str(summary).strip(), self.current_plugin)
        self.families[name] = fam
        return fam

    # -- queries -------------------------------------------------------------------------

    def actions(self) -> list[Action]:
        return [a for fam in self.families.values() for a in fam.actions]

    def mcp_actions(self) -> list[Action]:
        """What the MCP adapter may expose: the only list it ever iterates."""
        return [a for a in self.actions() if a.exposed_on_mcp]

    def get_tool(self, tool_name: str) -> Action | None:
        return self._by_tool.get(tool_name)

    # -- validation ----------------------------------------------------------------------

    def _build(self, fam: Family, func, *, kind, http, args, returns, name, title, status, public,
               mcp, modifies_existing, person_only, open_world, delete_reason) -> Action:
        where = f"{fam.name}.{name or getattr(func, '__name__', func)!s}"
        if not callable(func):
            raise RegistrationError(f"{where}: the action must be a function")
        name = name or func.__name__
        where = f"{fam.name}.{name}"
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise RegistrationError(f"{where}: action name must be lower_snake_case")
        if kind not in KINDS:
            raise RegistrationError(f"{where}: kind is required and must be one of {', '.join(KINDS)}")
        description = inspect.cleandoc(func.__doc__ or "")
        if not description:
            raise RegistrationError(f"{where}: the function needs a docstring (it is the tool description)")
        if len(description) > MAX_DESCRIPTION:
            raise RegistrationError(f"{where}: description is {len(description)} characters; "
                                    f"at most {MAX_DESCRIPTION}")
        method, path = _parse_http(where, http)
        if method == "GET" and kind != "read":
            raise RegistrationError(f"{where}: a GET route must be a read action")
        if method == "DELETE" and kind != "destructive" and not delete_reason:
            raise RegistrationError(f"{where}: a DELETE route must be destructive, "
                                    "or give delete_reason to say why not")
        if public and (kind != "read" or person_only):
            raise RegistrationError(f"{where}: only read actions can be public")
        if modifies_existing and kind != "write":
            raise RegistrationError(f"{where}: modifies_existing is for write actions")
        args_schema = _schema(where, "args", args)
        returns_schema = _schema(where, "returns", returns)
        missing = _path_args(path) - set(args_schema.fields)
        if missing:
            raise RegistrationError(f"{where}: path arguments {sorted(missing)} are not in the args schema")
        title = title or description.splitlines()[0].rstrip(".")[:80]
        return Action(family=fam.name, name=name, func=func, kind=kind, method=method, path=path,
                      args=args_schema, returns=returns_schema, title=title, description=description,
                      status=status, public=public, mcp=mcp, modifies_existing=modifies_existing,
                      person_only=person_only, open_world=bool(open_world), plugin=fam.plugin)

    def _add(self, action: Action) -> None:
        tool = action.tool_name
        if len(tool) > MAX_TOOL_NAME:
            raise RegistrationError(f"{tool}: tool name longer than {MAX_TOOL_NAME} characters")
        if tool in self._by_tool:
            raise RegistrationError(f"{tool}: a tool with this name is already registered "
                                    f"(plugin {self._by_tool[tool].plugin!r})")
        route = (action.method, re.sub(r"<[^>]+>", "<>", action.path))
        if route in self._routes:
            raise RegistrationError(f"{tool}: route {action.method} {action.url_rule} is already taken "
                                    f"by {self._routes[route].tool_name}")
        self._by_tool[tool] = action
        self._routes[route] = action


def _parse_http(where: str, http) -> tuple[str, str]:
    if not isinstance(http, str) or " " not in http.strip():
        raise RegistrationError(f"{where}: http must be 'METHOD /path', got {http!r}")
    method, path = http.strip().split(None, 1)
    method = method.upper()
    if method not in METHODS:
        raise RegistrationError(f"{where}: HTTP method {method!r} is not one of {', '.join(METHODS)}")
    if path.startswith(API_PREFIX + "/"):
        path = path[len(API_PREFIX):]
    elif path.startswith("/api/") or path == API_PREFIX:
        raise RegistrationError(f"{where}: route {path!r} is outside {API_PREFIX}/")
    if not PATH_RE.match(path) or posixpath.normpath(path) != path or "/../" in path + "/" \
            or "/./" in path + "/":
        raise RegistrationError(f"{where}: route {path!r} is not a clean path under {API_PREFIX}/")
    return method, path


def _path_args(path: str) -> set[str]:
    return set(re.findall(r"<([a-z_][a-z0-9_]*)>", path))


def _schema(where: str, what: str, schema) -> Schema:
    if isinstance(schema, type) and issubclass(schema, Schema):
        return schema()
    if isinstance(schema, Schema):
        return schema
    raise RegistrationError(f"{where}: {what} must be a marshmallow Schema")
