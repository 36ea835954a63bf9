"""The shell editor through `triplock fix`: the switches that turn TLS verification off leave
the command the finding points to, every other byte stays (quoting, continuations,
here-documents), bash still reads the script (`bash -n`), and what cannot be edited exactly (a
switch from a variable, through eval, inside `...`, a cluster where k may be a value) is left
with why and the file untouched."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.helpers import need_command, run_cli, write


def _fix(tmp_path: Path, script: str) -> tuple[str, dict[str, list[str]]]:
    path = write(tmp_path / "deploy", "bin/run.sh", script, mode=0o750)
    result = run_cli("fix", "--write", "--format", "json", str(tmp_path / "deploy"))
    report = result.json()
    assert report["errors"] == []
    left: dict[str, list[str]] = {}
    for r in report["remaining"]:
        left.setdefault(r["rule_id"], []).append(r["why"])
    text = path.read_text()
    subprocess.run([need_command("bash"), "-n", str(path)], check=True)
    assert path.stat().st_mode & 0o777 == 0o750
    return text, left


BEFORE = """#!/bin/bash
# fetch the key: curl -k here is a comment and stays
TOKEN=$(curl -k -s "$KMS/kms/v1/key/app"  -H 'Accept: */*')
curl -sk https://kms:9600/x
curl -kfsSL https://kms:9600/y -o out
wget --no-check-certificate  https://repo/z.tgz   # keep this comment
kubectl --insecure-skip-tls-verify=true get pods
cat <<EOF > notes.txt
curl -k https://inside.heredoc
EOF
curl \\
  --insecure \\
  --retry 3 \\
  https://kms:9600/w
helm install x ./chart --insecure-skip-tls-verify
"""

AFTER = """#!/bin/bash
# fetch the key: curl -k here is a comment and stays
TOKEN=$(curl -s "$KMS/kms/v1/key/app"  -H 'Accept: */*')
curl -s https://kms:9600/x
curl -fsSL https://kms:9600/y -o out
wget  https://repo/z.tgz   # keep this comment
kubectl get pods
cat <<EOF > notes.txt
curl -k https://inside.heredoc
EOF
curl \\
  --retry 3 \\
  https://kms:9600/w
helm install x ./chart
"""


def test_tls_switches_leave_their_commands_and_nothing_else_moves(tmp_path: Path) -> None:
    text, left = _fix(tmp_path, BEFORE)
    assert text == AFTER
    assert "SHELL-001" not in left
    again = run_cli("fix", "--format", "json", str(tmp_path / "deploy"))
    assert again.json()["changes"] == [] and again.code == 0


def test_the_diff_shows_the_change_and_masks_the_secrets_around_it(tmp_path: Path) -> None:
    write(tmp_path / "deploy", "run.sh", "#!/bin/sh\ncurl -k -u admin:CANARYpw9q7Zx https://h\n")
    shown = run_cli("fix", str(tmp_path / "deploy"))
    assert shown.code == 1
    assert "-curl -k -u admin:**** https://h\n+curl -u admin:**** https://h\n" in shown.out
    assert "CANARY" not in shown.out + shown.err


@pytest.mark.parametrize(
    ("script", "why"),
    [
        ("FLAGS=-k\ncurl $FLAGS https://h\n", "not written as a word of the curl command"),
        ('ARGS=(-s -k)\ncurl "${ARGS[@]}" https://h\n', "not written as a word of the curl"),
        ("eval curl -k https://h\n", "manual step: the curl command at line 2 runs through eval"),
        ("X=`curl -k https://h`\n", "not written as a word of the curl command"),
        ("curl -ok https://h\n", "may take it as its value"),
    ],
)
def test_what_cannot_be_edited_exactly_is_left_with_why(
    tmp_path: Path, script: str, why: str
) -> None:
    text, left = _fix(tmp_path, "#!/bin/bash\n" + script)
    assert text == "#!/bin/bash\n" + script
    assert len(left["SHELL-001"]) == 1 and why in left["SHELL-001"][0]
    assert left["SHELL-001"][0].startswith("manual step: ")


def test_each_command_is_fixed_even_with_the_same_switch(tmp_path: Path) -> None:
    script = "#!/bin/sh\n" + "".join(f"curl -k https://h/{i}\n" for i in range(7))
    text, left = _fix(tmp_path, script)
    assert text == "#!/bin/sh\n" + "".join(f"curl https://h/{i}\n" for i in range(7))
    assert "SHELL-001" not in left


def test_spark_settings_on_a_launch_line_are_left_for_the_user(tmp_path: Path) -> None:
    script = "#!/bin/sh\nspark-submit --conf spark.network.crypto.enabled=false app.py\n"
    text, left = _fix(tmp_path, script)
    assert text == script
    assert left["SPARK-010"] == [
        "manual step: set spark.network.crypto.enabled=true in the properties file this "
        "launch loads, or on the command yourself (a script gets only safe edits)"
    ]


def test_a_script_that_does_not_lex_is_not_touched(tmp_path: Path) -> None:
    script = "#!/bin/sh\ncurl -k https://h\necho 'unterminated\n"
    path = write(tmp_path / "deploy", "run.sh", script)
    result = run_cli("fix", "--write", "--format", "json", str(tmp_path / "deploy"))
    assert path.read_text() == script
    assert [e["path"] for e in result.json()["errors"]] == [str(path)]
    assert "shell syntax" in result.json()["errors"][0]["reason"]
