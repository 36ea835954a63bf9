from __future__ import annotations

import pytest

from triplock.redact import MASK, show, show_command, show_script
from triplock.secret_classifier import shaped_like_secret


@pytest.mark.parametrize(
    ("key", "value", "shown"),
    [
        ("spark.authenticate.secret", "hunter2", MASK),
        ("spark.ssl.keyStorePassword", "changeit", MASK),
        ("fs.s3a.access.key", "AKIAIOSFODNN7EXAMPLE", MASK),
        ("spark.authenticate.secret", "$PW", "$PW"),
        ("spark.authenticate.secret", "${PW}", "${PW}"),
        ("spark.master", "k8s://https://api:6443", "k8s://https://api:6443"),
        (
            "hadoop.security.key.provider.path",
            "kms://https@kms:9600/kms",
            "kms://https@kms:9600/kms",
        ),
        ("spark.eventLog.dir", "s3a://user:pw@bucket/logs", f"s3a://user:{MASK}@bucket/logs"),
        (None, "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB", MASK),
        (None, "-----BEGIN RSA PRIVATE KEY-----\nMIIE", MASK),
    ],
)
def test_show(key: str | None, value: str, shown: str) -> None:
    assert show(key, value) == shown


def test_random_tokens_look_secret_and_words_do_not() -> None:
    assert shaped_like_secret("f3b1c9a4e6d27b8f90a1c3e5d7f9b2a4Zq")
    assert not shaped_like_secret("org.apache.spark.ui.JWSFilter")
    assert not shaped_like_secret("local:///opt/spark/examples/jars/spark-examples.jar")


def test_show_command_masks_option_values_and_known_positions() -> None:
    argv = ["keytool", "-storepass", "s3cret", "-keystore", "k.jks"]
    assert show_command(argv) == f"keytool -storepass {MASK} -keystore k.jks"
    assert show_command(["curl", "-u", "admin:pw", "x"]) == f"curl -u admin:{MASK} x"
    assert show_command(["openssl", "-passout", "pass:pw"]) == f"openssl -passout pass:{MASK}"
    assert show_command(["echo", "value"], secret_positions=[1]) == f"echo {MASK}"
    assert show_command(["x", "--conf", "a.token=1"]) == f"x --conf a.token={MASK}"


def test_option_meanings_depend_on_the_program() -> None:
    assert show_command(["curl", "-k", "-s", "https://x"]) == "curl -k -s https://x"
    assert show_command(["openssl", "enc", "-k", "pw"]) == f"openssl enc -k {MASK}"


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (
            ["curl", "-H", "Authorization: Bearer tok123", "https://x"],
            f"curl -H Authorization: Bearer {MASK} https://x",
        ),
        (["curl", "-uadmin:pw", "https://x"], f"curl -uadmin:{MASK} https://x"),
        (["curl", "--proxy-user", "u:pw", "https://x"], f"curl --proxy-user u:{MASK} https://x"),
        (["curl", "-E", "c.pem:pw", "https://x"], f"curl -E c.pem:{MASK} https://x"),
        (
            ["curl", "--data", '{"user":"u","password":"pw"}'],
            f'curl --data {{"user":"u","password":"{MASK}"}}',
        ),
        (["curl", "-d", "password=pw&user=u"], f"curl -d password={MASK}&user=u"),
        (
            ["wget", "--header=X-Api-Key:k1", "https://x"],
            f"wget --header=X-Api-Key:{MASK} https://x",
        ),
        (["redis-cli", "-u", "redis://:pw@h:6379"], f"redis-cli -u redis://:{MASK}@h:6379"),
        (["mysql", "-h", "m://u:p/w@h/db"], f"mysql -h m://u:{MASK}@h/db"),
        (["aws", "s3", "ls", "s3a://KEY:sec/ret@b/"], f"aws s3 ls s3a://KEY:{MASK}@b/"),
        (["sqlplus", "scott/tiger@orcl"], f"sqlplus scott/{MASK}@orcl"),
        (
            ["helm", "install", "r", "c", "--set-string", "auth.password=pw,auth.user=u"],
            f"helm install r c --set-string auth.password={MASK},auth.user=u",
        ),
    ],
)
def test_show_command_masks_every_shell_form(argv: list[str], shown: str) -> None:
    assert show_command(argv) == shown


def test_evidence_shows_a_value_that_is_not_a_secret() -> None:
    assert show("spark.io.encryption.keySizeBits", "128") == "128"
    assert show("spark.kerberos.principal", "spark/_HOST@EXAMPLE.COM") == "spark/_HOST@EXAMPLE.COM"
    assert show("spark.authenticate.secret.file", "/mnt/s/secret") == "/mnt/s/secret"
    assert show("spark.authenticate.secret", "$(openssl rand -hex 32)") == MASK
    assert (
        show("JAVA_OPTS", "-Dssl.keyStorePassword=pw -Xmx1g")
        == f"-Dssl.keyStorePassword={MASK} -Xmx1g"
    )


# Hostile shapes that made the old URL-credential regex quadratic (a 9 MB line never ended).
# The timeout is a generous guard, not a speed claim: benchmarks/redact_linear.py measures.
@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    "line",
    ["a" * 9_000_000, "://" * 3_000_000, "x://a:b" * 1_300_000, "a:b@" * 2_250_000],
    ids=["letters", "schemes", "userinfo-chains", "colon-at"],
)
def test_a_9mb_line_is_redacted_in_one_pass(line: str) -> None:
    assert len(show("spark.eventLog.dir", line)) > 0
    assert len(show_command(["curl", line])) > 0


def test_a_secret_key_ref_names_a_secret_and_is_shown() -> None:
    key = "spark.kubernetes.executor.secretKeyRef.KMS_APP_KEY"
    assert show(key, "kms-secret:app-key") == "kms-secret:app-key"
    assert show(key, "3f9a1c7e5b2d4f8a6c0e1b3d5f7a9c2e") == MASK  # a literal under the key


def test_a_script_is_masked_where_its_secrets_sit_and_nowhere_else() -> None:
    script = (
        "export pw=`openssl rsautl -decrypt </k`\n"
        'TOKEN=$(curl -k -s "$URL/key")\r\n'
        "keytool -import -storepass changeit \\\n"
        "  --conf spark.ssl.keyPassword=Pl4tform!2024\n"
        "curl -s \\\n  -u admin:hunter2x https://h\n"
        "export DB_PASSWORD=s3cr3tValue9\n"
        "echo done"
    )
    shown = show_script(script)
    assert shown == (
        "export pw=`openssl rsautl -decrypt </k`\n"
        'TOKEN=$(curl -k -s "$URL/key")\r\n'
        f"keytool -import -storepass {MASK} \\\n"
        f"  --conf spark.ssl.keyPassword={MASK}\n"
        f"curl -s \\\n  -u admin:{MASK} https://h\n"
        f"export DB_PASSWORD={MASK}\n"
        "echo done"
    )
