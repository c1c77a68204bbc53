"""The README keeps its promises: two commands first, and every hook documented."""

import re
from pathlib import Path

from app.tools import hookspecs

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_readme_starts_with_two_commands_run_and_test():
    blocks = re.findall(r"```bash\n(.*?)```", README, re.S)
    first, second = blocks[0].strip(), blocks[1].strip()
    assert first.splitlines() == [first] and second.splitlines() == [second]
    assert first.endswith("minapi serve")
    assert "pytest" in second and "[test]" in second
    assert README.index(blocks[1]) < README.index("## ")  # before any other section


def test_every_hook_is_documented_in_the_plugin_section():
    section = README.split("## Writing a plugin", 1)[1]
    hooks = [name for name in dir(hookspecs) if hasattr(getattr(hookspecs, name), "minapi_spec")]
    assert hooks, "no hooks found"
    for name in hooks:
        assert f"`{name}(" in section, f"hook {name} is not documented in the README"
