"""The help every command prints, global options, and errors that say what to do."""

from __future__ import annotations

import functools
import itertools
import re
from typing import Any

import pytest
import typer
from botocore.exceptions import EndpointConnectionError, NoCredentialsError, ProfileNotFound
from typer.testing import CliRunner

from messaging.cli import app
from messaging.cli.common import (
    credentials_hint,
    guard,
    is_local_endpoint,
    package_version,
    reflowed,
    unreachable_hint,
)
from messaging.ops.settings import Settings

WIDE = {"COLUMNS": "250", "NO_COLOR": "1"}


@functools.cache
def commands() -> dict[str, Any]:
    """Every (click) command by its full name (`lake query`); typer may vendor click."""
    found: dict[str, Any] = {}

    def walk(command: Any, prefix: str) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            full = f"{prefix} {name}".strip()
            if getattr(sub, "commands", None):
                walk(sub, full)
            else:
                found[full] = sub

    walk(typer.main.get_command(app), "")
    return found


@functools.cache
def help_of(*args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--help"], env=WIDE)
    assert result.exit_code == 0, result.output
    return result.output


def option_line(help_text: str, option: str) -> str:
    """The help's row for `option`, with any continuation rows joined."""
    rows = help_text.splitlines()
    for index, row in enumerate(rows):
        if re.search(rf"│ {re.escape(option)}\b", row):
            text = row
            for after in rows[index + 1 :]:
                if re.match(r"│\s+--|│\s+-\w|╰", after):
                    break
                text += " " + after
            return " ".join(text.replace("│", " ").split())
    raise AssertionError(f"{option} not in help:\n{help_text}")


@pytest.mark.parametrize("name", sorted(commands()))
def test_every_flag_shows_no_placeholder_and_every_env_option_names_its_variable(
    name: str,
) -> None:
    command = commands()[name]
    text = help_of(*name.split())
    assert "<bool>" not in text
    checked = 0
    for param in command.params:
        if param.param_type_name != "option" or not param.envvar:
            continue
        checked += 1
        variables = [param.envvar] if isinstance(param.envvar, str) else list(param.envvar)
        line = option_line(text, param.opts[0])
        assert f"[env var: {', '.join(variables)}]" in line, line
        assert "[default: " in line or param.default is not None, line
    takes_aws_settings = any("--endpoint-url" in p.opts for p in command.params)
    assert checked >= (4 if takes_aws_settings and name != "env" else 0)


def test_stack_options_read_messaging_stack_name_and_show_the_default() -> None:
    taking_a_stack = [
        n
        for n, c in commands().items()
        if any("--stack-name" in getattr(p, "opts", ()) for p in c.params)
    ]
    assert {
        "up",
        "deploy",
        "destroy",
        "outputs",
        "produce",
        "consume",
        "status",
        "simulate",
    } <= set(taking_a_stack)
    for name in taking_a_stack:
        line = option_line(help_of(*name.split()), "--stack-name")
        assert "[env var: MESSAGING_STACK_NAME]" in line
        assert "[default: (messaging)]" in line


def test_up_takes_its_stack_name_from_messaging_stack_name() -> None:
    # An invalid name proves the variable is read: `up` refuses it before starting anything.
    result = CliRunner().invoke(app, ["up", "--port", "0"], env={"MESSAGING_STACK_NAME": "9lives"})
    assert result.exit_code == 2
    assert result.output.startswith("error: invalid settings: stack_name: ")


def test_endpoint_region_and_profile_show_the_sdk_variables() -> None:
    text = help_of("status")
    assert "[env var: AWS_ENDPOINT_URL]" in option_line(text, "--endpoint-url")
    assert "[env var: AWS_REGION, AWS_DEFAULT_REGION]" in option_line(text, "--region")
    assert "[env var: AWS_PROFILE]" in option_line(text, "--profile")
    assert option_line(text, "--json").endswith("Print the result as JSON on stdout.")


def test_version_and_quiet_are_global_options() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"messaging {package_version()}\n"
    text = help_of()
    assert "--quiet" in text
    assert "[env var: MESSAGING_QUIET]" in option_line(text, "--quiet")


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://127.0.0.1:4566", True),
        ("http://localhost:4566", True),
        ("http://[::1]:4566", True),
        ("http://127.3.2.1", True),
        ("https://sqs.us-east-1.amazonaws.com", False),
        ("http://10.0.0.5:4566", False),
        (None, False),
    ],
)
def test_local_endpoints_are_the_loopback_ones(url: str | None, local: bool) -> None:
    assert is_local_endpoint(url) is local


def test_missing_credentials_against_a_local_endpoint_say_what_to_do() -> None:
    local = Settings(endpoint_url="http://127.0.0.1:4566")
    hint = credentials_hint(NoCredentialsError(), local)
    assert 'eval "$(messaging env)"' in hint
    assert "AWS_ACCESS_KEY_ID=localcloud" in hint
    aws = credentials_hint(NoCredentialsError(), Settings())
    assert aws.startswith("no AWS credentials found: configure them")
    profile = credentials_hint(ProfileNotFound(profile="nope"), local)
    assert "(nope) could not be found" in profile
    assert "needs no profile; unset AWS_PROFILE" in profile


def test_a_missing_profile_is_one_line_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "doesnotexist")
    result = CliRunner().invoke(app, ["outputs", "--endpoint-url", "http://127.0.0.1:9"])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "error: The config profile (doesnotexist) could not be found: the local cloud at "
        "http://127.0.0.1:9 needs no profile; unset AWS_PROFILE and use placeholder "
        'credentials: eval "$(messaging env)"'
    ]


def test_help_paragraphs_wrap_at_the_terminal_not_at_the_docstring_s_line_breaks() -> None:
    # typer kept the docstring's breaks: at 80 columns "...in a process of its own on" wrapped
    # to "...of its" and a row of "own on" alone, paragraph after paragraph.
    narrow = {"COLUMNS": "80", "NO_COLOR": "1"}
    for command in (["simulate"], ["deploy"], ["lake", "query"]):
        output = CliRunner().invoke(app, [*command, "--help"], env=narrow).output
        prose = [row.strip() for row in output.split("╭")[0].splitlines()]
        for row, following in itertools.pairwise(prose):
            if row and following:  # a row the terminal wrapped: it fills most of the width
                assert len(row) > 50, (command, row)
    assert reflowed("Line one\n    goes on.\n\n      indented example\n      kept") == (
        "Line one goes on.\n\n  indented example\n  kept"
    )


@pytest.mark.parametrize("name", ["", *sorted(commands())])
def test_help_at_80_columns_cuts_no_word(name: str) -> None:
    # rich cut words wider than an option's help column: "[env var: MESSAGING_STACK_N…]".
    narrow = {"COLUMNS": "80", "NO_COLOR": "1"}
    result = CliRunner().invoke(app, [*name.split(), "--help"], env=narrow)
    assert result.exit_code == 0, result.output
    assert "…" not in result.output


def test_an_endpoint_that_does_not_answer_says_what_to_start_or_check() -> None:
    local = EndpointConnectionError(endpoint_url="http://127.0.0.1:4566/")
    assert unreachable_hint(local) == (
        'Could not connect to the endpoint URL: "http://127.0.0.1:4566/": nothing answers '
        "there. Is the local cloud running? Start it with `messaging up`, or point "
        "--endpoint-url (AWS_ENDPOINT_URL) at the one that is."
    )
    remote = EndpointConnectionError(endpoint_url="https://sqs.eu-west-1.amazonaws.com/")
    assert unreachable_hint(remote).endswith(
        "check the network, and --endpoint-url if you set one."
    )
    assert "messaging up" not in unreachable_hint(remote)

    def unreachable() -> None:
        raise local

    with pytest.raises(typer.Exit) as stopped:
        guard(unreachable)
    assert stopped.value.exit_code == 1
