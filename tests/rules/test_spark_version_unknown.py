"""When the Spark version is unknown, advice names what holds for each line (JWSFilter,
authEngineVersion=2 and TLS RPC exist from Spark 4.0 only) instead of assuming the newest;
--spark-version rejects what is not a version."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import findings_of, run_cli, write


def audit(tmp_path: Path, conf: str, *extra: str) -> object:
    write(tmp_path, "spark-defaults.conf", "spark.master k8s://https://k:443\n" + conf)
    return run_cli("audit", str(tmp_path), "--format", "json", *extra)


def test_ui_filter_advice_per_line(tmp_path: Path) -> None:
    result = audit(tmp_path, "spark.ui.enabled true\n")
    (fail,) = findings_of(result, "SPARK-040", "fail")  # type: ignore[arg-type]
    assert fail["fix"]["action"] == "manual"
    assert "4.0+" in fail["fix"]["target"] and "3.x" in fail["fix"]["target"]
    known = audit(tmp_path, "spark.ui.enabled true\n", "--spark-version", "4.0.1")
    (fail,) = findings_of(known, "SPARK-040", "fail")  # type: ignore[arg-type]
    assert fail["fix"]["action"] == "set" and fail["fix"]["value"].endswith("JWSFilter")


def test_auth_engine_advice_per_line(tmp_path: Path) -> None:
    conf = "spark.authenticate true\nspark.network.crypto.enabled true\n"
    (fail,) = findings_of(audit(tmp_path, conf), "SPARK-012", "fail")  # type: ignore[arg-type]
    assert "from Spark 4.0" in fail["message"] and "3.x" in fail["fix"]["target"]


def test_tls_rpc_is_unknown_without_a_version(tmp_path: Path) -> None:
    conf = "spark.authenticate true\nspark.ssl.rpc.enabled true\n"
    assert findings_of(audit(tmp_path, conf), "SPARK-010", "unknown")  # type: ignore[arg-type]
    known = audit(tmp_path, conf, "--spark-version", "4.0.0")
    assert findings_of(known, "SPARK-010", "pass")  # type: ignore[arg-type]


def test_spark_version_option_rejects_non_versions(tmp_path: Path) -> None:
    write(tmp_path, "spark-defaults.conf", "spark.authenticate true\n")
    result = run_cli("audit", str(tmp_path), "--spark-version", "latest")
    assert result.code == 2 and "not a Spark version" in result.err
