"""AWS Lambda on the local cloud, without Docker: functions run in local worker processes,
and SQS event source mappings poll their queues with Lambda's semantics.

Modules: `backend` (moto's Lambda backend with local invoke and polling), `functions`
(a function's warm pool, concurrency and invoke path), `workers` (one process per
execution environment), `bootstrap` (the Python runtime inside it), `artifacts` (the
deployment package, checked and unpacked), `mappings` (validation, filters, statistics),
`poller` (batching, partial batch responses, scaling), `logs` (START/END/REPORT lines in
CloudWatch Logs), `cloudformation` (the template's Lambda and log group resources).

What differs locally from real Lambda is listed in the README ("Lambda locally").
"""

from __future__ import annotations

__all__ = ["install", "shutdown"]


def install() -> None:
    """Make moto build the local Lambda backend and register the CloudFormation models."""
    from messaging.localcloud.awslambda import backend, cloudformation  # noqa: F401, PLC0415

    backend.install()


def shutdown() -> None:
    """Stop every mapping's pollers and every worker process (the cloud is stopping)."""
    from messaging.localcloud.awslambda.backend import installed_backends  # noqa: PLC0415

    for backend in installed_backends():
        backend.shutdown()
