"""The built wheel in a fresh virtualenv, as `pip install messaging` and `pipx install
'messaging[local]'` make them: the core alone, then the local extra running a simulation.

uv builds the wheel and installs it with the locked versions (`-c requirements/dev.txt`)
from its package cache, which `make` filled: no network beyond the package registry, and
only on a cold cache. Each command runs outside the checkout, so nothing comes from `src/`.

Every command of a fresh venv costs seconds (no bytecode yet), so `make test` runs one
venv: the core's packages checked, then `[local]` added to it (what pip resolves for a
fresh `[local]` install is the same set) and a short simulation. The messages naming a
missing extra (also tested in process, `tests/unit/cli/test_local.py`) and the shipped
template are `exhaustive` (`make test-exhaustive`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import BIN

pytestmark = [pytest.mark.e2e, pytest.mark.packaging]

ROOT = Path(__file__).resolve().parents[2]
UV = BIN / "uv"
LOCK = ROOT / "requirements" / "dev.txt"
HEAVY = {"moto", "waitress", "duckdb", "pyarrow", "matplotlib", "numpy"}


def run(*args: str | Path, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "VIRTUAL_ENV"))}
    return subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        env={**env, "AWS_PROFILE": "doesnotexist"},  # local work needs no profile
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    ok(run(UV, "build", "--quiet", "--wheel", "--out-dir", out, ROOT, cwd=out))
    (built,) = out.glob("messaging-*.whl")
    return built


def install(wheel: Path, extras: str, venv: Path) -> Path:
    """Install the wheel (with `extras`) into `venv`, creating it if it is not there."""
    if not venv.exists():
        ok(run(UV, "venv", "--quiet", "--python", sys.executable, venv, cwd=venv.parent))
    python = venv / "bin" / "python"
    requirement = f"messaging{extras} @ {wheel.as_uri()}"
    ok(run(UV, "pip", "install", "--quiet", "--python", python, requirement, "-c", LOCK, cwd=venv))
    return venv / "bin"


def installed(bin_dir: Path) -> set[str]:
    listed = ok(run(UV, "pip", "list", "--python", bin_dir / "python", "--format=json", cwd=ROOT))
    return {package["name"].lower() for package in json.loads(listed.stdout)}


def assert_needs_extra(done: subprocess.CompletedProcess[str], extra: str) -> None:
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.strip().splitlines()  # one line, no traceback
    assert line.startswith("error: ")
    assert f"needs the [{extra}] extra" in line
    assert line.endswith(f"pip install 'messaging[{extra}]' (or pipx install 'messaging[{extra}]')")


def test_the_core_installs_alone_then_pipx_install_local_runs_simulate(
    wheel: Path, tmp_path: Path
) -> None:
    core = install(wheel, "", tmp_path / "venv")
    packages = installed(core)
    assert {"boto3", "pydantic", "typer"} <= packages
    assert not packages & HEAVY

    bin_dir = install(wheel, "[local]", tmp_path / "venv")
    assert "moto" in installed(bin_dir)
    report_path = tmp_path / "report.json"
    done = ok(
        run(
            bin_dir / "messaging",
            "simulate",
            *("--duration", "2", "--rate", "10", "--buffer-interval", "1"),
            *("--report-json", report_path),
            cwd=tmp_path,
        )
    )
    assert "OK: every event reached every destination, once" in done.stdout
    assert "Ignoring AWS_PROFILE=doesnotexist" in done.stderr
    report = json.loads(report_path.read_text())
    assert report["produced"] > 0
    assert report["produced"] == report["orders_stored"] == report["payments_stored"]
    assert report["produced"] == report["lake_distinct_events"]
    assert (report["lost"], report["duplicate_effects"], report["interrupted"]) == (0, 0, False)


@pytest.mark.exhaustive
def test_every_extra_is_named_when_missing_and_the_template_ships_in_the_wheel(
    wheel: Path, tmp_path: Path
) -> None:
    core = install(wheel, "", tmp_path / "venv")
    version = ok(run(core / "messaging", "--version", cwd=tmp_path))
    assert version.stdout.strip() == "messaging 0.1.0"
    assert_needs_extra(run(core / "messaging", "up", cwd=tmp_path), "local")
    assert_needs_extra(run(core / "messaging", "lake", "query", "select 1", cwd=tmp_path), "lake")
    # The consumer and the deploy need nothing more: their help loads, the template ships.
    ok(run(core / "messaging", "consume", "--help", cwd=tmp_path))
    template = ok(
        run(
            core / "python",
            "-c",
            "from messaging.ops.stack import default_template_path as t; print(t())",
            cwd=tmp_path,
        )
    )
    assert "site-packages/messaging/infra/infra.yaml" in template.stdout
    shipped = ROOT / "src" / "messaging" / "infra" / "infra.yaml"
    assert Path(template.stdout.strip()).read_text() == shipped.read_text()

    local = install(wheel, "[local]", tmp_path / "venv")
    chart = run(local / "messaging", "simulate", "--chart", tmp_path / "c.png", cwd=tmp_path)
    assert chart.returncode == 2  # refused before the run, naming the extra
    assert "needs the [chart] extra" in chart.stderr
    assert "Traceback" not in chart.stderr
