"""moto's per-class record of model objects stays a bounded ring."""

from __future__ import annotations

from collections import deque

from moto.core.common_models import BaseModel
from moto.core.model_instances import reset_model_data
from moto.sqs.models import Message

from messaging.localcloud import tracking


def test_every_class_keeps_only_its_newest_instances() -> None:
    tracking.bound_all()
    messages = [Message(str(n), "body") for n in range(tracking.RING_SIZE + 50)]
    tracked = Message.instances_tracked  # type: ignore[attr-defined]
    assert isinstance(tracked, deque)
    assert len(tracked) == tracking.RING_SIZE
    assert list(tracked)[-1] is messages[-1]
    assert messages[0] not in tracked


def test_a_reset_or_a_late_class_is_bounded_again() -> None:
    tracking.bound_all()
    reset_model_data()  # what moto's reset does: a fresh list per class
    assert not isinstance(Message.instances_tracked, deque)  # type: ignore[attr-defined]
    tracking.ensure_bounded()
    assert isinstance(Message.instances_tracked, deque)  # type: ignore[attr-defined]

    # A BaseModel subclass is registered under the second part of its module path.
    late = type("LateModel", (BaseModel,), {"__module__": "tests.tracking_late"})
    tracking.ensure_bounded()
    assert isinstance(late.instances_tracked, deque)  # type: ignore[attr-defined]
    for _ in range(tracking.RING_SIZE * 2):
        late()
    assert len(late.instances_tracked) == tracking.RING_SIZE  # type: ignore[attr-defined]
