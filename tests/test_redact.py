from __future__ import annotations

import pytest

from triplock.redact import MASK, show, show_command
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
