"""Encryption of Secret data at rest and the API server's authorization and encryption flags."""

from __future__ import annotations

from tests.helpers.kube_audit import findings, lines


def test_identity_first_is_plaintext() -> None:
    assert lines("K8S-201", "fail", "encryption-bad.yaml") == [14]
    assert lines("K8S-201", "pass", "encryption-good.yaml") == [8]


def test_identity_last_is_the_allowed_fallback() -> None:
    assert not findings("K8S-201", "fail", "encryption-weak.yaml")
    assert findings("K8S-201", "pass", "encryption-weak.yaml")


def test_secrets_not_covered() -> None:
    assert findings("K8S-202", "fail", "encryption-uncovered.yaml")
    assert findings("K8S-202", "pass", "encryption-good.yaml")


def test_weak_and_deprecated_providers() -> None:
    (kms_v1,) = findings("K8S-203", "fail", "encryption-weak.yaml")
    assert kms_v1["location"]["line"] == 6
    assert "kms v1" in kms_v1["message"]
    assert findings("K8S-203", "pass", "encryption-good.yaml")


def test_aescbc_key_never_shown() -> None:
    text = str(findings("K8S-201", "fail", "encryption-bad.yaml"))
    assert "c2VjcmV0" not in text


def test_authorization_mode() -> None:
    assert lines("K8S-210", "fail", "kube-apiserver-bad.yaml") == [14]
    assert lines("K8S-210", "pass", "kube-apiserver-good.yaml") == [15]


def test_encryption_provider_flag() -> None:
    assert findings("K8S-211", "fail", "kube-apiserver-bad.yaml")
    assert lines("K8S-211", "pass", "kube-apiserver-good.yaml") == [16]


def test_identity_in_the_middle_and_aescbc_first() -> None:
    (middle,) = findings("K8S-201", "fail", "encryption-middle.yaml")
    assert middle["location"]["line"] == 8
    assert middle["severity"] == "low"
    (weak,) = findings("K8S-203", "fail", "encryption-middle.yaml")
    assert weak["location"]["line"] == 6
    assert "aescbc" in weak["message"]
