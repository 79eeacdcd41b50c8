"""The conformance verdict: regressions, listed deviations, stale entries, uncounted tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.conformance.compare import (
    ConformanceError,
    Deviation,
    Outcome,
    compare,
    load_deviations,
    read_baseline,
    read_junit,
    write_baseline,
)

if TYPE_CHECKING:
    from pathlib import Path

DOC = "https://docs.aws.amazon.com/firehose/latest/APIReference/API_BufferingHints.html"


def test_a_test_passing_stock_and_failing_ours_is_a_regression_unless_listed() -> None:
    stock = {"a::x": "passed", "a::y": "passed", "a::z": "failed", "a::w": "passed"}
    ours = {"a::x": "passed", "a::y": "failed", "a::z": "passed", "a::w": "error"}
    listed = [Deviation("a::w", "buffered as AWS buffers", DOC)]
    verdict = compare(stock, ours, listed)  # type: ignore[arg-type]
    assert verdict.regressions == ["a::y"]
    assert [d.test_id for d in verdict.deviations] == ["a::w"]
    assert verdict.improvements == ["a::z"]
    assert (verdict.stock_passed, verdict.ours_passed) == (3, 2)
    assert verdict.stock_not_passed == {"failed": 1}
    assert not verdict.ok


@pytest.mark.parametrize(("stock", "ours"), [("passed", "passed"), ("failed", "failed")])
def test_a_listed_test_that_does_not_deviate_is_stale(stock: str, ours: str) -> None:
    listed = [Deviation("a::x", "fixed since", DOC)]
    verdict = compare({"a::x": stock}, {"a::x": ours}, listed)  # type: ignore[dict-item]
    assert [d.test_id for d in verdict.stale_deviations] == ["a::x"]
    assert not verdict.ok


def test_a_deviation_of_a_service_not_run_is_not_judged() -> None:
    listed = [Deviation("b::y", "another service", DOC)]
    verdict = compare({"a::x": "passed"}, {"a::x": "passed"}, listed)
    assert verdict.ok


def test_junit_reports_keep_the_worst_outcome_per_test(tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    report.write_text(
        "<testsuites><testsuite>"
        '<testcase classname="t.m" name="ok"/>'
        '<testcase classname="t.m" name="bad"><failure message="x"/></testcase>'
        '<testcase classname="t.m" name="skip"><skipped/></testcase>'
        '<testcase classname="t.m" name="teardown"/>'
        '<testcase classname="t.m" name="teardown"><error message="x"/></testcase>'
        "</testsuite></testsuites>",
        encoding="utf-8",
    )
    assert read_junit(report) == {
        "t.m::ok": "passed",
        "t.m::bad": "failed",
        "t.m::skip": "skipped",
        "t.m::teardown": "error",
    }


@pytest.mark.parametrize(
    ("entry", "complaint"),
    [
        ('test = "a::x"\nreason = "r"', "lacks aws_doc"),
        ('test = "a::x"\nreason = "r"\naws_doc = "https://example.com"', "must cite AWS"),
    ],
)
def test_every_deviation_needs_a_reason_and_aws_documentation(
    tmp_path: Path, entry: str, complaint: str
) -> None:
    listed = tmp_path / "deviations.toml"
    listed.write_text(f"[[deviation]]\n{entry}\n", encoding="utf-8")
    with pytest.raises(ConformanceError, match=complaint):
        load_deviations(listed)


def test_the_reviewed_list_loads() -> None:
    from tests.conformance.run import DEVIATIONS

    deviations = load_deviations(DEVIATIONS)
    assert deviations
    assert all(d.aws_doc.startswith("https://docs.aws.amazon.com/") for d in deviations)


def test_a_baseline_keeps_every_outcome_and_the_same_results_are_the_same_bytes(
    tmp_path: Path,
) -> None:
    outcomes: dict[str, Outcome] = {"b::t": "failed", "a::t[x\tcase]": "passed", "c::t": "skipped"}
    write_baseline(outcomes, tmp_path / "one.tsv.gz")
    write_baseline(dict(reversed(outcomes.items())), tmp_path / "two.tsv.gz")
    assert read_baseline(tmp_path / "one.tsv.gz") == outcomes
    assert (tmp_path / "one.tsv.gz").read_bytes() == (tmp_path / "two.tsv.gz").read_bytes()


def test_a_damaged_baseline_is_an_error_not_an_empty_result(tmp_path: Path) -> None:
    (tmp_path / "bad.tsv.gz").write_bytes(b"not gzip")
    with pytest.raises(ConformanceError, match="cannot read the stock baseline"):
        read_baseline(tmp_path / "bad.tsv.gz")
