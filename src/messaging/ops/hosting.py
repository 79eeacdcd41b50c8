"""Where the services run, and what a deploy adds to the stack's parameters for it.

The template's `ServicesHost` decides: `lambda` (the default) creates the services as
Lambda functions behind SQS event source mappings; `external` leaves them to
`messaging consume` on machines of your own. Every deploy path (`messaging deploy`,
`up`, `simulate`) calls `prepare` before the change set, which

- works out the values the stack will have (given, else kept from the stack, else the
  template's defaults), as the change set will;
- on lambda, refuses a visibility timeout under 6 x the function timeout (AWS's
  guidance for SQS event sources: a batch Lambda retries must not be received again
  meanwhile; CloudFormation cannot compute it in the template, so it is checked here);
- on lambda, builds the artifact for the template's runtime and architecture, publishes
  it to the artifact bucket (unless `upload` is off: a preview only needs the key), and
  returns `ArtifactBucket` and `ArtifactKey`. An unchanged build is the same key, so the
  change set changes no function. Given both by hand (`-p ArtifactBucket=... -p
  ArtifactKey=...`), a prebuilt artifact is used as it is.
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from messaging.ops.artifact import Artifact, LambdaPlatform, build, platform_of
from messaging.ops.artifact.bucket import Published, bucket_name, publish
from messaging.ops.stack.model import StackError
from messaging.ops.stack.read import stack_parameters
from messaging.ops.stack.template import template_parameters

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sts import STSClient

__all__ = [
    "HOSTS",
    "VISIBILITY_FACTOR",
    "ArtifactSource",
    "HostingError",
    "HostingPlan",
    "check_visibility",
    "default_wheelhouse",
    "effective_parameters",
    "prepare",
]

HOSTS: Final = ("lambda", "external")
VISIBILITY_FACTOR: Final = 6  # AWS: queue visibility >= 6 x function timeout
ARTIFACT_PARAMETERS: Final = ("ArtifactBucket", "ArtifactKey")
# States whose parameters a deploy does not keep: it creates the stack (again).
_RECREATED: Final = {"REVIEW_IN_PROGRESS", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED"}


class HostingError(StackError):
    """The parameters cannot host the services as asked; nothing was sent."""


def default_wheelhouse() -> Path | None:
    """The wheelhouse `make` fills (`<venv>/lambda-wheels`), if this environment has one."""
    candidate = Path(sys.prefix) / "lambda-wheels"
    return candidate if candidate.is_dir() else None


@dataclass(frozen=True)
class ArtifactSource:
    """Where a build finds its wheels: a directory (offline), or the package index.

    `dependencies=False` builds the package part alone, for the local cloud that
    `messaging up` or `simulate` runs itself: its Lambda runtime runs functions on this
    machine's Python and takes third-party packages from its own environment (the
    Lambda-platform wheels of a full artifact would not even import here), so a local run
    builds from what is installed and downloads nothing. Deploys elsewhere (AWS, another
    endpoint) build the full artifact for the template's runtime.
    """

    wheelhouse: Path | None = field(default_factory=default_wheelhouse)
    cache_dir: Path | None = None  # installed dependencies; None: the user's cache
    dependencies: bool = True


@dataclass(frozen=True)
class HostingPlan:
    host: str
    parameters: dict[str, str]  # what the deploy must add to the given parameters
    notes: list[str] = field(default_factory=list)
    artifact: Artifact | None = None
    published: Published | None = None


def effective_parameters(
    template_body: str, given: dict[str, str], stack: dict[str, Any] | None, *, reset: bool
) -> dict[str, str]:
    """The values the stack will have: given, else kept, else the template's default."""
    declared = template_parameters(template_body)
    values = {name: str(spec["Default"]) for name, spec in declared.items() if "Default" in spec}
    if stack is not None and not reset and stack.get("StackStatus") not in _RECREATED:
        values.update({k: v for k, v in stack_parameters(stack).items() if k in declared})
    values.update(given)
    return values


def check_visibility(values: dict[str, str]) -> None:
    """On lambda, the queues' visibility timeout must be >= 6 x the function timeout."""
    if values.get("ServicesHost") != "lambda":
        return
    visibility = int(values["VisibilityTimeoutSeconds"])
    timeout = int(values["FunctionTimeoutSeconds"])
    if visibility < VISIBILITY_FACTOR * timeout:
        raise HostingError(
            f"VisibilityTimeoutSeconds {visibility} is under {VISIBILITY_FACTOR} x "
            f"FunctionTimeoutSeconds {timeout} = {VISIBILITY_FACTOR * timeout} (AWS's "
            "guidance for SQS event sources); raise it with -p VisibilityTimeoutSeconds="
            f"{VISIBILITY_FACTOR * timeout} or lower the function timeout"
        )


def _given_artifact(given: dict[str, str]) -> bool:
    named = [name for name in ARTIFACT_PARAMETERS if given.get(name)]
    if len(named) == 1:
        raise HostingError(
            f"{named[0]} was given without {set(ARTIFACT_PARAMETERS).difference(named).pop()}; "
            "give both for a prebuilt artifact, or neither to let deploy build it"
        )
    return len(named) == 2


def prepare(
    s3: S3Client,
    sts: STSClient,
    region: str,
    template_body: str,
    given: dict[str, str],
    stack: dict[str, Any] | None,
    *,
    reset: bool = False,
    source: ArtifactSource | None = None,
    upload: bool = True,
) -> HostingPlan:
    """Check the hosting parameters and, on lambda, provide the artifact's location."""
    values = effective_parameters(template_body, given, stack, reset=reset)
    host = values.get("ServicesHost", "external")
    if host not in HOSTS:
        raise HostingError(f"ServicesHost is {host!r}; it is one of {', '.join(HOSTS)}")
    check_visibility(values)
    if host != "lambda" or _given_artifact(given):
        return HostingPlan(host, {})
    source = source or ArtifactSource()
    platform: LambdaPlatform = platform_of(template_body)
    account = sts.get_caller_identity()["Account"]
    with tempfile.TemporaryDirectory(prefix="messaging-artifact-") as scratch:
        artifact = build(
            platform,
            Path(scratch),
            wheelhouse=source.wheelhouse,
            cache_dir=source.cache_dir,
            dependencies=source.dependencies,
        )
        built = (
            f"Built the function artifact for {platform.runtime}/{platform.architecture}: "
            f"{artifact.size / 1e6:.1f} MB, sha256 {artifact.sha256[:12]}"
            + (
                ""
                if source.dependencies
                else " (the package alone: the local cloud's runtime provides its dependencies)"
            )
        )
        if not upload:
            bucket = bucket_name(account, region)
            note = f"{built}; a deploy would upload it to s3://{bucket}/{artifact.key}"
            parameters = {"ArtifactBucket": bucket, "ArtifactKey": artifact.key}
            return HostingPlan(host, parameters, [note], artifact)
        published = publish(s3, artifact, account, region)
    where = f"s3://{published.bucket}/{published.key}"
    notes = [f"{built}; " + (f"uploaded to {where}" if published.uploaded else f"{where} has it")]
    if published.created_bucket:
        notes.append(f"Created the artifact bucket {published.bucket} (encrypted, TLS only)")
    parameters = {"ArtifactBucket": published.bucket, "ArtifactKey": published.key}
    return HostingPlan(host, parameters, notes, artifact, published)
