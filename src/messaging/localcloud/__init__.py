"""The embedded local cloud: moto plus our fidelity plug-ins.

moto alone cannot run this system; each plug-in module closes one gap and says which
in its docstring:

- `cloudformation/`: stacks fail with a reason instead of "completing" without
  resources (`stacks`); the resource types moto lacks (`resources`); the properties
  moto's own models ignore (`overrides`);
- `sns/`: SNS -> Firehose delivery;
- `firehose/`: buffering, prefix expressions, object names;
- `sqs/`: a queue whose per-call cost does not grow with backlog; message move tasks
  (DLQ redrive), which moto lacks;
- `dynamodb/`: transactions whose cost does not grow with the table, item building
  and condition checks without repeated work, Scan pages that cost a page, and
  BatchExecuteStatement's plain answers written without walking the shape;
- `awslambda/`: functions run in local worker processes, SQS event source mappings
  polled with Lambda's semantics, invocation logs in CloudWatch Logs (moto needs Docker);
- `s3/`: bucket policies evaluated as AWS does (a TLS-only policy no longer denies all);
- `request_path`: moto's per-request dispatch, minus work whose answer never changes;
- `query_parser`: moto's query-protocol parsers (query, EC2), linear instead of quadratic;
- `json_parser`: moto's JSON-protocol parser, over the members present, on a body decoded once;
- `form_body`: a query-protocol form body decoded once, by the precheck, not again by werkzeug;
- `value_picker`: moto's response serialiser, each member's key spellings worked out once;
- `xml_body`: moto's XML answers written in one walk, xmltodict's text byte for byte;
- `log_search`: FilterLogEvents by bisection, its cost that of the page, not of the group;
- `server`, `transport`: the HTTP server and its budgets (body size, connections,
  threads); in front of moto, `guard` (only the user's own clients), `precheck`
  (AWS's syntax checks and limits: `route`, `wire`, `limits`), `admin` (reset and
  health), `longpoll`, `faults` (latency and fault injection) and `failsafe`;
- `state/`: snapshots that survive a restart (`--state-dir`), and the gate that keeps
  them consistent; `instance`: the id that tells a restored cloud from a new one;
- `tracking`: moto's record of every model object, bounded;
- `seams`: how a plug-in reaches into moto, written once.

Only `cli` starts it; the application never imports this package.
"""

from __future__ import annotations

__all__ = ["install"]


def install() -> None:
    """Install every plug-in into moto. Idempotent; call before the first request."""
    # Imported on call: the plug-in modules import this package's submodules.
    from messaging.localcloud import (  # noqa: PLC0415
        awslambda,
        json_parser,
        log_search,
        query_parser,
        request_path,
        value_picker,
        xml_body,
    )
    from messaging.localcloud.cloudformation import resources, stacks  # noqa: PLC0415
    from messaging.localcloud.dynamodb import (  # noqa: PLC0415
        requests,
        statement_answers,
        transactions,
    )
    from messaging.localcloud.firehose import backend as firehose  # noqa: PLC0415
    from messaging.localcloud.s3 import policies  # noqa: PLC0415
    from messaging.localcloud.sns import backend as sns  # noqa: PLC0415
    from messaging.localcloud.sqs import backend as sqs  # noqa: PLC0415

    request_path.install()
    query_parser.install()
    json_parser.install()
    value_picker.install()
    xml_body.install()
    sqs.install()
    transactions.install()
    requests.install()
    statement_answers.install()
    policies.install()
    sns.install()
    firehose.install()
    log_search.install()
    awslambda.install()
    stacks.install()
    resources.install()
