"""The plugin system: hook specs, the plugin manager, the tool registry and its two adapters.

Plugin authors need only `hookimpl` from here (and `current_actor`, `AppError`).
"""

import pluggy

PROJECT = "minapi"
hookimpl = pluggy.HookimplMarker(PROJECT)

__all__ = ["hookimpl", "PROJECT"]
