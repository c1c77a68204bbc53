"""The plugin contract on imports: a built-in family uses only `app.plugin` from core and
nothing of another family (SPEC §11). Imports are read with `ast`, so lazy imports inside
functions count too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import app.plugin as kit
from app.tools.plugins import BUILTIN_PLUGINS

ROOT = Path(__file__).resolve().parents[2]
FAMILIES = sorted(BUILTIN_PLUGINS)


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in a file; `from X import y` yields X and X.y."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: stays inside the package
                continue
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def violations(family: str, root: Path = ROOT) -> list[str]:
    bad = []
    for path in sorted((root / "plugins" / family).rglob("*.py")):
        for line, module in imported_modules(path):
            top = module.split(".")
            if top[0] == "app" and module != "app" and top[:2] != ["app", "plugin"]:
                bad.append(f"{path.relative_to(root)}:{line} imports core module {module}")
            if top[0] == "plugins" and len(top) > 1 and top[1] != family:
                bad.append(f"{path.relative_to(root)}:{line} imports another family: {module}")
    return bad


@pytest.mark.parametrize("family", FAMILIES)
def test_family_imports_only_the_plugin_kit_and_itself(family):
    assert (ROOT / "plugins" / family).is_dir()
    assert violations(family) == []


def test_the_check_catches_a_forbidden_import(tmp_path):
    """The checker itself: a core import and a cross-family import are both reported."""
    fake = tmp_path / "plugins" / "demo"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(
        "from app.plugin import hookimpl\nfrom app.errors import AppError\n"
        "def f():\n    from plugins.logs import actions\n")
    found = violations("demo", tmp_path)
    assert any("app.errors" in v for v in found) and any("plugins.logs" in v for v in found)
    assert not any("app.plugin" in v for v in found)


def test_the_kit_exports_what_section_11_names():
    for name in ("hookimpl", "current_actor", "AppError", "NotFound", "ValidationFailed", "schemas",
                 "find_endpoint", "enqueue", "send_mail", "JobRun", "Permanent"):
        assert hasattr(kit, name), name
    assert callable(kit.schemas.endpoint_ref) and kit.schemas.Page().load({}) == {"limit": 20, "cursor": None}
