"""A stuck stack is described with its state, its cause and the command that leaves it."""

from __future__ import annotations

import pytest

from messaging.ops import stack


@pytest.mark.parametrize(
    ("status", "advice"),
    [
        ("ROLLBACK_COMPLETE", "run `messaging deploy` again (it deletes the failed stack first)"),
        ("DELETE_FAILED", "run `messaging destroy` to finish deleting it (add --retain"),
        (
            "UPDATE_ROLLBACK_FAILED",
            "run `messaging deploy --continue-rollback` (add --skip-resource",
        ),
        ("REVIEW_IN_PROGRESS", "was never created"),
    ],
)
def test_each_failed_state_names_the_way_out(status: str, advice: str) -> None:
    hint = stack.failure_hint({"StackName": "s", "StackStatus": status}, "Bucket: BucketNotEmpty")
    assert advice in hint
    if status != "REVIEW_IN_PROGRESS":  # nothing failed there: there is no cause to name
        assert "(Bucket: BucketNotEmpty)" in hint
    assert "\n" not in hint
