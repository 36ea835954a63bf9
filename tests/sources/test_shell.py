from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import findings_of, run_cli, write
from triplock.facts.spark import SparkApp, SparkOrigin
from triplock.sources.interface import SourceError
from triplock.sources.shell import read_script


def settings(text: str) -> dict[str, tuple[str, int | None, bool]]:
    _, apps = read_script(text, "run.sh")
    assert len(apps) == 1
    return {k: (s.value, s.location.line, s.templated) for k, s in apps[0].settings.items()}


def test_conf_forms_and_continuations() -> None:
    got = settings(
        "spark-submit \\\n"
        "  --conf spark.a=1 \\\n"
        "  --conf=spark.b=2 \\\n"
        '  -c "spark.c=x y" \\\n'
        "  --conf 'spark.d=$NOT_EXPANDED' \\\n"
        "  app.py --conf spark.not_mine=1\n"
    )
    assert got["spark.a"] == ("1", 2, False)
    assert got["spark.b"] == ("2", 3, False)
    assert got["spark.c"] == ("x y", 4, False)
    assert got["spark.d"][0] == "$NOT_EXPANDED"
    assert "spark.not_mine" not in got  # application arguments are not Spark settings


def test_variables_expand_with_word_splitting_and_keep_their_line() -> None:
    got = settings(
        'CONF="--conf spark.authenticate=true --conf spark.io.encryption.enabled=true"\n'
        "ARGS=(--conf spark.x=1)\n"
        'ARGS+=(--conf "spark.y=a b")\n'
        'exec "$SPARK_HOME/bin/spark-submit" --master k8s://https://k:6443 \\\n'
        '  $CONF "${ARGS[@]}" a.py\n'
    )
    assert got["spark.authenticate"] == ("true", 1, False)
    assert got["spark.io.encryption.enabled"] == ("true", 1, False)
    assert got["spark.x"] == ("1", 2, False)
    assert got["spark.y"] == ("a b", 3, False)
    assert got["spark.master"] == ("k8s://https://k:6443", 4, False)


def test_unknown_variables_make_values_templated() -> None:
    got = settings("spark-submit --conf spark.authenticate.secret=$PW --conf spark.q=${Q:-7} x\n")
    value, line, templated = got["spark.authenticate.secret"]
    assert templated and "PW" in value and line == 1
    assert got["spark.q"] == ("7", 1, False)


def test_java_sparksubmit_and_system_properties() -> None:
    got = settings(
        "java -Dspark.authenticate=true -cp '/opt/spark/jars/*' "
        "org.apache.spark.deploy.SparkSubmit --conf spark.k=v app.jar\n"
    )
    assert got["spark.authenticate"][0] == "true"
    assert got["spark.k"][0] == "v"


def test_xtrace_state_follows_set() -> None:
    commands, _ = read_script("set -ex\necho a\nset +x\necho b\nset -o xtrace\necho c\n", "s.sh")
    traced = {c.argv[1]: c.xtrace for c in commands if c.program == "echo"}
    assert traced == {"a": True, "b": False, "c": True}


def test_heredoc_bodies_and_comments_are_not_commands() -> None:
    commands, apps = read_script(
        "cat <<EOF > x\nspark-submit --conf spark.a=1 app\nEOF\n# spark-submit --conf b=2\n", "s.sh"
    )
    assert apps == []
    assert [c.program for c in commands] == ["cat"]


def test_unterminated_quote_is_a_source_error() -> None:
    with pytest.raises(SourceError, match="unterminated"):
        read_script("spark-submit --conf 'spark.a=1\n", "s.sh")


def test_submit_layers_on_the_trees_defaults_file(tmp_path: Path) -> None:
    write(
        tmp_path,
        "conf/spark-defaults.conf",
        "spark.authenticate true\nspark.io.encryption.enabled true\n",
    )
    write(
        tmp_path,
        "bin/run.sh",
        "#!/bin/sh\nspark-submit --conf spark.io.encryption.enabled=false x.py\n",
    )
    result = run_cli("audit", str(tmp_path), "--format", "json")
    [auth] = findings_of(result, "SPARK-001")
    assert auth["status"] == "pass"
    assert auth["location"]["path"].endswith("spark-defaults.conf")
    [io] = findings_of(result, "SPARK-020")
    assert io["status"] == "fail"
    assert io["location"]["path"].endswith("run.sh") and io["location"]["line"] == 2


def test_unresolvable_properties_file_makes_missing_keys_unknown(tmp_path: Path) -> None:
    write(tmp_path, "run.sh", "spark-submit --properties-file /etc/elsewhere.conf x.py\n")
    result = run_cli("audit", str(tmp_path), "--format", "json")
    [auth] = findings_of(result, "SPARK-001")
    assert auth["status"] == "unknown"


def test_read_script_builds_submit_apps() -> None:
    _, apps = read_script("pyspark --master local[2]\n", "p.sh")
    assert isinstance(apps[0], SparkApp) and apps[0].kind is SparkOrigin.SUBMIT_COMMAND
    assert apps[0].master == "local[2]"


def test_stdin_command_line_is_classified_by_content() -> None:
    result = run_cli(
        "audit",
        "-",
        "--format",
        "json",
        stdin="spark-submit --conf spark.authenticate=false app.py\n",
    )
    assert [i["kind"] for i in result.json()["inputs"]] == ["shell"]
    [auth] = findings_of(result, "SPARK-001")
    assert auth["status"] == "fail" and auth["location"]["path"] == "<stdin>"


def test_spark_submit_wrapper_script_is_a_launch(tmp_path: Path) -> None:
    """BigDL PPML launches through `bash bigdl-ppml-submit.sh` with spark-submit's options and
    its own (`--sgx-enabled true`): the launch is read, the wrapper's options passed over."""
    script = tmp_path / "run.sh"
    script.write_text(
        "#!/bin/bash\nbash bigdl-ppml-submit.sh --master k8s://https://k:6443 \\\n"
        "  --sgx-enabled true --conf spark.authenticate=false \\\n"
        "  --class org.apache.spark.examples.SparkPi local:///opt/x.jar\n"
        "bash other.sh --conf spark.authenticate=false\n"
    )
    result = run_cli("audit", str(script), "--format", "json")
    (fail,) = findings_of(result, "SPARK-001", "fail")
    assert fail["location"]["line"] == 3
