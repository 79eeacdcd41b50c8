"""`messaging env`: the lines each shell needs to talk to a local cloud."""

from __future__ import annotations

import json
import shlex
import subprocess

import pytest
from typer.testing import CliRunner

from messaging.cli import app
from messaging.cli.environment import PLACEHOLDER_KEY, exports, local_environment, unsets
from messaging.localcloud import server


def test_the_placeholder_is_the_local_clouds() -> None:
    assert PLACEHOLDER_KEY == server.PLACEHOLDER_KEY
    cloud = local_environment("http://127.0.0.1:4566", "us-east-1", None)
    assert cloud == {
        "AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "localcloud",
        "AWS_SECRET_ACCESS_KEY": "localcloud",
    }


def test_bash_evaluates_the_exports_to_exactly_these_values() -> None:
    awkward = {"A": 'it\'s $HOME `x` "q"', "B": "plain"}
    script = "\n".join([*unsets(("C",), "bash"), *exports(awkward, "bash")])
    done = subprocess.run(
        ["bash", "-c", f'C=1\n{script}\necho "$A"; echo "$B"; echo "${{C-unset}}"'],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.splitlines() == [awkward["A"], "plain", "unset"]


@pytest.mark.parametrize(
    ("shell", "expected"),
    [
        ("fish", ["set -e AWS_PROFILE;", "set -gx X 'a\\'b';"]),
        (
            "powershell",
            ["Remove-Item Env:AWS_PROFILE -ErrorAction SilentlyContinue", "$Env:X = 'a''b'"],
        ),
        ("zsh", ["unset AWS_PROFILE", "export X='a'\"'\"'b'"]),
    ],
)
def test_each_shell_gets_its_own_syntax(shell: str, expected: list[str]) -> None:
    assert [*unsets(("AWS_PROFILE",), shell), *exports({"X": "a'b"}, shell)] == expected  # type: ignore[arg-type]


def test_the_command_prints_unsets_then_exports_and_refuses_a_remote_endpoint() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["env", "--shell", "bash", "--stack-name", "dev"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN"
    assert "export AWS_ENDPOINT_URL='http://127.0.0.1:4566'" in lines
    assert "export MESSAGING_STACK_NAME='dev'" in lines
    assert shlex.split(lines[1]) == ["export", "AWS_ENDPOINT_URL=http://127.0.0.1:4566"]
    as_json = runner.invoke(app, ["env", "--json", "--endpoint-url", "http://localhost:4600"])
    assert json.loads(as_json.output)["set"]["AWS_ENDPOINT_URL"] == "http://localhost:4600"
    remote = runner.invoke(app, ["env", "--endpoint-url", "https://sqs.us-east-1.amazonaws.com"])
    assert remote.exit_code == 2
    assert "is not a local endpoint" in remote.output
