"""Every rule judges secrets with the one classifier: the false alarms the per-area helpers
raised are gone, `password=12345` is a secret in every input kind, and what evidence shows
follows the same verdict (a non-secret as it is, a secret never)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import CliResult, findings_of, run_cli, write


def audit(path: Path) -> CliResult:
    result = run_cli("audit", str(path), "--format", "json")
    assert result.code in (0, 1), result.err
    return result


def failing(result: CliResult, rule_id: str) -> list[dict[str, Any]]:
    return findings_of(result, rule_id, "fail")


@pytest.mark.parametrize(
    "principal", ["spark/_HOST@EXAMPLE.COM", "spark-user01@EXAMPLE.COM", "ppml2023@BIGDL.INTEL.COM"]
)
def test_a_kerberos_principal_is_not_a_secret(tmp_path: Path, principal: str) -> None:
    write(
        tmp_path,
        "spark-defaults.conf",
        "spark.master k8s://https://api:6443\n"
        f"spark.kerberos.principal {principal}\n"
        "spark.kerberos.keytab /etc/security/keytabs/spark.keytab\n",
    )
    result = audit(tmp_path)
    assert not failing(result, "SPARK-004")
    assert not failing(result, "SPARK-050")
    assert findings_of(result, "SPARK-004", "pass")


def test_ppml_class_names_and_app_names_are_not_secrets(tmp_path: Path) -> None:
    write(
        tmp_path,
        "submit.sh",
        "#!/bin/bash\n"
        "spark-submit --master k8s://https://api:6443 \\\n"
        "  --name GradientBoostedTreeClassifierExample \\\n"
        "  --conf spark.bigdl.primaryKey.amyPK.kms.type=EHSMKeyManagementService \\\n"
        "  --conf spark.bigdl.primaryKey.amyPK.material=/ppml/keys/primaryKey \\\n"
        "  local:///ppml/app.py\n",
    )
    result = audit(tmp_path)
    assert not failing(result, "SPARK-004"), failing(result, "SPARK-004")


def test_a_secret_file_path_and_a_null_token_are_not_tee_secrets(tmp_path: Path) -> None:
    write(
        tmp_path,
        "app.manifest.template",
        'loader.entrypoint = "file:{{ gramine.libos }}"\n'
        'loader.env.DB_PASSWORD_FILE = "/run/secrets/db"\n'
        'loader.env.API_TOKEN = "none"\n',
    )
    result = audit(tmp_path)
    assert not failing(result, "TEE-008")
    assert findings_of(result, "TEE-008", "pass")


_PASSWORD_12345 = {
    "pod.yaml": (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
        "  - name: c\n    image: app:1\n    env:\n    - name: PASSWORD\n      value: '12345'\n",
        "K8S-001",
    ),
    "cm.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  password: '12345'\n",
        "K8S-003",
    ),
    "spark-defaults.conf": (
        "spark.master k8s://https://api:6443\n"
        "spark.hadoop.javax.jdo.option.ConnectionPassword 12345\n",
        "SPARK-004",
    ),
    "app.manifest.template": ('loader.env.PASSWORD = "12345"\n', "TEE-008"),
    "run.sh": ("#!/bin/bash\nmysql -u root -p12345 metastore\n", "SHELL-004"),
}


@pytest.mark.parametrize("name", list(_PASSWORD_12345))
def test_password_12345_is_a_secret_everywhere(tmp_path: Path, name: str) -> None:
    text, rule_id = _PASSWORD_12345[name]
    write(tmp_path, name, text)
    result = audit(tmp_path)
    assert failing(result, rule_id), f"{rule_id} missed password=12345 in {name}"
    for finding in result.json()["findings"]:
        for evidence in finding["evidence"]:
            assert "12345" not in (evidence["value"] or "")


def test_evidence_shows_a_value_that_is_not_a_secret(tmp_path: Path) -> None:
    write(
        tmp_path,
        "spark-defaults.conf",
        "spark.master k8s://https://api:6443\n"
        "spark.io.encryption.enabled true\nspark.io.encryption.keySizeBits 128\n",
    )
    [found] = failing(audit(tmp_path), "SPARK-021")
    assert found["evidence"] == [{"key": "spark.io.encryption.keySizeBits", "value": "128"}]


@pytest.mark.parametrize(
    "url",
    [
        "redis://:CANARY-pw@cache:6379",
        "mysql://hive:CANARY/pw@db:3306/metastore",
        "s3a://AKIAEXAMPLE:CANARY/secret+x@bucket/logs",
        "jdbc:oracle:thin:scott/CANARY-tiger@//db:1521/ORCL",
    ],
)
def test_url_passwords_are_caught_and_never_shown(tmp_path: Path, url: str) -> None:
    write(tmp_path, "spark-defaults.conf", f"spark.sql.catalog.x.url {url}\n")
    result = audit(tmp_path)
    [found] = failing(result, "SPARK-006")
    assert "****" in found["evidence"][0]["value"]
    assert not failing(result, "SPARK-004")  # SPARK-006 reports it, once
    assert "CANARY" not in result.out


@pytest.mark.parametrize(
    "line",
    [
        'curl -H "Authorization: Bearer CANARY-tok" https://kms/',
        "curl -uadmin:CANARY-pw https://kms/",
        "curl -u admin:CANARY-pw https://kms/",
        "curl --user admin:CANARY-pw https://kms/",
        "curl --proxy-user u:CANARY-pw https://kms/",
        "curl -E client.pem:CANARY-pw https://kms/",
        """curl --data '{"password":"CANARY-pw"}' https://kms/""",
        "curl -d 'user=u&password=CANARY-pw' https://kms/",
        "wget --header=X-Api-Key:CANARY-key https://kms/",
        "wget --password=CANARY-pw https://kms/",
        "redis-cli -u redis://:CANARY-pw@cache:6379 ping",
        "curl https://u:CANARY/pw@kms/",
        "hadoop fs -ls s3a://AKIAEXAMPLE:CANARY/secret@bucket/",
        "sqlplus scott/CANARY-tiger@orcl",
        "helm install r c --set-string auth.password=CANARY-pw",
        "helm install r c --set image.tag=1,auth.rootPassword=CANARY-pw",
    ],
)
def test_literal_secrets_in_commands_are_found_and_masked(tmp_path: Path, line: str) -> None:
    write(tmp_path, "run.sh", "#!/bin/bash\nset -x\n" + line + "\n")
    result = audit(tmp_path)
    assert failing(result, "SHELL-004"), line
    assert failing(result, "SHELL-002"), line
    assert "CANARY" not in result.out


@pytest.mark.parametrize(
    "line",
    [
        'curl -H "Authorization: Bearer $TOKEN" https://kms/',
        'curl -H "Content-Type: application/json" https://kms/',
        "docker run -u 1000:1000 -p 8080:80 app",
        "helm install r c --set auth.enabled=true",
    ],
)
def test_commands_without_literal_secrets(tmp_path: Path, line: str) -> None:
    write(tmp_path, "run.sh", "#!/bin/bash\n" + line + "\n")
    assert not failing(audit(tmp_path), "SHELL-004")


def test_tee_literal_keys_and_occlum_host_env_are_never_shown(tmp_path: Path) -> None:
    write(
        tmp_path,
        "app.manifest.template",
        'fs.insecure__keys.default = "00000000000000000000000000000000"\n'
        'fs.mounts = [{ type = "encrypted", path = "/d", uri = "file:d" }]\n',
    )
    write(
        tmp_path,
        "occlum/Occlum.json",
        '{"resource_limits": {"user_space_size": "1GB"},\n'
        ' "env": {"default": ["OCCLUM=yes"], "untrusted": ["KUBE_TOKEN=CANARY-occlum"]}}\n',
    )
    result = audit(tmp_path)
    assert failing(result, "TEE-002") and failing(result, "TEE-008")
    [from_host] = failing(result, "TEE-005")
    assert "KUBE_TOKEN" in from_host["message"]
    assert "00000000000000000000000000000000" not in result.out
    assert "CANARY" not in result.out


def test_embedded_files_are_read_as_key_value_only_when_they_are(tmp_path: Path) -> None:
    write(
        tmp_path,
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n"
        "  nginx.conf: |\n    location / {\n      proxy_pass http://spark-ui:4040;\n"
        "      proxy_set_header X-Token-Hint hunter2secretvalue;\n    }\n"
        "  values.yaml: |\n    auth:\n      password: ''\n      existingSecret: db\n"
        "  app.env: |\n    DB_USER=etl\n    DB_PASSWORD=hunter2\n",
    )
    result = audit(tmp_path)
    assert [f["location"]["line"] for f in failing(result, "K8S-003")] == [17]
