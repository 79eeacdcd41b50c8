"""Consuming a queue: the pure core (`batch.process_batch`) and the shells over it.

- `batch`: decode -> handle -> commit -> classify, as data; no threads, no SQS calls;
- `worker`: the long-running shell (poll, process, acknowledge, heartbeat, supervise),
  with its bookkeeping in `inflight` and `state`, and its SQS side in `acks`;
- `runner`: one way to wire services to their queues and tables.

Nothing is imported here, so that a Lambda function importing `consumer.batch` loads
no threads, executors or SQS plumbing it does not use.
"""
