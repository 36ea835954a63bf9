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
from triplock.fix.interface import Edit
from triplock.fix.shell import EDITOR
from triplock.model import Finding, FixAction, Location, Severity, Status
from triplock.rules.registry import all_rules


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


def _edit(action: FixAction, key: str, line: int, value: str | None = None) -> Edit:
    rule = all_rules()[0].meta
    finding = Finding(rule, Status.FAIL, "m", Location("run.sh", line), Severity.HIGH)
    return Edit(finding, action, key, value)


LAUNCH = """#!/bin/bash
spark-submit \\
  --master k8s://https://api:6443 \\
  --conf spark.authenticate=true \\
  --conf "spark.authenticate.secret=CANARYs3cr3tV4lu3" \\
  -c spark.kubernetes.authenticate.submission.oauthToken=CANARYt0k3n \\
  app.py
"""


def test_a_literal_conf_secret_becomes_its_file_form_when_the_file_is_named(
    tmp_path: Path,
) -> None:
    """The edits a provider of generated material (or a file the user names) gives: an unset
    of the secret with sets of its file forms on the same command line."""
    path = "/mnt/secrets/spark-auth/secret"
    edits = [
        _edit(FixAction.UNSET, "spark.authenticate.secret", 5),
        _edit(FixAction.SET, "spark.authenticate.secret.driver.file", 5, path),
        _edit(FixAction.SET, "spark.authenticate.secret.executor.file", 5, path),
        _edit(FixAction.UNSET, "spark.kubernetes.authenticate.submission.oauthToken", 6),
        _edit(FixAction.SET, "spark.kubernetes.authenticate.submission.oauthTokenFile", 6, "t k"),
    ]
    edited = EDITOR.apply(LAUNCH, "shell", edits)
    assert edited.text == LAUNCH.replace(
        '"spark.authenticate.secret=CANARYs3cr3tV4lu3"',
        f"spark.authenticate.secret.driver.file={path} "
        f"--conf spark.authenticate.secret.executor.file={path}",
    ).replace(
        "spark.kubernetes.authenticate.submission.oauthToken=CANARYt0k3n",
        "spark.kubernetes.authenticate.submission.oauthTokenFile='t k'",
    )
    assert edited.left == ()
    assert sorted((c.edit.key, c.before, c.after) for c in edited.changes)[0] == (
        "spark.authenticate.secret",
        5,
        5,
    )
    assert len(edited.changes) == 5
    script = write(tmp_path, "run.sh", LAUNCH)
    assert {"SPARK-002", "SPARK-005"} <= _failing(tmp_path)
    script.write_text(edited.text)
    subprocess.run([need_command("bash"), "-n", str(script)], check=True)
    assert not {"SPARK-002", "SPARK-005"} & _failing(tmp_path)
    assert "CANARY" not in edited.text


def _failing(tree: Path) -> set[str]:
    audit = run_cli("audit", "--format", "json", str(tree)).json()
    return {f["rule_id"] for f in audit["findings"] if f["status"] == "fail"}


def test_a_conf_secret_from_a_variable_keeps_its_words_and_says_why() -> None:
    script = LAUNCH.replace("CANARYs3cr3tV4lu3", "$SECRET")
    edits = [
        _edit(FixAction.UNSET, "spark.authenticate.secret", 5),
        _edit(FixAction.SET, "spark.authenticate.secret.driver.file", 5, "/s"),
    ]
    edited = EDITOR.apply(script, "shell", edits)
    assert edited.text == script
    assert [why for _, why in edited.left] == [
        "manual step: spark.authenticate.secret is not one literal --conf word of the command "
        "at line 5 (it comes from a variable or is given twice); replace it with "
        "spark.authenticate.secret.driver.file=/s"
    ] * 2
