"""`make conformance`: moto's own tests, stock and with our plug-ins, compared per test id.

    .venv/bin/python -m tests.conformance.run                 # the seven services, both runs
    .venv/bin/python -m tests.conformance.run --services sqs,sns --workers 2
    .venv/bin/python -m tests.conformance.run --reuse          # compare the last reports again
    .venv/bin/python -m tests.conformance.run --fresh-stock    # run stock moto again too

It fetches the sdist of the *installed* moto version with pip (a package from the
index, cached under `.venv/conformance/`; nothing is vendored), unpacks only its
`tests/` and its pytest configuration, then runs the chosen test folders twice with
pytest-xdist: once on stock moto, once with `-p messaging_moto_plugin`, which applies
`messaging.localcloud.install()` in every worker. `compare.py` judges the two junit
reports against `deviations.toml`. Exit status 0 only with no regression and no stale
deviation; 2 when the harness itself cannot run. Stock moto's results depend only on the
moto version and the test folders, so they are kept: for the seven folders they are
committed (`stock/moto-<version>.tsv.gz`, written by `--fresh-stock`), so a run, CI's
included, costs only the run with our plug-ins; a new moto version runs stock once and
writes its baseline.

Known limits: moto's tests run in-process (`mock_aws`), so they exercise our backends,
models and CloudFormation plug-ins, not the HTTP layers in front of moto (guard,
precheck, failsafe), which our own integration tests cover. Tests that need Docker or
the network fail on stock moto here and are only counted.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import time
from importlib.metadata import version
from pathlib import Path

from tests.conformance.compare import (
    ConformanceError,
    Verdict,
    compare,
    load_deviations,
    read_baseline,
    read_junit,
    write_baseline,
)

__all__ = ["SERVICES", "main"]

SERVICES = ("sqs", "sns", "firehose", "dynamodb", "s3", "cloudformation", "logs")
HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DEVIATIONS = HERE / "deviations.toml"
BASELINES = HERE / "stock"


def fetch_tests(cache: Path, moto_version: str) -> Path:
    """The sdist's `tests/` for this moto version, fetched once into `cache`."""
    root = cache / f"moto-{moto_version}"
    if (root / "tests" / "conftest.py").exists():
        return root
    cache.mkdir(parents=True, exist_ok=True)
    archive = cache / f"moto-{moto_version}.tar.gz"
    if not archive.exists():
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
        command += ["--no-binary", ":all:", f"moto=={moto_version}", "--dest", str(cache)]
        if subprocess.run(command, check=False).returncode != 0:
            raise ConformanceError(
                f"pip could not fetch the sdist of moto {moto_version}; check the package index"
            )
    prefix = f"moto-{moto_version}/"
    wanted = (prefix + "tests/", prefix + "pyproject.toml")
    with tarfile.open(archive) as sdist:
        members = [member for member in sdist.getmembers() if member.name.startswith(wanted)]
        # Only tests and the pytest configuration: the sdist's `moto/` must not shadow
        # the installed moto. The data filter refuses links and paths that leave `cache`.
        sdist.extractall(cache, members=members, filter="data")
    return root


def run_suite(root: Path, services: list[str], report: Path, *, ours: bool, workers: int) -> float:
    """Run moto's tests for `services` once; the junit report goes to `report`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command += ["-c", str(root / "pyproject.toml"), "--rootdir", str(root)]
    command += ["-n", str(workers), "--dist", "loadfile", "--junitxml", str(report)]
    command += ["-o", "junit_family=xunit1", "--tb=no", "--color=no"]
    if ours:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH")]))
        command += ["-p", "messaging_moto_plugin"]
    command += [f"tests/test_{service}" for service in services]
    started = time.monotonic()
    label = "with our plug-ins" if ours else "stock"
    print(f"conformance: moto's tests for {', '.join(services)}, {label} ...", flush=True)
    completed = subprocess.run(
        command,
        check=False,
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    elapsed = time.monotonic() - started
    summary = completed.stdout.strip().splitlines()[-1:] or ["(no output)"]
    print(f"  {label}: {summary[0]} ({elapsed:.0f} s)", flush=True)
    if not report.exists():
        raise ConformanceError(f"pytest wrote no report ({label}):\n{completed.stdout[-3000:]}")
    return elapsed


def render(verdict: Verdict) -> str:
    not_passed = ", ".join(f"{n} {kind}" for kind, n in sorted(verdict.stock_not_passed.items()))
    lines = [
        f"stock passed {verdict.stock_passed}; ours passed {verdict.ours_passed}; "
        f"regressions {len(verdict.regressions)}; justified deviations {len(verdict.deviations)}; "
        f"not counted (not passing on stock): {not_passed or 'none'}",
    ]
    if verdict.improvements:
        lines.append(f"{len(verdict.improvements)} pass only with our plug-ins")
    lines += [f"  deviation   {d.test_id}: {d.reason}" for d in verdict.deviations]
    lines += [f"  REGRESSION  {test_id}" for test_id in verdict.regressions]
    lines += [
        f"  STALE       {d.test_id} deviates no more (passes with ours, or fails on stock): "
        f"remove it from {DEVIATIONS.name}"
        for d in verdict.stale_deviations
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", default=",".join(SERVICES), help="comma-separated")
    parser.add_argument("--workers", type=int, default=2, help="pytest-xdist workers")
    parser.add_argument("--cache", type=Path, default=ROOT / ".venv" / "conformance")
    parser.add_argument("--reuse", action="store_true", help="compare the last reports only")
    parser.add_argument(
        "--fresh-stock",
        action="store_true",
        help="run stock moto again (its results depend only on the moto version and are kept)",
    )
    args = parser.parse_args(argv)
    services = [name.strip() for name in args.services.split(",") if name.strip()]
    unknown = sorted(set(services) - set(SERVICES))
    try:
        if unknown:
            raise ConformanceError(f"unknown service(s) {', '.join(unknown)}; use {SERVICES}")
        moto_version = version("moto")
        root = fetch_tests(args.cache, moto_version)
        tag = f"{moto_version}-{'-'.join(services)}"
        reports = {"stock": args.cache / f"junit-stock-{tag}.xml"}
        reports["ours"] = args.cache / f"junit-ours-{tag}.xml"
        # The committed baseline covers the seven folders; a subset runs stock itself.
        baseline = BASELINES / f"moto-{moto_version}.tsv.gz"
        if sorted(services) != sorted(SERVICES):
            baseline = args.cache / f"stock-{tag}.tsv.gz"
        if not args.reuse:
            if args.fresh_stock or not baseline.exists():
                reports["stock"].unlink(missing_ok=True)
                run_suite(root, services, reports["stock"], ours=False, workers=args.workers)
                write_baseline(read_junit(reports["stock"]), baseline)
                print(f"conformance: stock results written to {baseline}", flush=True)
            else:
                print(f"conformance: stock results from {baseline}", flush=True)
            reports["ours"].unlink(missing_ok=True)
            run_suite(root, services, reports["ours"], ours=True, workers=args.workers)
        verdict = compare(
            read_baseline(baseline), read_junit(reports["ours"]), load_deviations(DEVIATIONS)
        )
    except ConformanceError as error:
        print(f"conformance: {error}", file=sys.stderr)
        return 2
    print(render(verdict))
    if not verdict.ok:
        print("conformance: FAILED (see REGRESSION/STALE above)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
