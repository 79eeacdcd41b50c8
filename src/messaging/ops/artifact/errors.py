"""The one base exception of the artifact package."""

from __future__ import annotations

from messaging.errors import MessagingError

__all__ = ["ArtifactError"]


class ArtifactError(MessagingError):
    """The function artifact cannot be built or published; the message says what to do."""
