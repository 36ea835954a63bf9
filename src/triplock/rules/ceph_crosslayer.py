"""Cross-layer rules between Spark/Hadoop S3A and the Ceph object gateway it talks to: an S3A
endpoint naming a Rook object store's Service (rook-ceph-rgw-STORE[.NAMESPACE.svc...]) or an
RGW's rgw_dns_name is judged against that gateway's TLS and KMS settings."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from triplock.facts.ceph import CephConf, RookObjectStore
from triplock.facts.hadoop import HadoopConf, Value
from triplock.inventory import Inventory
from triplock.model import Evidence, Severity
from triplock.rules._ceph import RGW_ENCRYPTION_DOC, effective
from triplock.rules.ceph_rgw import frontend_endpoints, kms_backend
from triplock.rules.registry import Context, Outcome, fail, passed, rule
from triplock.rules.rook import OBJECT_STORE_DOC
from triplock.rules.storage import S3A_AUTH_DOC, S3A_DOC

_SERVICE_PREFIX = "rook-ceph-rgw-"
_KMS_ALGORITHMS = {"SSE-KMS", "DSSE-KMS"}
_S3_ALGORITHMS = {"SSE-S3", "AES256"}


@dataclass(frozen=True, slots=True)
class Gateway:
    """The RGW an endpoint reaches: what it serves and which SSE it can do."""

    name: str
    plain: bool
    tls: bool
    plain_port: str | None
    sse_kms: bool
    sse_s3: bool


@dataclass(frozen=True, slots=True)
class Endpoint:
    value: Value
    scheme: str | None
    host: str
    port: str | None


def _endpoint(value: Value) -> Endpoint | None:
    text = (value.text or "").strip()
    if not text or value.templated:
        return None
    parts = urlsplit(text if "://" in text else f"//{text}")
    try:
        port = str(parts.port) if parts.port else None
    except ValueError:
        return None  # not host:port (a password holding `/` ends the authority early)
    if not parts.hostname:
        return None
    return Endpoint(value, parts.scheme.lower() or None, parts.hostname.lower(), port)


def _rook_gateway(store: RookObjectStore) -> Gateway:
    return Gateway(
        name=store.ref.label,
        plain=store.port is not None or store.secure_port is None,
        tls=store.secure_port is not None and store.certificate_ref is not None,
        plain_port=store.port.value if store.port else None,
        sse_kms=store.kms is not None,
        sse_s3=store.sse_s3 is not None,
    )


def _conf_gateway(conf: CephConf, entity: str) -> Gateway:
    frontends = effective(conf, "rgw_frontends", entity).text
    plain, tls, certificate = frontend_endpoints(frontends)
    params = dict(w.split("=", 1) for w in frontends.split()[1:] if "=" in w)
    sse_s3 = conf.lookup("rgw_crypt_sse_s3_vault_addr", entity) is not None
    return Gateway(
        name=f"{conf.name} [{entity}]",
        plain=plain,
        tls=tls and certificate,
        plain_port=params.get("port"),
        sse_kms=kms_backend(conf, entity)[1] is not None,
        sse_s3=sse_s3,
    )


def _gateway(inventory: Inventory, host: str) -> Gateway | None:
    first, _, rest = host.partition(".")
    if first.startswith(_SERVICE_PREFIX):
        name = first[len(_SERVICE_PREFIX) :]
        namespace = rest.split(".")[0] if rest else None
        for store in inventory.of(RookObjectStore):
            if store.ref.name == name and namespace in (None, store.ref.namespace):
                return _rook_gateway(store)
    for conf in inventory.of(CephConf):
        for entity in conf.rgw_entities():
            dns = conf.lookup("rgw_dns_name", entity)
            if dns is not None and dns.value.strip().lower() == host:
                return _conf_gateway(conf, entity)
    return None


def _s3a_endpoints(conf: HadoopConf) -> Iterator[tuple[str, Endpoint]]:
    """(bucket or "", endpoint) for every S3A endpoint the configuration sets."""
    for key in conf.names("fs.s3a."):
        if key == "fs.s3a.endpoint" or (
            key.startswith("fs.s3a.bucket.") and key.endswith(".endpoint")
        ):
            value = conf.get(key)
            found = _endpoint(value) if value is not None else None
            if found is not None:
                bucket = key[len("fs.s3a.bucket.") : -len(".endpoint")] if "bucket." in key else ""
                yield bucket, found


def _uses_tls(conf: HadoopConf, bucket: str, endpoint: Endpoint) -> bool:
    if endpoint.scheme is not None:
        return endpoint.scheme == "https"
    keys = [f"fs.s3a.bucket.{bucket}.connection.ssl.enabled"] if bucket else []
    for key in [*keys, "fs.s3a.connection.ssl.enabled"]:
        flag = conf.flag(key) if conf.is_set(key) else None
        if flag is not None:
            return flag
    return True  # S3A's default


def _targets(inventory: Inventory) -> Iterator[tuple[HadoopConf, str, Endpoint, Gateway]]:
    for conf in inventory.of(HadoopConf):
        for bucket, endpoint in _s3a_endpoints(conf):
            gateway = _gateway(inventory, endpoint.host)
            if gateway is not None:
                yield conf, bucket, endpoint, gateway


@rule(
    id="CEPH-030",
    slug="s3a-to-rgw-plain-http",
    title="Spark/Hadoop S3A reaches a Ceph object gateway over plain HTTP",
    control="rest.storage",
    severity=Severity.HIGH,
    target=Inventory,
    rationale="An S3A endpoint naming a Rook object store's Service (or an RGW's "
    "rgw_dns_name) over http://, on the gateway's plain port, or at a gateway that serves "
    "no TLS at all, sends every object and request between Spark and Ceph in clear text.",
    remediation="Give the object store a securePort and sslCertificateRef (or rgw_frontends "
    "ssl_port/ssl_certificate) and point fs.s3a.endpoint at https://rook-ceph-rgw-STORE."
    "NAMESPACE.svc:443.",
    references=(OBJECT_STORE_DOC, S3A_AUTH_DOC),
)
def s3a_plain_http(inventory: Inventory, ctx: Context) -> Iterator[Outcome]:
    for conf, bucket, endpoint, gateway in _targets(inventory):
        where = endpoint.value.location
        shown = Evidence.of(endpoint.value.key, endpoint.value.text)
        tls = _uses_tls(conf, bucket, endpoint)
        if not tls:
            yield fail(f"S3A reaches {gateway.name} over plain HTTP", where, shown)
        elif not gateway.tls:
            yield fail(
                f"S3A expects TLS but {gateway.name} serves no TLS (no secure port and "
                "certificate)",
                where,
                shown,
            )
        elif endpoint.port is not None and endpoint.port == gateway.plain_port:
            yield fail(f"S3A uses the plain port {endpoint.port} of {gateway.name}", where, shown)
        else:
            yield passed(f"S3A reaches {gateway.name} over TLS", where, shown)


def _algorithm(conf: HadoopConf, bucket: str) -> Value | None:
    prefixes = ([f"fs.s3a.bucket.{bucket}."] if bucket else []) + ["fs.s3a."]
    for prefix in prefixes:
        for suffix in ("encryption.algorithm", "server-side-encryption-algorithm"):
            if conf.is_set(prefix + suffix):
                return conf.get(prefix + suffix)
    return None


@rule(
    id="CEPH-031",
    slug="s3a-sse-rgw-without-kms",
    title="S3A asks a Ceph object gateway for server-side encryption it has no KMS for",
    control="rest.storage",
    severity=Severity.MEDIUM,
    target=Inventory,
    rationale="SSE-KMS needs the gateway to have a KMS (CephObjectStore security.kms, or "
    "rgw_crypt_s3_kms_backend with its address), SSE-S3 needs security.s3 "
    "(rgw_crypt_sse_s3_*). Without one the gateway rejects the writes, and jobs are often "
    "'fixed' by dropping encryption.",
    remediation="Configure security.kms (and security.s3) on the CephObjectStore with Vault, "
    "or rgw_crypt_s3_kms_backend = vault and rgw_crypt_vault_addr on the RGW.",
    references=(RGW_ENCRYPTION_DOC, OBJECT_STORE_DOC, S3A_DOC),
)
def sse_without_kms(inventory: Inventory, ctx: Context) -> Iterator[Outcome]:
    for conf, bucket, _endpoint, gateway in _targets(inventory):
        value = _algorithm(conf, bucket)
        algorithm = (value.text or "").strip().upper() if value and not value.templated else ""
        if value is None or not algorithm:
            continue
        where = value.location
        if algorithm in _KMS_ALGORITHMS:
            ready, needs = gateway.sse_kms, "KMS for SSE-KMS"
        elif algorithm in _S3_ALGORITHMS:
            ready, needs = gateway.sse_s3, "key store for SSE-S3"
        else:
            continue
        if ready:
            yield passed(f"{gateway.name} can serve S3A's {algorithm}", where)
        else:
            yield fail(f"S3A requests {algorithm} but {gateway.name} has no {needs}", where)
