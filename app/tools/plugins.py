"""Finding, loading and calling plugins.

Built-in plugins are known by module path. Third-party plugins advertise themselves
in the `minapi.plugins` entry-point group, but installing one does not enable it:
only names listed in `MINAPI_PLUGINS` are imported (`builtin` stands for every
built-in plugin). Anything unknown or broken stops start-up with a clear message.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

import pluggy

from app.tools import PROJECT, hookspecs

# The registries (and what they import: marshmallow, the job queue's models) are imported where
# they are built, so `import app` stays light for commands that never build an app.

ENTRY_POINT_GROUP = "minapi.plugins"

BUILTIN_PLUGINS = {
    "help": "plugins.help",
    "endpoints": "plugins.endpoints",
    "collaborators": "plugins.collaborators",
    "api_call": "plugins.api_call",
    "logs": "plugins.logs",
    "stats": "plugins.stats",
    "subscription": "plugins.subscription",
    "archives": "plugins.archives",
}

# Parts of core that contribute actions through the same registry; always on.
CORE_PLUGINS = {
    "core.mcp_keys": "app.auth.mcp_key_actions",
    "core.account": "app.accounts.actions",
    "core.jobs": "app.jobs.core",
    "core.mail": "app.mail",
    "core.webhooks": "app.webhooks.delivery",
    "core.notify": "app.notify.jobs",
    "core.oauth": "app.auth.oauth.prune",
    "core.activity": "app.activity.actions",
    "core.ai": "app.safety.actions",
}


class PluginError(RuntimeError):
    """A plugin could not be found, imported or registered; the app must not start."""


def enabled_names(configured: list[str] | None) -> list[str]:
    """Expand the configured list; `None` means every built-in plugin."""
    if configured is None:
        return list(BUILTIN_PLUGINS)
    names: list[str] = []
    for name in configured:
        for item in (BUILTIN_PLUGINS if name == "builtin" else [name]):
            if item not in names:
                names.append(item)
    return names


def _third_party() -> dict:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def load_module(name: str, third_party: dict):
    try:
        if name in BUILTIN_PLUGINS:
            return importlib.import_module(BUILTIN_PLUGINS[name])
        if name in third_party:
            return third_party[name].load()
    except Exception as exc:  # any import failure must stop start-up, with its cause
        raise PluginError(f"plugin {name!r} failed to load: {type(exc).__name__}: {exc}") from exc
    known = sorted(set(BUILTIN_PLUGINS) | set(third_party))
    raise PluginError(f"unknown plugin {name!r} in MINAPI_PLUGINS; installed plugins: {', '.join(known)}")


def build_manager(configured: list[str] | None) -> pluggy.PluginManager:
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    for name, path in CORE_PLUGINS.items():
        pm.register(importlib.import_module(path), name=name)
    third_party = _third_party()
    for name in enabled_names(configured):
        module = load_module(name, third_party)
        try:
            pm.register(module, name=name)
        except ValueError as exc:
            raise PluginError(f"plugin {name!r} could not be registered: {exc}") from exc
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin implements a hook minapi does not have: {exc}") from exc
    return pm


def _fill(pm: pluggy.PluginManager, hook: str, argname: str, registry, refusal: type[Exception]):
    """Call every plugin's `hook` with `registry`, one plugin at a time (in registration order), so
    that a registration error names the plugin that made it."""
    for impl in getattr(pm.hook, hook).get_hookimpls():
        name = pm.get_name(impl.plugin)
        registry.current_plugin = name
        try:
            impl.function(**{argname: registry})
        except refusal as exc:
            raise PluginError(f"plugin {name!r}: {exc}") from exc
        except Exception as exc:
            raise PluginError(f"plugin {name!r} failed in {hook}: {type(exc).__name__}: {exc}") from exc
    registry.current_plugin = ""
    return registry


def build_registry(pm: pluggy.PluginManager):
    """The tool registry, filled by every plugin's `register_tools`."""
    from app.tools.registry import RegistrationError, ToolRegistry

    return _fill(pm, "register_tools", "tools", ToolRegistry(), RegistrationError)


def build_job_registry(pm: pluggy.PluginManager):
    """The job registry, filled by every plugin's `register_jobs`."""
    from app.jobs.registry import JobRegistrationError, JobRegistry

    return _fill(pm, "register_jobs", "jobs", JobRegistry(), JobRegistrationError)


def plugin_rows(pm: pluggy.PluginManager) -> list[dict]:
    """Name, source and module of each enabled plugin (for `minapi plugins list`)."""
    rows = []
    for name, plugin in pm.list_name_plugin():
        source = "core" if name in CORE_PLUGINS else "builtin" if name in BUILTIN_PLUGINS else "entry point"
        rows.append({"name": name, "source": source, "module": getattr(plugin, "__name__", repr(plugin))})
    return rows
