"""The artifact's platform comes from the template's functions, and only from there."""

from __future__ import annotations

import platform
import sys

import pytest

from messaging.ops import stack
from messaging.ops.artifact import ArtifactError, LambdaPlatform, platform_of

FUNCTION = """
  {name}:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: {runtime}
      Architectures: [{architecture}]
      Handler: messaging.consumer.lambda_handler.handler
"""


def template(*functions: tuple[str, str]) -> str:
    body = "Resources:\n"
    for n, (runtime, architecture) in enumerate(functions):
        body += FUNCTION.format(name=f"F{n}", runtime=runtime, architecture=architecture)
    return body


def test_the_shipped_template_runs_python_3_13_on_arm64() -> None:
    found = platform_of(stack.default_template_path().read_text())
    assert found == LambdaPlatform("3.13", "arm64")
    assert found.runtime == "python3.13"
    # Amazon Linux 2023 (glibc 2.34): manylinux2014 and manylinux_2_28 wheels both run.
    assert found.pip_platforms == ["manylinux2014_aarch64", "manylinux_2_28_aarch64"]
    options = found.pip_target_options()
    assert "--only-binary=:all:" in options
    assert options[options.index("--python-version") + 1] == "3.13"
    assert options[options.index("--implementation") + 1] == "cp"


def test_an_amazon_linux_2_runtime_gets_manylinux2014_wheels_only() -> None:
    assert LambdaPlatform("3.11", "x86_64").pip_platforms == ["manylinux2014_x86_64"]


@pytest.mark.parametrize(
    ("functions", "message"),
    [
        ((("python3.13", "arm64"), ("python3.12", "arm64")), "share one runtime"),
        ((("python3.13", "arm64"), ("python3.13", "x86_64")), "share one runtime"),
        ((("nodejs22.x", "arm64"),), "one python runtime"),
        ((("python3.13", "sparc"),), "unknown architecture"),
        ((), "share one runtime"),
    ],
)
def test_functions_that_cannot_share_one_artifact_are_refused(
    functions: tuple[tuple[str, str], ...], message: str
) -> None:
    with pytest.raises(ArtifactError, match=message):
        platform_of(template(*functions))


def test_this_machine_is_the_running_interpreter() -> None:
    here = LambdaPlatform.this_machine()
    assert here.python == f"{sys.version_info.major}.{sys.version_info.minor}"
    assert {"x86_64": "x86_64", "aarch64": "arm64"}[platform.machine()] == here.architecture
