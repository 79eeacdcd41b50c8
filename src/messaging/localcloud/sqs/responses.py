"""moto's SQS responses plus the three message move task actions moto lacks.

Routed through `urls.py`, which `FastSQSBackend` names as its URL module; everything
else is moto's `SQSResponse` unchanged.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.sqs.responses import SQSResponse

__all__ = ["LocalSQSResponse"]


class LocalSQSResponse(SQSResponse):
    """StartMessageMoveTask, ListMessageMoveTasks and CancelMessageMoveTask."""

    def start_message_move_task(self) -> ActionResult:
        rate = self._get_param("MaxNumberOfMessagesPerSecond")
        handle = self._backend().start_message_move_task(
            self._get_param("SourceArn"),
            self._get_param("DestinationArn"),
            None if rate is None else int(rate),
        )
        return ActionResult({"TaskHandle": handle})

    def list_message_move_tasks(self) -> ActionResult:
        max_results = self._get_param("MaxResults")
        tasks = self._backend().list_message_move_tasks(
            self._get_param("SourceArn"), 1 if max_results is None else int(max_results)
        )
        return ActionResult({"Results": [task.describe() for task in tasks]})

    def cancel_message_move_task(self) -> ActionResult:
        moved = self._backend().cancel_message_move_task(self._get_param("TaskHandle"))
        return ActionResult({"ApproximateNumberOfMessagesMoved": moved})

    def _backend(self) -> Any:
        return self.sqs_backend
