"""TLS material for Spark's web UIs: SPARK-030/031/032 (the application UI, history server or
standalone UIs served over plain HTTP), whose fix turns spark.ssl.NS.enabled on, which Spark
cannot do without a keystore.

Under --secrets-dir/spark-tls: a PKCS12 keystore (a leaf for localhost, 127.0.0.1 and
spark.driver.host, signed by the --ca given or by a new CA kept beside it) and a PKCS12
truststore holding that CA. Their passwords are random and kept in a 0600 env file; the edited
file only references them (spark.ssl.*Password=${env:NAME}, which Spark substitutes). Outside
Kubernetes the launcher exports that file (`set -a; . spark-tls.env`) before spark-submit; on
Kubernetes a Secret holds stores and passwords, mounted into the pods and given to the driver
as environment variables (spark.kubernetes.driver.secretKeyRef.*)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from cryptography import x509

from triplock.fix.material._spark import Material, SparkTarget, pod_mount, provide_settings
from triplock.fix.material.interface import NEEDS_SECRETS_DIR, MaterialOptions, Provided
from triplock.keys import certs
from triplock.keys.k8s_secret import ManifestError
from triplock.keys.keystore import KeystoreError, keystore_bytes, new_password, truststore_bytes
from triplock.model import AuditResult, Finding

SECRET = "spark-tls"
MOUNT = "/mnt/secrets/spark-tls"
KEYSTORE, TRUSTSTORE, ENV_FILE = "keystore.p12", "truststore.p12", "spark-tls.env"
KEY_PASSWORD_ENV, TRUST_PASSWORD_ENV = (
    "SPARK_SSL_KEY_STORE_PASSWORD",
    "SPARK_SSL_TRUST_STORE_PASSWORD",
)
TLS13_SUITES = "TLS_AES_256_GCM_SHA384,TLS_AES_128_GCM_SHA256,TLS_CHACHA20_POLY1305_SHA256"
_SECRET_KEYS = {KEY_PASSWORD_ENV: "key-store-password", TRUST_PASSWORD_ENV: "trust-store-password"}


class SparkTlsProvider:
    rules: ClassVar[frozenset[str]] = frozenset({"SPARK-030", "SPARK-031", "SPARK-032"})

    def provide(
        self, failures: list[Finding], result: AuditResult, options: MaterialOptions
    ) -> Provided:
        def settings_for(
            finding: Finding, target: SparkTarget, out: Provided
        ) -> dict[str, str] | str:
            assert finding.fix is not None  # spark.ssl.NS.enabled=true, the rule's own fix
            namespace = finding.fix.target.removesuffix(".enabled")
            settings = _settings(target, namespace, options, out)
            if not isinstance(settings, str):
                settings[finding.fix.target] = "true"
            return settings

        return provide_settings(failures, result, settings_for)


def _settings(
    target: SparkTarget, namespace: str, options: MaterialOptions, out: Provided
) -> dict[str, str] | str:
    """The keystore and truststore settings of `namespace` (spark.ssl.ui, ...) for `target`
    (material made or reused), or why there are none. They go to the namespace: the fix turns
    on spark.ssl.NS.enabled alone, and Spark reads spark.ssl.* for a namespace only while
    spark.ssl.enabled=true (SSLOptions.parse; without it the UI had no keystore and spoke the
    JRE's CBC suites). TLS 1.3 only with its AEAD suites; the PKCS12 type is that of the
    keystore made here."""
    if options.secrets_dir is None:
        return NEEDS_SECRETS_DIR
    material = Material(options.secrets_dir, SECRET, out)
    try:
        passwords = _passwords(material)
        _stores(material, target, options, passwords)
        where = material.directory
        if target.kubernetes:
            where = MOUNT
            files = {name: material.existing(name) or b"" for name in (KEYSTORE, TRUSTSTORE)}
            for env, key in _SECRET_KEYS.items():
                files[key] = passwords[env].encode()
            material.manifest(SECRET, files, target.settings.get("spark.kubernetes.namespace"))
    except (KeystoreError, certs.IssuerError, ManifestError, OSError, ValueError) as e:
        return f"cannot make the TLS material: {e}"
    settings = {
        f"{namespace}.keyStore": f"{where}/{KEYSTORE}",
        f"{namespace}.keyStoreType": "PKCS12",
        f"{namespace}.keyStorePassword": f"${{env:{KEY_PASSWORD_ENV}}}",
        f"{namespace}.keyPassword": f"${{env:{KEY_PASSWORD_ENV}}}",
        f"{namespace}.trustStore": f"{where}/{TRUSTSTORE}",
        f"{namespace}.trustStoreType": "PKCS12",
        f"{namespace}.trustStorePassword": f"${{env:{TRUST_PASSWORD_ENV}}}",
        f"{namespace}.protocol": "TLSv1.3",
        f"{namespace}.enabledAlgorithms": TLS13_SUITES,
    }
    if target.kubernetes:
        settings.update(pod_mount(SECRET, MOUNT))
        for env, key in _SECRET_KEYS.items():
            settings[f"spark.kubernetes.driver.secretKeyRef.{env}"] = f"{SECRET}:{key}"
    return settings


def _passwords(material: Material) -> dict[str, str]:
    """The stores' passwords: from the env file when it is there, else new ones (created)."""
    fresh = f"{KEY_PASSWORD_ENV}={new_password()}\n{TRUST_PASSWORD_ENV}={new_password()}\n"
    text = material.ensure(
        ENV_FILE,
        fresh,
        "passwords of the Spark keystore and truststore, which spark.ssl.*Password reference "
        "as ${env:NAME}: export them before spark-submit (set -a; . THIS_FILE)",
    ).decode()
    found = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    if not all(found.get(env) for env in _SECRET_KEYS):
        raise ValueError(f"{material.path(ENV_FILE)} lacks {' or '.join(_SECRET_KEYS)}")
    return found


def _stores(
    material: Material, target: SparkTarget, options: MaterialOptions, passwords: dict[str, str]
) -> None:
    """The keystore and truststore, made when missing (with a new CA when none is given)."""
    if material.existing(KEYSTORE) is not None and material.existing(TRUSTSTORE) is not None:
        return
    signer = _signer(material, options)
    key = certs.new_key("ec")
    names = ["localhost", "127.0.0.1"]
    host = target.settings.get("spark.driver.host")
    if host and host not in names:
        names.append(host)
    leaf = certs.leaf(key, signer.issuer, names[0], names)
    material.ensure(
        KEYSTORE,
        keystore_bytes(key, [leaf, *signer.chain], passwords[KEY_PASSWORD_ENV], "spark"),
        f"PKCS12 keystore of the Spark UIs (a certificate for {', '.join(names)})",
    )
    material.ensure(
        TRUSTSTORE,
        truststore_bytes([signer.anchor], passwords[TRUST_PASSWORD_ENV]),
        "PKCS12 truststore holding the CA that signed the keystore's certificate",
    )


@dataclass(frozen=True)
class _Signer:
    issuer: certs.Issuer
    chain: list[x509.Certificate]  # what a server sends after its leaf
    anchor: x509.Certificate  # what clients trust


def _signer(material: Material, options: MaterialOptions) -> _Signer:
    """The CA that signs: --ca (sent after the leaf, as a scanner cannot tell a leaf signed by
    an unknown root from a chain missing its intermediates), else a new root and intermediate
    (keys and certificates kept beside the stores)."""
    if options.ca_cert and options.ca_key:
        with open(options.ca_cert, "rb") as handle:
            ca = certs.load_certs(handle.read())[0]
        with open(options.ca_key, "rb") as handle:
            return _Signer(certs.Issuer(ca, certs.load_key(handle.read())), [ca], ca)
    root_key, inter_key = certs.new_key("ec"), certs.new_key("ec")
    root = certs.root_ca(root_key, "triplock Spark UI root CA")
    inter = certs.intermediate_ca(
        inter_key, certs.Issuer(root, root_key), "triplock Spark UI intermediate CA"
    )
    for name, data, what in (
        ("ca.key", certs.key_pem(root_key), "private key of the new root CA (keep it offline)"),
        ("ca.pem", certs.cert_pem(root), "certificate of the new root CA (trust it)"),
        ("intermediate.key", certs.key_pem(inter_key), "private key of its intermediate CA"),
        ("intermediate.pem", certs.cert_pem(inter), "certificate of its intermediate CA"),
    ):
        material.ensure(name, data, what)
    return _Signer(certs.Issuer(inter, inter_key), [inter], root)


PROVIDER = SparkTlsProvider()
