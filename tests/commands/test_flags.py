"""One command line: every flag says what it does, outputs are -o/--output everywhere, one
name prints a generated secret (the older names still work)."""

from __future__ import annotations

import argparse
from pathlib import Path

from tests.helpers import run_cli
from triplock.cli import build_parser


def _parsers(parser: argparse.ArgumentParser, name: str = "triplock"):  # type: ignore[no-untyped-def]
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                yield from _parsers(sub, f"{name} {sub_name}")


def test_every_flag_has_help() -> None:
    missing = [
        f"{name} {'/'.join(a.option_strings) or a.dest}"
        for name, parser in _parsers(build_parser())
        for a in parser._actions
        if not isinstance(a, (argparse._HelpAction, argparse._SubParsersAction)) and a.help is None
    ]
    assert not missing, missing


def test_every_command_that_writes_a_file_takes_dash_o() -> None:
    for name, parser in _parsers(build_parser()):
        options = {s for a in parser._actions for s in a.option_strings}
        if "--out" in options or "--output" in options:
            assert {"-o", "--output"} <= options, name


def test_show_secret_is_the_one_name_and_the_old_ones_still_work(tmp_path: Path) -> None:
    for flag in ("--show-secret", "--show"):
        out = tmp_path / flag.strip("-")
        result = run_cli("keys", "secret", "-o", str(out), flag)
        assert result.code == 0
        assert out.read_text().strip() in result.out
    secret = tmp_path / "auth"
    secret.write_text("s3cr3t")
    for flag in ("--show-secret", "--stdout"):
        result = run_cli("keys", "k8s-secret", "--name", "x", "--from-file", f"auth={secret}", flag)
        assert result.code == 0 and "kind: Secret" in result.out


def test_kms_secret_help_says_the_variable_holds_the_passphrase_itself() -> None:
    help_text = " ".join(run_cli("encrypt", "--help").out.split())
    assert "the passphrase or PIN itself is taken from the environment variable" in help_text
    assert "TRIPLOCK_KMS_SECRET" in help_text
