"""Compare two runs of moto's own tests, per test id: stock moto against moto with our plug-ins.

A test that passes on stock moto and does not pass with the plug-ins is a regression,
unless it is in the reviewed list of deliberate deviations (`deviations.toml`), each
entry justified by AWS documentation. Tests that do not pass on stock moto (missing
optional dependencies, Docker, network) are not counted, only reported. A listed
deviation that is not one (it passes with the plug-ins, or fails on stock moto too) is
reported as stale, so the list stays true.

Known limit: a test id is junit's `classname::name`; parametrised cases keep their
parameters in the name, so two cases of one test are two ids, as pytest reports them.
"""

from __future__ import annotations

import gzip
import tomllib
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

__all__ = [
    "ConformanceError",
    "Deviation",
    "Outcome",
    "Verdict",
    "compare",
    "load_deviations",
    "read_baseline",
    "read_junit",
    "write_baseline",
]

Outcome = Literal["passed", "failed", "error", "skipped"]


class ConformanceError(Exception):
    """The harness cannot produce a verdict (a missing report, a malformed deviation list)."""


@dataclass(frozen=True)
class Deviation:
    """One test we fail on purpose, because AWS behaves as we do and stock moto does not."""

    test_id: str
    reason: str
    aws_doc: str


@dataclass
class Verdict:
    stock_passed: int
    ours_passed: int
    stock_not_passed: Counter[Outcome]
    regressions: list[str] = field(default_factory=list)
    deviations: list[Deviation] = field(default_factory=list)
    stale_deviations: list[Deviation] = field(default_factory=list)
    improvements: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.regressions and not self.stale_deviations


def read_junit(path: Path) -> dict[str, Outcome]:
    """Each test id in a junit XML report, with its outcome."""
    try:
        root = ET.parse(path).getroot()  # noqa: S314 - written by our own pytest run
    except (OSError, ET.ParseError) as error:
        raise ConformanceError(f"cannot read the junit report {path}: {error}") from error
    outcomes: dict[str, Outcome] = {}
    for case in root.iter("testcase"):
        test_id = f"{case.get('classname', '')}::{case.get('name', '')}"
        outcome: Outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = "failed" if child.tag == "failure" else child.tag  # type: ignore[assignment]
                break
        # A test reported twice (a teardown error after a pass) keeps its worst outcome.
        if outcomes.get(test_id, "passed") == "passed":
            outcomes[test_id] = outcome
    return outcomes


def write_baseline(outcomes: dict[str, Outcome], path: Path) -> None:
    """Stock moto's outcomes as a gzipped `test id<TAB>outcome` list, sorted: a baseline
    committed per moto version, so CI runs moto's tests once (with our plug-ins)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = "".join(f"{test_id}\t{outcome}\n" for test_id, outcome in sorted(outcomes.items()))
    # No name and mtime 0 in the header: the same results are the same bytes.
    path.write_bytes(gzip.compress(lines.encode("utf-8"), mtime=0))


def read_baseline(path: Path) -> dict[str, Outcome]:
    """What `write_baseline` wrote."""
    try:
        text = gzip.decompress(path.read_bytes()).decode("utf-8")
    except (OSError, EOFError, UnicodeDecodeError) as error:
        raise ConformanceError(f"cannot read the stock baseline {path}: {error}") from error
    outcomes: dict[str, Outcome] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        test_id, _, outcome = line.rpartition("\t")
        if not test_id or outcome not in ("passed", "failed", "error", "skipped"):
            raise ConformanceError(f"{path}:{number}: not `test id<TAB>outcome`: {line!r}")
        outcomes[test_id] = outcome  # type: ignore[assignment]
    return outcomes


def load_deviations(path: Path) -> list[Deviation]:
    """The reviewed list; every entry needs a test id, a reason and an AWS document."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConformanceError(f"cannot read the deviation list {path}: {error}") from error
    deviations: list[Deviation] = []
    for index, entry in enumerate(data.get("deviation", [])):
        missing = [key for key in ("test", "reason", "aws_doc") if not entry.get(key)]
        if missing:
            raise ConformanceError(f"{path}: deviation #{index + 1} lacks {', '.join(missing)}")
        if not str(entry["aws_doc"]).startswith("https://docs.aws.amazon.com/"):
            raise ConformanceError(
                f"{path}: deviation {entry['test']} must cite AWS documentation "
                "(https://docs.aws.amazon.com/...)"
            )
        deviations.append(Deviation(entry["test"], entry["reason"], entry["aws_doc"]))
    seen = Counter(deviation.test_id for deviation in deviations)
    twice = sorted(test_id for test_id, count in seen.items() if count > 1)
    if twice:
        raise ConformanceError(f"{path}: listed twice: {', '.join(twice)}")
    return deviations


def compare(
    stock: dict[str, Outcome], ours: dict[str, Outcome], deviations: list[Deviation]
) -> Verdict:
    """Judge `ours` against `stock`, test id by test id."""
    listed = {deviation.test_id: deviation for deviation in deviations}
    verdict = Verdict(
        stock_passed=sum(outcome == "passed" for outcome in stock.values()),
        ours_passed=sum(outcome == "passed" for outcome in ours.values()),
        stock_not_passed=Counter(outcome for outcome in stock.values() if outcome != "passed"),
    )
    for test_id, outcome in sorted(stock.items()):
        ours_outcome = ours.get(test_id)
        if outcome != "passed":
            if ours_outcome == "passed":
                verdict.improvements.append(test_id)
            continue
        if ours_outcome == "passed":
            continue
        if test_id in listed:
            verdict.deviations.append(listed[test_id])
        else:
            verdict.regressions.append(test_id)
    deviating = {deviation.test_id for deviation in verdict.deviations}
    verdict.stale_deviations = [  # run, but passes with ours or fails on stock: not a deviation
        deviation
        for test_id, deviation in sorted(listed.items())
        if test_id in stock and test_id not in deviating
    ]
    return verdict
