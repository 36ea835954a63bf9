"""The one secret classifier: keys by whole name tokens, values by what they are, known
defaults, and the scanners that find secrets inside URLs, bodies, headers and command lines."""

from __future__ import annotations

import pytest

from triplock.secret_classifier import (
    argument_secrets,
    known_default,
    literal_secret,
    secret_key,
    setting_secret,
    url_credentials,
    url_passwords,
)


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("spark.authenticate.secret", True),
        ("spark.ssl.keyStorePassword", True),
        ("ssl.server.keystore.keypassword", True),
        ("fs.s3a.secret.key", True),
        ("fs.azure.account.key.acct.blob.core.windows.net", True),
        ("fs.insecure__keys.default", True),
        ("spark.kubernetes.authenticate.submission.oauthToken", True),
        ("KMS_APP_KEY", True),
        ("DB_PASS", True),
        ("PASSWORD_2", True),
        ("keyStorePassword0", True),
        ("spark.org.apache.spark.ui.JWSFilter.param.secretKey", True),
        # what a name says *about* a secret, and look-alike words
        ("proxy_pass", False),
        ("fastcgi_pass", False),
        ("spark.io.encryption.keySizeBits", False),
        ("spark.authenticate.secret.file", False),
        ("spark.authenticate.secretBitLength", False),
        ("DB_PASSWORD_FILE", False),
        ("spark.kubernetes.driver.secretKeyRef.DB_PW", False),
        ("spark.bigdl.primaryKey.amy.kms.type", False),
        ("dfs.block.access.key.update.interval", False),
        ("auth.existingSecret", False),
        ("spark.ssl.keyStore", False),
        ("partition.key", False),
        ("spark.kerberos.principal", False),
        ("spark.app.name", False),
        ("passport_number", False),
        ("bypass", False),
    ],
)
def test_keys_are_judged_on_whole_name_tokens(key: str, secret: bool) -> None:
    assert secret_key(key) is secret


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("spark.kerberos.principal", "spark/_HOST@EXAMPLE.COM"),
        ("spark.kerberos.principal", "spark@EXAMPLE.COM"),
        ("spark.bigdl.primaryKey.amy.kms.type", "EHSMKeyManagementService"),
        ("spark.app.name", "GradientBoostedTreeClassifierExample"),
        ("DB_PASSWORD_FILE", "/run/secrets/db"),
        ("API_TOKEN", "none"),
        ("API_TOKEN", "null"),
        ("API_TOKEN", ""),
        ("X_KEY_SECRET", "spark-key-secret"),
        ("X_KEY_SECRET", "projects/p1/secrets/spark-key/versions/3"),
        ("spark.authenticate.secret", "*********(redacted)"),
        ("spark.authenticate.secret", "${SPARK_SECRET}"),
        ("spark.authenticate.secret", "$SPARK_SECRET"),
        ("spark.authenticate.secret", "{{ .Values.secret }}"),
        ("spark.ssl.keyStorePassword", "<your-keystore-password>"),
        ("ENCRYPTION_KEY", "/opt/keys/data.key"),
        ("MASTER_KEY", "keystore.jks"),
        ("SECRET_URL", "https://vault.example.com:8200/v1/secret"),
        ("kms.options", '{"appId": "1234", "ip": "10.0.0.1", "port": 9000}'),
        ("spark.io.encryption.keySizeBits", "128"),
        ("spark.ui.filters", "org.apache.spark.ui.JWSFilter"),
        ("OWNER_EMAIL", "ops@example.com"),
        ("spark.kubernetes.container.image", "apache/spark:3.5.1"),
        ("spark.authenticate", "true"),
        ("hadoop.security.credential.provider.path", "jceks://hdfs@nn:8020/user/c.jceks"),
    ],
)
def test_references_names_and_switches_are_not_secrets(key: str, value: str) -> None:
    assert literal_secret(key, value) is None


@pytest.mark.parametrize(
    ("key", "value", "kind"),
    [
        ("password", "12345", "name"),
        ("spark.authenticate.secret", "hunter2", "name"),
        ("DB_PASSWORD", "hunter2-not-so-secret", "name"),
        ("fs.insecure__keys.default", "00000000000000000000000000000000", "name"),
        ("spark.executorEnv.X", "AKIAIOSFODNN7EXAMPLE", "shape"),
        ("anything", "f3b1c9a4e6d27B8f90a1c3e5d7f9b2a4Zq", "shape"),
        ("spark.eventLog.dir", "s3a://AKIAX:se/cret+x@bucket/logs", "url"),
        ("CACHE_URL", "redis://:hunter2@cache:6379/0", "url"),
        ("url", "jdbc:oracle:thin:scott/tiger@//db:1521/ORCL", "url"),
        ("url", "jdbc:postgresql://db/x?user=a&password=pw", "url"),
        ("spark.driver.extraJavaOptions", "-Dspark.ssl.keyPassword=kp -Xmx1g", "embedded"),
        ("body", '{"username": "u", "password": "pw"}', "embedded"),
    ],
)
def test_literal_secrets(key: str, value: str, kind: str) -> None:
    verdict = literal_secret(key, value)
    assert verdict is not None and verdict.kind == kind


def test_known_defaults_are_named_as_such() -> None:
    assert known_default("changeit") == "changeit"
    assert known_default("Password123!") == "Password123!"
    assert known_default("12345") == "12345"
    assert known_default("x9Lq2-vB7#mW4pZ") is None
    verdict = literal_secret("spark.ssl.keyStorePassword", "changeit")
    assert verdict is not None and verdict.default == "changeit"
    assert "changeit" not in verdict.describe()  # messages never embed values


def test_a_templated_setting_counts_by_its_key_where_it_is_expanded() -> None:
    assert setting_secret("spark.authenticate.secret", "$PW", True, expanded=True) is not None
    assert setting_secret("spark.authenticate.secret", "$PW", True, expanded=False) is None
    assert setting_secret("spark.ssl.keyStorePassword", "/etc/$X/pw", True, True) is None


@pytest.mark.parametrize(
    ("text", "password"),
    [
        ("redis://:pw@host:6379", "pw"),
        ("mysql://user:pa/ss@db/x", "pa/ss"),
        ("s3a://AKIAX:sec/ret+x@bucket/p", "sec/ret+x"),
        ("jdbc:oracle:thin:scott/tiger@//db:1521/ORCL", "tiger"),
        ("k8s://https://user:pw@api:6443", "pw"),
    ],
)
def test_url_passwords(text: str, password: str) -> None:
    [span] = list(url_passwords(text))
    assert text[span.start : span.end] == password


@pytest.mark.parametrize(
    "text",
    [
        "hdfs://nn:8020/user/a@b",
        "kms://https@kms:9600/kms",
        "https://user@host/",
        "redis://:${REDIS_PASSWORD}@cache:6379",
        "k8s://https://api:6443",
    ],
)
def test_urls_without_passwords(text: str) -> None:
    assert not url_credentials(text)


@pytest.mark.parametrize(
    ("argv", "via", "literal"),
    [
        (["curl", "-H", "Authorization: Bearer tok"], "-H", True),
        (["curl", "-H", "Authorization: Bearer $TOKEN"], "-H", False),
        (["curl", "-uadmin:pw", "https://x"], "-u", True),
        (["curl", "--proxy-user", "u:pw", "https://x"], "--proxy-user", True),
        (["curl", "-E", "cert.pem:pw", "https://x"], "-E", True),
        (["curl", "--data", '{"password":"pw"}', "https://x"], "--data", True),
        (["curl", "-d", "user=u&password=pw", "https://x"], "-d", True),
        (["wget", "--header=X-Api-Key:k", "https://x"], "--header", True),
        (["wget", "--password=pw", "https://x"], "--password", True),
        (["helm", "install", "r", "c", "--set-string", "auth.password=pw"], "--set-string", True),
        (["helm", "install", "r", "c", "--set", "a=1,auth.rootPassword=pw"], "--set", True),
        (["sqlplus", "scott/tiger@orcl"], "an argument", True),
        (["mysql", "-ppw", "db"], "-p", True),
        (["redis-cli", "-u", "redis://:pw@host"], "an argument", True),
        (
            ["kubectl", "patch", "secret", "s", "-p", '{"stringData":{"password":"pw"}}'],
            "an argument",
            True,
        ),
    ],
)
def test_command_line_secrets(argv: list[str], via: str, literal: bool) -> None:
    [found] = argument_secrets(argv)
    assert found.via == via
    assert found.literal is literal


@pytest.mark.parametrize(
    "argv",
    [
        ["docker", "run", "-u", "1000:1000", "-p", "8080:80", "image"],
        ["curl", "-H", "Content-Type: application/json", "https://x"],
        ["helm", "install", "r", "c", "--set", "auth.enabled=true,image.tag=1.2"],
        ["sqlplus", "/", "as", "sysdba"],
        ["spark-submit", "--name", "GradientBoostedTreeClassifierExample", "app.py"],
    ],
)
def test_commands_without_secrets(argv: list[str]) -> None:
    assert argument_secrets(argv) == []
