"""The Lambda functions' code: built reproducibly, published to a hardened bucket.

`messaging deploy` builds the artifact (`build`: the function's part of the package
plus its dependencies as wheels for the Lambda platform the template names,
`platform`), uploads it under a key that holds its SHA-256 to a bucket it creates
and hardens (`bucket`), and passes that location to the stack. An unchanged build is
the same key, so it uploads nothing and changes no function.
"""

from __future__ import annotations

from messaging.ops.artifact.build import FUNCTION_PACKAGES, Artifact, build, package_entries
from messaging.ops.artifact.dependencies import (
    FUNCTION_REQUIREMENTS,
    default_cache_dir,
    fetch_wheels,
    install_dependencies,
    pins,
)
from messaging.ops.artifact.errors import ArtifactError
from messaging.ops.artifact.platform import LambdaPlatform, platform_of

__all__ = [
    "FUNCTION_PACKAGES",
    "FUNCTION_REQUIREMENTS",
    "Artifact",
    "ArtifactError",
    "LambdaPlatform",
    "build",
    "default_cache_dir",
    "fetch_wheels",
    "install_dependencies",
    "package_entries",
    "pins",
    "platform_of",
]
