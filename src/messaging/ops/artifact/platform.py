"""The Lambda platform the artifact is built for, read from the template's functions.

The template is the one place that says which runtime and architecture the functions
run on (`Runtime: python3.13`, `Architectures: [arm64]`); the builder reads them from
there, so the wheels it picks can never disagree with the functions that load them.
"""

from __future__ import annotations

import platform as host
import sys
from dataclasses import dataclass
from typing import Final

from messaging.ops.artifact.errors import ArtifactError
from messaging.ops.stack.template import parse_template

__all__ = ["LambdaPlatform", "platform_of"]

_MACHINES: Final = {"arm64": "aarch64", "x86_64": "x86_64"}
# glibc of each Python runtime's OS: Amazon Linux 2 (2.26) for 3.11, Amazon Linux 2023
# (2.34) for 3.12 and later. manylinux2014 is glibc 2.17; manylinux_2_28 needs 2.28.
_GLIBC_2_28: Final = {"3.12", "3.13", "3.14"}


@dataclass(frozen=True)
class LambdaPlatform:
    """A Python Lambda runtime on one architecture, as pip names its wheels."""

    python: str = "3.13"  # major.minor
    architecture: str = "arm64"  # Lambda's name: arm64 or x86_64

    @property
    def runtime(self) -> str:
        return f"python{self.python}"

    @property
    def pip_platforms(self) -> list[str]:
        """The `--platform` values whose wheels run there (pip does not widen them)."""
        machine = _MACHINES[self.architecture]
        tags = [f"manylinux2014_{machine}"]
        if self.python in _GLIBC_2_28:
            tags.append(f"manylinux_2_28_{machine}")
        return tags

    @classmethod
    def this_machine(cls) -> LambdaPlatform:
        """The running interpreter's platform, to run an artifact here (Linux only)."""
        machine = {v: k for k, v in _MACHINES.items()}.get(host.machine())
        if sys.platform != "linux" or machine is None:
            raise ArtifactError(
                f"an artifact runs on Linux x86_64 or aarch64, not {sys.platform} {host.machine()}"
            )
        return cls(f"{sys.version_info.major}.{sys.version_info.minor}", machine)

    def pip_target_options(self) -> list[str]:
        """pip options that pick wheels for this platform instead of the running one."""
        options = ["--only-binary=:all:", "--implementation", "cp"]
        options += ["--python-version", self.python]
        for tag in self.pip_platforms:
            options += ["--platform", tag]
        return options


def platform_of(template_body: str) -> LambdaPlatform:
    """The one platform every AWS::Lambda::Function of the template runs on."""
    found = set()
    for name, resource in (parse_template(template_body).get("Resources") or {}).items():
        if resource.get("Type") != "AWS::Lambda::Function":
            continue
        properties = resource.get("Properties") or {}
        runtime = str(properties.get("Runtime", ""))
        architectures = properties.get("Architectures") or ["x86_64"]  # Lambda's default
        if not runtime.startswith("python") or len(architectures) != 1:
            raise ArtifactError(
                f"{name}: the artifact is built for one python runtime and one "
                f"architecture; the template says {runtime!r} on {architectures}"
            )
        if architectures[0] not in _MACHINES:
            raise ArtifactError(f"{name}: unknown architecture {architectures[0]!r}")
        found.add(LambdaPlatform(runtime.removeprefix("python"), str(architectures[0])))
    if len(found) != 1:
        raise ArtifactError(
            "the template's functions must share one runtime and architecture to share "
            f"one artifact; found {sorted(p.runtime + '/' + p.architecture for p in found)}"
        )
    return found.pop()
