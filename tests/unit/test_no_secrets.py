"""No credentials in the repository, ever: the seed kept keys in a .env file."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

KEY_LIKE = {
    "AWS access key id": re.compile(
        r"(?<![A-Z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|AIPA)[A-Z0-9]{16}(?![A-Z0-9])"
    ),
    "AWS secret access key": re.compile(
        r"(?i)aws_?secret_?access_?key\W{0,5}[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])"
    ),
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----"),
    "session token": re.compile(r"(?i)aws_?session_?token\W{0,5}[A-Za-z0-9/+=]{100,}"),
}


def tracked_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    return [ROOT / name for name in listed.split("\0") if name]


def test_no_tracked_file_holds_anything_key_like() -> None:
    findings = []
    for path in tracked_files():
        text = path.read_bytes().decode("utf-8", errors="replace")
        for kind, pattern in KEY_LIKE.items():
            findings += [f"{path.relative_to(ROOT)}: {kind}" for _ in pattern.finditer(text)]
    assert findings == []


def test_env_files_are_ignored_and_never_tracked() -> None:
    names = {path.name for path in tracked_files()}
    assert not {name for name in names if name == ".env" or name.startswith(".env.")}
    ignored = subprocess.run(
        ["git", "check-ignore", ".env", ".env.local"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    assert ignored == [".env", ".env.local"]


def test_the_patterns_do_find_keys() -> None:
    """The scan is only worth something if it would fire: fake keys built at run time."""
    key_id = "AKIA" + "Q" * 16
    secret = "aws_secret_access_key = " + "a1B2" * 10
    block = "-----BEGIN " + "RSA PRIVATE KEY-----"
    assert KEY_LIKE["AWS access key id"].search(f"id={key_id}\n")
    assert KEY_LIKE["AWS secret access key"].search(secret)
    assert KEY_LIKE["private key"].search(block)
