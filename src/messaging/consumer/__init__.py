"""Consuming a queue: the long-running worker (`worker`) and its bookkeeping (`state`)."""
