"""The one base exception of the application: catch it to catch ours, and only ours."""

from __future__ import annotations

__all__ = ["MessagingError"]


class MessagingError(Exception):
    """Base of every error this package raises on purpose; the message is for a human."""
