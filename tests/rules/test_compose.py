"""COMPOSE-001..005 and the existing Hadoop/Spark rules on what compose deployments run."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import ROOT, findings_of, run_cli, write

FIXTURES = ROOT / "tests" / "fixtures" / "compose"


def lines(result: object, rule: str, status: str = "fail") -> list[int]:
    return sorted(f["location"]["line"] for f in findings_of(result, rule, status))  # type: ignore[arg-type]


def test_docker_hadoop_is_judged_as_hadoop() -> None:
    result = run_cli("audit", str(FIXTURES / "docker-hadoop"), "--format", "json")
    (perm,) = findings_of(result, "HADOOP-011", "fail")
    assert perm["location"]["path"].endswith("hadoop.env") and perm["location"]["line"] == 7
    assert findings_of(result, "HADOOP-001", "fail")  # no Kerberos: the image default
    # 9870 and 9000 on every interface; 9864 on loopback only.
    assert lines(result, "COMPOSE-003") == [12, 13]
    assert lines(result, "COMPOSE-003", "pass") == [23]


def test_bitnami_spark_defaults_and_secrets() -> None:
    result = run_cli("audit", str(FIXTURES / "bitnami-spark"), "--format", "json")
    # master: SPARK_RPC_AUTHENTICATION_ENABLED=no; submit and history: the image's default;
    # line 34: the spark-submit in the submit service's bash -c script.
    assert lines(result, "SPARK-001") == [8, 28, 34, 36]
    assert lines(result, "COMPOSE-001") == [21]
    assert lines(result, "COMPOSE-002") == [14]
    assert lines(result, "COMPOSE-005") == [24]
    assert "worker-rpc-Secret" not in result.out


def test_hardened_compose_passes(tmp_path: Path) -> None:
    write(
        tmp_path,
        "docker-compose.yml",
        "services:\n  spark:\n    image: bitnami/spark:3.5\n    environment:\n"
        "      SPARK_SSL_ENABLED: 'yes'\n"
        "      SPARK_RPC_AUTHENTICATION_SECRET_FILE: /run/secrets/r\n"
        "    ports: ['8080:8080', '127.0.0.1:7077:7077']\n    secrets: [r]\n"
        "secrets:\n  r:\n    file: ./r.txt\n",
    )
    result = run_cli("audit", str(tmp_path), "--format", "json")
    for rule in ("COMPOSE-001", "COMPOSE-002", "COMPOSE-005"):
        assert not findings_of(result, rule, "fail"), rule
    assert lines(result, "COMPOSE-002", "pass") == [7, 7]


def test_env_file_secret_is_reported_not_shown(tmp_path: Path) -> None:
    write(tmp_path, ".env", "POSTGRES_USER=spark\nPOSTGRES_PASSWORD=pg-Pass-77x1q\n")
    result = run_cli("audit", str(tmp_path), "--format", "json")
    assert lines(result, "COMPOSE-004") == [2]
    assert "pg-Pass" not in result.out


def test_service_command_shell_is_read_on_the_compose_lines() -> None:
    result = run_cli("audit", str(FIXTURES / "bitnami-spark"), "--format", "json")
    assert lines(result, "SHELL-001") == [33, 37]  # a block-scalar script and sh -c "..."
