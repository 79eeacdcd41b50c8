"""The embedded local cloud: moto plus our fidelity plug-ins.

moto alone cannot run this system; each plug-in module closes one gap and says which
in its docstring:

- `stacks`: stacks fail with a reason instead of "completing" without resources;
- `cloudformation`: the resource types moto lacks (subscription, queue policy, stream);
- `sns`: SNS -> Firehose delivery;
- `firehose` (+ `firehose_prefix`): buffering, prefix expressions, object names;
- `sqs`: a queue whose per-call cost does not grow with backlog;
- `dynamodb`: transactions whose cost does not grow with the table;
- `dynamodb_requests`: item building and condition checks without repeated work;
- `s3`: bucket policies evaluated as AWS does (a TLS-only policy no longer denies all);
- `request_path`: moto's per-request dispatch, minus work whose answer never changes.

Only `cli` and `simulate` start it; the application never imports this package.
"""

from __future__ import annotations

__all__ = ["install"]


def install() -> None:
    """Install every plug-in into moto. Idempotent; call before the first request."""
    # Imported on call: the plug-in modules import this package's submodules.
    from messaging.localcloud import (  # noqa: PLC0415
        cloudformation,
        dynamodb,
        dynamodb_requests,
        firehose,
        request_path,
        s3,
        sns,
        sqs,
        stacks,
    )

    request_path.install()
    sqs.install()
    dynamodb.install()
    dynamodb_requests.install()
    s3.install()
    sns.install()
    firehose.install()
    stacks.install()
    cloudformation.install()
