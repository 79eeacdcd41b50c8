"""A standard queue's message, whose MD5 digests are not worked out again on every read.

moto's `Message` computes `body_md5` and `attribute_md5` each time they are read: for
SendMessage's answer, then for every receive, whether over HTTP or by a Lambda event
source mapping's poller (each record carries both). moto's attribute digest takes 9 µs
for one attribute and 22 µs for three, where building the whole record took 54 µs (three
attributes), for every record the mappings deliver (issue #21).

- The attribute digest is a pure function of the attributes' names, types and values,
  and a system's messages mostly carry the same few sets (the producer's is one
  `event_type`). So digests are kept by that content, process-wide, for a bounded
  number of sets; a read looks its set up instead of hashing it. A receive that filters
  the attributes looks up the filtered set, so it gets the digest of what it returns.
- The body digest is kept with the body it was computed from, on the message, and
  shared with the per-receive copies (`store._snapshot`): a message sent over HTTP or
  received again is hashed once. The (body, digest) pair is replaced whole, so a thread
  never pairs a body with another body's digest.
"""

from __future__ import annotations

from typing import Any

from moto.sqs.models import Message

__all__ = ["MAX_ATTRIBUTE_SETS", "StoredMessage"]

MAX_ATTRIBUTE_SETS = 4096  # distinct attribute sets kept; beyond it, the memo starts over

_attribute_digests: dict[tuple[tuple[Any, ...], ...], str] = {}


def _content(attributes: dict[str, Any]) -> tuple[tuple[Any, ...], ...] | None:
    """What moto's digest reads of the attributes, in its order; None if it cannot be a
    key (moto's own computation then runs, and refuses what it refuses)."""
    try:
        return tuple(
            (name, value["DataType"], value.get("StringValue"), value.get("BinaryValue"))
            for name, value in sorted(attributes.items())
        )
    except (KeyError, TypeError, AttributeError):
        return None


class _BodyDigest:
    """The last (body, digest) pair; shared by a message and its per-receive copies."""

    def __init__(self) -> None:
        self.pair: tuple[str, str] | None = None


class StoredMessage(Message):
    """moto's `Message`, with `body_md5` and `attribute_md5` kept (see the module)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._body_digest = _BodyDigest()

    @property
    def body_md5(self) -> str:
        pair = self._body_digest.pair
        body = self.body
        if pair is not None and pair[0] == body:
            return pair[1]
        digest = super().body_md5
        self._body_digest.pair = (body, digest)
        return digest

    @property
    def attribute_md5(self) -> str:
        key = _content(self.message_attributes)
        try:
            return _attribute_digests[key]  # type: ignore[index]  # None is never stored
        except (KeyError, TypeError):  # not seen yet, or a value that cannot be hashed
            pass
        digest = super().attribute_md5  # checks the names, as moto's does
        if key is not None:
            try:
                if len(_attribute_digests) >= MAX_ATTRIBUTE_SETS:
                    _attribute_digests.clear()
                _attribute_digests[key] = digest
            except TypeError:
                pass
        return digest
