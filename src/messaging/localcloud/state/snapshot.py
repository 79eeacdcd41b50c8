"""The local cloud's whole state as one pickle, and back into moto's BackendDicts.

What is captured: every backend of every service that was used (moto's `BackendDict`s:
SQS queues and messages, SNS topics and subscriptions, S3 buckets and objects,
DynamoDB tables and items, Firehose streams and their buffers, CloudFormation stacks,
IAM, KMS, ...), the few attributes a `BackendDict` itself holds (S3's bucket-to-account
map), and the instance id. It is one `pickle.dumps`, so an object two services share
(a stack's resources are the queues and tables themselves) is still one object after a
restore.

Why pickle: moto's models are plain Python objects that reference each other; pickle is
the standard library's serialisation for exactly that, and moto already makes its S3
keys picklable (`FakeKey.__getstate__`). Our classes drop what cannot cross a restart
(locks, conditions, threads) in their own `__getstate__`; for moto's objects, the
pickler here replaces locks and conditions by fresh ones, stores private keys (KMS) as
DER, and loads DynamoDB item attributes without moto's per-attribute size re-check
(quadratic per item). Anything else that cannot be pickled fails the snapshot loudly.

A pickle runs code when loaded, so a state file is as trusted as the code itself: it is
written only by `messaging up` into a directory you name, readable by you alone.

The snapshot must be taken while nothing changes the state: `Persistence` closes the
gate (`state.gate`) and holds the Firehose buffers' locks around `capture()`.
"""

from __future__ import annotations

import io
import pickle
import threading
from importlib import metadata
from typing import Any

from cryptography.hazmat.primitives import serialization
from moto import backends as moto_backends
from moto.core.base_backend import BackendDict
from moto.dynamodb.models.dynamo_type import LimitedSizeDict

__all__ = ["FORMAT", "StateError", "capture", "restore"]

FORMAT = 1
_LOCK_TYPES = (type(threading.Lock()), type(threading.RLock()))
# What every BackendDict has; anything more (S3's bucket-to-account map) is state.
_BACKEND_DICT_FIELDS = {"backend", "service_name", "_use_boto3_regions", "_additional_regions"}
_BACKEND_DICT_FIELDS |= {"_id"}


class StateError(Exception):
    """The state cannot be saved or loaded; the message says what to do."""


def _new_lock() -> Any:
    return threading.Lock()


def _new_rlock() -> Any:
    return threading.RLock()


def _new_condition() -> threading.Condition:
    return threading.Condition()


def _load_private_key(der: bytes) -> Any:
    return serialization.load_der_private_key(der, password=None)


def _item_attributes(attributes: dict[str, Any]) -> LimitedSizeDict:
    """A DynamoDB item's attributes, without re-checking a size checked when written.

    moto's `LimitedSizeDict` sums the whole item again on every attribute set: loading
    items through it was the largest part of a restore.
    """
    rebuilt = LimitedSizeDict()
    dict.update(rebuilt, attributes)
    return rebuilt


class _Pickler(pickle.Pickler):
    """Locks and conditions start afresh after a restore; private keys travel as DER."""

    def reducer_override(self, obj: Any) -> Any:
        kind = type(obj)
        if kind is _LOCK_TYPES[0]:
            return _new_lock, ()
        if kind is _LOCK_TYPES[1]:
            return _new_rlock, ()
        if isinstance(obj, threading.Condition):
            return _new_condition, ()
        if kind is LimitedSizeDict:
            return _item_attributes, (dict(obj),)
        if kind.__module__.startswith("cryptography") and hasattr(obj, "private_bytes"):
            der = obj.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            return _load_private_key, (der,)
        return NotImplemented


def _used_backend_dicts() -> list[BackendDict[Any]]:
    return list(BackendDict._instances)  # type: ignore[misc]  # noqa: SLF001 - moto's registry


def moto_version() -> str:
    return metadata.version("moto")


def capture(instance_id: str) -> bytes:
    """Pickle every used backend; the caller guarantees nothing changes meanwhile."""
    services: dict[str, Any] = {}
    for backend_dict in _used_backend_dicts():
        extra = {k: v for k, v in vars(backend_dict).items() if k not in _BACKEND_DICT_FIELDS}
        accounts = {account: dict(regions) for account, regions in backend_dict.items()}
        services[backend_dict.service_name] = {"accounts": accounts, "extra": extra}
    state = {
        "format": FORMAT,
        "moto": moto_version(),
        "instance_id": instance_id,
        "services": services,
    }
    buffer = io.BytesIO()
    try:
        _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(state)
    except (pickle.PicklingError, TypeError, AttributeError) as error:
        raise StateError(f"cannot save the local cloud's state: {error}") from error
    return buffer.getvalue()


def restore(data: bytes) -> str:
    """Put a captured state back into moto's BackendDicts; returns its instance id.

    Call after `install()` and before the first request.
    """
    try:
        state = pickle.loads(data)  # noqa: S301 - our own file, see the module docstring
    except Exception as error:  # any unpickling failure means the same: unreadable
        reason = f"{type(error).__name__}: {error}"
        raise StateError(f"the saved state is unreadable ({reason})") from error
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise StateError("the saved state has an unknown format")
    if state["moto"] != moto_version():
        raise StateError(
            f"the saved state was written with moto {state['moto']}, this is moto {moto_version()}"
        )
    for service, saved in state["services"].items():
        backend_dict: Any = moto_backends.get_backend(service)
        backend_dict.clear()
        for name, value in saved["extra"].items():
            setattr(backend_dict, name, value)
        for account, regions in saved["accounts"].items():
            account_backends = backend_dict[account]
            for region, backend in regions.items():
                dict.__setitem__(account_backends, region, backend)
    for backend_dict in _used_backend_dicts():
        for _, _, backend in backend_dict.iter_backends():
            after_restore = getattr(backend, "after_restore", None)
            if callable(after_restore):
                after_restore()
    return str(state["instance_id"])
