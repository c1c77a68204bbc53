"""The wheel, as `pip install .` or a package index would install it.

The wheel is built from the tracked files only (copied out of the clone, as a fresh checkout
would have them), and must carry exactly the tracked files of `app`, `plugins` and `migrations`:
every template, static file and migration. Then it is installed into a fresh venv outside the
clone and its `minapi` command creates every table and an account.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "plugins", "migrations")

pytestmark = pytest.mark.slow


def tracked_files() -> list[str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git clone (the tracked files are the reference)")
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [f for f in out.decode().split("\0") if f and (ROOT / f).is_file()]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built by pip from a copy of the tracked files (no build/ or egg-info left in the clone)."""
    src = tmp_path_factory.mktemp("src")
    for name in tracked_files():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, src / name)
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check",
                           "-q", "-w", str(out), str(src)], capture_output=True, text=True, timeout=600)
    if proc.returncode and ("Could not find a version" in proc.stderr or "NewConnectionError" in proc.stderr):
        pytest.skip("pip could not fetch the build backend (setuptools) from the package index")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wheels = list(out.glob("minapi-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_carries_every_tracked_file_of_the_packages(wheel):
    expected = {f for f in tracked_files() if f.split("/", 1)[0] in PACKAGES}
    with zipfile.ZipFile(wheel) as zf:
        shipped = {n for n in zf.namelist() if not n.split("/", 1)[0].endswith(".dist-info")}
    assert any(f.startswith("migrations/versions/") and f.endswith(".py") for f in expected)
    assert any("/templates/" in f for f in expected if f.startswith("plugins/"))
    assert sorted(expected - shipped) == [], "tracked files missing from the wheel"
    assert sorted(shipped - expected) == [], "files in the wheel that are not tracked"


def fresh_venv(where: Path) -> Path:
    """A venv outside the clone whose only `app` is the installed wheel.

    The dependencies come from this interpreter's site-packages through a .pth line (no
    package index needed); that folder's own .pth files (the editable install of the clone)
    are not processed, so nothing of the clone is importable. CI installs the wheel with its
    dependencies from the index (`.ci/wheel`).
    """
    venv.EnvBuilder(with_pip=False).create(where)
    py = where / "bin" / "python"
    site = subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "zz_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return py


def test_wheel_installed_outside_the_clone_creates_every_table_and_an_account(wheel, tmp_path):
    py = fresh_venv(tmp_path / "venv")
    pip = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "-q",
                          "--disable-pip-version-check", str(wheel)], capture_output=True, text=True)
    if "no such option: --python" in pip.stderr:
        pytest.skip("pip older than 22.3 cannot install into another interpreter")
    assert pip.returncode == 0, pip.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MINAPI_", "PYTHON"))}
    env["MINAPI_INSTANCE_PATH"] = str(tmp_path / "instance")
    work = tmp_path / "cwd"
    work.mkdir()

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(py.parent / "minapi"), *args], cwd=work, env=env, capture_output=True,
                              text=True, timeout=120)

    where = subprocess.run([str(py), "-c", "import app, plugins, migrations; print(app.__file__)"],
                           cwd=work, env=env, capture_output=True, text=True)
    assert str(tmp_path / "venv") in where.stdout and str(ROOT) not in where.stdout, where.stdout + where.stderr
    upgrade = run("db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stdout + upgrade.stderr
    current = run("db", "current")  # empty when the wheel carries no migrations
    assert "(head)" in current.stdout, current.stdout + current.stderr
    created = run("users", "create", "wheel@example.com", "--password", "wheel password 1")
    assert created.returncode == 0, created.stdout + created.stderr
    assert "wheel@example.com" in created.stdout
    key = run("keys", "create-mcp", "wheel@example.com", "--label", "wheel")
    assert key.returncode == 0 and key.stdout.strip().startswith("tm_mcp_"), key.stdout + key.stderr
    pages = subprocess.run(
        [str(py), "-c", "from app import create_app; a = create_app(); print(a.test_client().get('/login').status_code);"
         "print(a.jinja_env.get_template('collaborators/accept.html').filename)"],
        cwd=work, env=env, capture_output=True, text=True)
    assert pages.returncode == 0, pages.stderr
    status, accept = pages.stdout.split()
    assert status == "200" and accept.startswith(str(tmp_path / "venv")), pages.stdout
