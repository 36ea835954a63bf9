"""RADOS Gateway rules on ceph.conf: SSE keys only over TLS, a KMS for server-side encryption
reached over verified TLS, no encryption keys written in the file, and S3 served on TLS with a
certificate (docs/ceph.md). Each RGW instance is judged with the options it reads
([client.rgw.NAME], then [client], then [global])."""

from __future__ import annotations

from collections.abc import Iterator

from triplock.facts.ceph import CephConf
from triplock.model import Fix, FixAction, Severity
from triplock.rules._ceph import (
    RGW_CONFIG_DOC,
    RGW_ENCRYPTION_DOC,
    RGW_FRONTENDS_DOC,
    RGW_KMIP_DOC,
    RGW_VAULT_DOC,
    Seen,
    effective,
    evidence,
    is_false,
    location,
    set_fix,
    stated,
    undecidable,
)
from triplock.rules.registry import Context, Outcome, fail, passed, rule


def _uses_rgw(conf: CephConf) -> bool:
    return bool(conf.rgw_entities())


@rule(
    id="CEPH-020",
    slug="rgw-crypt-ssl-not-required",
    title="RGW accepts encryption keys over plain HTTP",
    control="rest.storage",
    severity=Severity.HIGH,
    target=CephConf,
    applies=_uses_rgw,
    rationale="With rgw_crypt_require_ssl=false the gateway accepts SSE-C keys and SSE-KMS "
    "requests over plain HTTP: the customer key that protects an object crosses the network "
    "in clear text.",
    remediation="Remove rgw_crypt_require_ssl = false (default true); terminate TLS at the "
    "gateway, or behind a trusted proxy with rgw_trust_forwarded_https = true.",
    references=(RGW_ENCRYPTION_DOC,),
)
def crypt_require_ssl(conf: CephConf, ctx: Context) -> Iterator[Outcome]:
    for entity in conf.rgw_entities():
        s = effective(conf, "rgw_crypt_require_ssl", entity)
        question = undecidable(conf, s)
        if question is not None:
            yield question
        elif is_false(s):
            yield fail(
                f"{entity}: rgw_crypt_require_ssl is {stated(s)}: SSE keys may travel in clear",
                location(conf, s),
                *evidence(s),
                fix=set_fix(conf, s, "true"),
            )
        else:
            yield passed(f"{entity} requires TLS for SSE requests", location(conf, s))


def _backend_ready(conf: CephConf, entity: str, backend: str) -> str | None:
    """The option that locates the KMS of `backend`, if set."""
    needed = {
        "vault": "rgw_crypt_vault_addr",
        "kmip": "rgw_crypt_kmip_addr",
        "barbican": "rgw_barbican_url",
    }.get(backend)
    if needed is None:
        return None
    return needed if conf.lookup(needed, entity) is not None else None


def kms_backend(conf: CephConf, entity: str) -> tuple[Seen, str | None]:
    """The SSE-KMS backend an RGW instance uses and the option locating its KMS (None when
    the KMS is not configured)."""
    s = effective(conf, "rgw_crypt_s3_kms_backend", entity)
    return s, _backend_ready(conf, entity, s.text.lower())


@rule(
    id="CEPH-021",
    slug="rgw-no-kms",
    title="RGW server-side encryption has no KMS",
    control="keys.management",
    severity=Severity.MEDIUM,
    target=CephConf,
    applies=_uses_rgw,
    rationale="SSE-KMS needs rgw_crypt_s3_kms_backend pointing at a configured KMS (Vault, "
    "KMIP or Barbican). Without one, SSE-KMS requests fail and data is stored unencrypted; "
    "the `testing` backend takes its keys from rgw_crypt_s3_kms_encryption_keys in "
    "ceph.conf itself.",
    remediation="Set rgw_crypt_s3_kms_backend = vault with rgw_crypt_vault_addr = "
    "https://vault:8200 (or kmip with rgw_crypt_kmip_addr).",
    references=(RGW_ENCRYPTION_DOC, RGW_VAULT_DOC, RGW_KMIP_DOC),
)
def no_kms(conf: CephConf, ctx: Context) -> Iterator[Outcome]:
    for entity in conf.rgw_entities():
        s, ready = kms_backend(conf, entity)
        question = undecidable(conf, s)
        if question is not None:
            yield question
        elif s.text.lower() == "testing":
            yield fail(
                f"{entity}: rgw_crypt_s3_kms_backend is 'testing': the keys are in ceph.conf",
                location(conf, s),
                *evidence(s),
                fix=set_fix(conf, s, "vault"),
                severity=Severity.CRITICAL,
            )
        elif ready is None:
            yield fail(
                f"{entity}: rgw_crypt_s3_kms_backend is {stated(s)} but no KMS address is "
                "configured: SSE-KMS cannot encrypt",
                location(conf, s),
                *evidence(s),
                fix=set_fix(conf, s, "vault"),
            )
        else:
            yield passed(f"{entity} uses the {s.text} KMS ({ready})", location(conf, s))


_KMS_URLS = ("rgw_crypt_vault_addr", "rgw_crypt_sse_s3_vault_addr", "rgw_barbican_url")
_VERIFY = ("rgw_crypt_vault_verify_ssl", "rgw_crypt_sse_s3_vault_verify_ssl")


@rule(
    id="CEPH-022",
    slug="rgw-kms-plain-http",
    title="RGW reaches its KMS without verified TLS",
    control="keys.management",
    severity=Severity.HIGH,
    target=CephConf,
    applies=_uses_rgw,
    rationale="RGW fetches (or unwraps) every object's data key from Vault or Barbican: over "
    "http://, or with rgw_crypt_vault_verify_ssl=false, anyone on the path reads the keys or "
    "poses as the KMS.",
    remediation="Use an https:// KMS address and keep rgw_crypt_vault_verify_ssl = true "
    "(set rgw_crypt_vault_ssl_cacert to the Vault CA).",
    references=(RGW_VAULT_DOC,),
)
def kms_plain_http(conf: CephConf, ctx: Context) -> Iterator[Outcome]:
    for entity in conf.rgw_entities():
        for name in _KMS_URLS:
            s = effective(conf, name, entity)
            if s.option is None or s.option.templated:
                continue
            if s.text.lower().startswith("http://"):
                yield fail(
                    f"{entity}: {name} is plain http://",
                    location(conf, s),
                    *evidence(s),
                    fix=Fix(FixAction.REPLACE, name, "an https:// address", s.option.location.path),
                )
            else:
                yield passed(f"{entity}: {name} uses TLS", location(conf, s))
        for name in _VERIFY:
            s = effective(conf, name, entity)
            if s.option is not None and is_false(s):
                yield fail(
                    f"{entity}: {name} is false: the KMS certificate is not checked",
                    location(conf, s),
                    *evidence(s),
                    fix=set_fix(conf, s, "true"),
                )


_LITERAL_KEYS = (
    "rgw_crypt_default_encryption_key",
    "rgw_crypt_s3_kms_encryption_keys",
    "rgw_crypt_kmip_password",
)


@rule(
    id="CEPH-023",
    slug="rgw-literal-encryption-key",
    title="RGW encryption keys or KMS passwords are written in ceph.conf",
    control="keys.management",
    severity=Severity.CRITICAL,
    target=CephConf,
    applies=_uses_rgw,
    rationale="rgw_crypt_default_encryption_key encrypts every object with one key stored in "
    "ceph.conf; rgw_crypt_s3_kms_encryption_keys is the `testing` KMS's key table. Both are "
    "documented as never for production: whoever reads the file decrypts the data.",
    remediation="Remove them and use SSE-KMS/SSE-S3 with Vault or KMIP; keep the KMIP "
    "password out of the file (client certificates instead).",
    references=(RGW_ENCRYPTION_DOC,),
)
def literal_keys(conf: CephConf, ctx: Context) -> Iterator[Outcome]:
    found = False
    for option in conf.options():
        if option.name in _LITERAL_KEYS and option.value:
            found = True
            yield fail(
                f"{option.name} is written in [{option.section}]",
                option.location,
                *evidence(Seen(option.name, option.section, option.value, option)),
                fix=Fix(FixAction.UNSET, option.name, None, option.location.path),
                severity=Severity.HIGH if option.name.endswith("password") else None,
            )
    if not found:
        yield passed("no RGW encryption key is written in the file", conf.origin)


def frontend_endpoints(value: str) -> tuple[bool, bool, bool]:
    """(plain, tls, certificate) of an rgw_frontends line (beast or civetweb)."""
    words = value.split()
    params = dict(w.split("=", 1) for w in words[1:] if "=" in w)
    certificate = "ssl_certificate" in params
    if words and words[0] == "civetweb":
        ports = params.get("port", "7480").split("+")
        tls = any(p.endswith("s") for p in ports)
        return any(not p.endswith("s") for p in ports), tls, certificate
    tls = "ssl_port" in params or "ssl_endpoint" in params
    plain = "port" in params or "endpoint" in params or not tls
    return plain, tls, certificate


@rule(
    id="CEPH-024",
    slug="rgw-frontend-no-tls",
    title="RGW serves S3 without TLS",
    control="transit.tls",
    severity=Severity.HIGH,
    target=CephConf,
    applies=_uses_rgw,
    rationale="rgw_frontends defaults to `beast port=7480`: plain HTTP, so object data and "
    "(without SigV4 payload signing) request contents cross the network in clear. TLS "
    "needs ssl_port or ssl_endpoint with ssl_certificate; a plain port beside it stays open.",
    remediation="Set rgw_frontends = beast ssl_port=443 ssl_certificate=/etc/ceph/rgw.pem "
    "(ssl_private_key if separate), without port=.",
    references=(RGW_FRONTENDS_DOC, RGW_CONFIG_DOC),
)
def frontend_tls(conf: CephConf, ctx: Context) -> Iterator[Outcome]:
    for entity in conf.rgw_entities():
        s = effective(conf, "rgw_frontends", entity)
        question = undecidable(conf, s)
        if question is not None:
            yield question
            continue
        plain, tls, certificate = frontend_endpoints(s.text)
        where = location(conf, s)
        fix = set_fix(conf, s, "beast ssl_port=443 ssl_certificate=/etc/ceph/rgw.pem")
        if not tls:
            yield fail(f"{entity}: rgw_frontends is {stated(s)}: HTTP only", where, fix=fix)
        elif not certificate:
            yield fail(f"{entity}: rgw_frontends has an SSL port but no ssl_certificate", where)
        elif plain:
            yield fail(
                f"{entity}: rgw_frontends keeps a plain HTTP port beside TLS",
                where,
                fix=fix,
                severity=Severity.MEDIUM,
            )
        else:
            yield passed(f"{entity} serves S3 on TLS only", where)
