from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
import yaml

from triplock.keys import k8s_secret
from triplock.keys.secrets import new_secret, write_new_secret


def test_secret_encodings_and_strength() -> None:
    assert len(bytes.fromhex(new_secret())) == 32
    assert len(base64.b64decode(new_secret(48, "base64"))) == 48
    assert "=" not in new_secret(32, "urlsafe")
    assert new_secret() != new_secret()
    with pytest.raises(ValueError):
        new_secret(8)


def test_secret_file_is_0600_without_newline(tmp_path: Path) -> None:
    value = write_new_secret(tmp_path / "spark.secret")
    assert (tmp_path / "spark.secret").read_text() == value
    assert stat.S_IMODE((tmp_path / "spark.secret").stat().st_mode) == 0o600


def test_k8s_secret_manifest(tmp_path: Path) -> None:
    (tmp_path / "tls.key").write_bytes(b"key-bytes")
    (tmp_path / "auth").write_bytes(b"s3cr3t")
    files = k8s_secret.parse_file_args(
        [f"{tmp_path / 'tls.key'}", f"spark-auth={tmp_path / 'auth'}"]
    )
    doc = yaml.safe_load(k8s_secret.manifest("spark-keys", files, "spark"))
    assert doc["kind"] == "Secret" and doc["metadata"]["namespace"] == "spark"
    assert doc["immutable"] is True
    assert base64.b64decode(doc["data"]["tls.key"]) == b"key-bytes"
    assert base64.b64decode(doc["data"]["spark-auth"]) == b"s3cr3t"


@pytest.mark.parametrize(
    ("name", "items"),
    [("Bad_Name", ["x=/dev/null"]), ("ok", ["bad key=/dev/null"]), ("ok", ["a=/dev/null", "a=/x"])],
)
def test_k8s_secret_rejects_invalid_input(name: str, items: list[str]) -> None:
    with pytest.raises(k8s_secret.ManifestError):
        k8s_secret.manifest(name, k8s_secret.parse_file_args(items))
