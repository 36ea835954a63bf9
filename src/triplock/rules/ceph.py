"""Ceph cluster rules on ceph.conf: cephx authentication, message signing, the msgr2 secure
mode, msgr v1, global_id reclaim, and option names Ceph would ignore. Defaults and sources are
in docs/ceph.md (Ceph Reef 18, Squid 19)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator

from triplock.booleans import Dialect, parse_bool
from triplock.facts.ceph import CephConf
from triplock.model import Severity
from triplock.rules._ceph import (
    AUTH_DOC,
    CONFIG_DOC,
    GLOBAL_ID_DOC,
    MSGR2_DOC,
    Seen,
    is_false,
    is_true,
    judge,
    location,
    seen,
)
from triplock.rules.registry import Context, Outcome, passed, rule, unknown

_AUTH = ("auth_cluster_required", "auth_service_required", "auth_client_required")
_MODES = tuple(
    f"ms_{mon}{who}_mode" for mon in ("", "mon_") for who in ("cluster", "service", "client")
)


def _only(word: str) -> Callable[[Seen], bool]:
    """A value that lists `word` and nothing else."""
    return lambda s: bool(s.words) and all(w == word for w in s.words)


@rule(
    id="CEPH-001",
    slug="ceph-cephx-not-required",
    title="Ceph does not require cephx authentication",
    control="rest.storage",
    severity=Severity.CRITICAL,
    target=CephConf,
    rationale="auth_cluster_required, auth_service_required and auth_client_required decide "
    "whether daemons, services and clients must prove who they are. `none` anywhere in the "
    "list lets anyone who reaches the network read and write every pool; the client default "
    "is `cephx, none`, so a client accepts an unauthenticated cluster (a spoofed monitor).",
    remediation="Set auth_cluster_required = cephx, auth_service_required = cephx and "
    "auth_client_required = cephx in [global].",
    references=(AUTH_DOC,),
)
def cephx_required(conf: CephConf, ctx: Context) -> Iterator[Outcome]:
    fallback = conf.lookup("auth_supported")  # the deprecated default of the three
    for name in _AUTH:
        yield from judge(
            conf,
            name,
            _only("cephx"),
            "cephx",
            "`none` lets peers skip authentication",
            "requires cephx",
            default=fallback.value if fallback is not None else None,
        )


@rule(
    id="CEPH-002",
    slug="ceph-message-signing-off",
    title="cephx message signing is turned off",
    control="rest.storage",
    severity=Severity.HIGH,
    target=CephConf,
    rationale="With cephx_sign_messages=false, msgr v1 messages carry no signature: a host on "
    "the path can alter or replay requests between authenticated peers.",
    remediation="Remove cephx_sign_messages = false (the default is true).",
    references=(AUTH_DOC,),
)
def message_signing(conf: CephConf, ctx: Context) -> Iterator[Outcome]:
    yield from judge(
        conf,
        "cephx_sign_messages",
        lambda s: not is_false(s),
        "true",
        "messages are not signed",
        "signs messages",
    )


def _msgr1_off(conf: CephConf) -> Seen | None:
    """Where msgr v1 is switched off, when it is off everywhere."""
    found = list(seen(conf, "ms_bind_msgr1"))
    return found[0] if found and all(is_false(s) for s in found) else None


@rule(
    id="CEPH-003",
    slug="ceph-signatures-not-required",
    title="Ceph accepts unsigned messages",
    control="rest.storage",
    severity=Severity.MEDIUM,
    target=CephConf,
    rationale="cephx_require_signatures (or cephx_cluster_require_signatures and "
    "cephx_service_require_signatures) default to false: a daemon still talks to a peer that "
    "does not sign, so a downgraded or forged msgr v1 peer is accepted. Once msgr v1 is not "
    "bound at all, msgr2 frames are authenticated and the settings no longer matter.",
    remediation="Set cephx_require_signatures = true in [global], or stop binding msgr v1 "
    "(ms_bind_msgr1 = false) and use the msgr2 secure mode.",
    references=(AUTH_DOC,),
)
def signatures_required(conf: CephConf, ctx: Context) -> Iterator[Outcome]:
    v1_off = _msgr1_off(conf)
    if v1_off is not None:
        yield passed(
            "msgr v1 is not bound: every connection is msgr2, which authenticates its frames",
            location(conf, v1_off),
        )
        return

    def required(s: Seen) -> bool:
        umbrella = conf.lookup("cephx_require_signatures", s.section)
        umbrella_on = umbrella is not None and parse_bool(umbrella.value.strip(), Dialect.CEPH)
        return is_true(s) or umbrella_on is True

    for name in ("cephx_cluster_require_signatures", "cephx_service_require_signatures"):
        yield from judge(conf, name, required, "true", "unsigned messages are accepted", "is on")


@rule(
    id="CEPH-004",
    slug="ceph-msgr2-not-secure",
    title="Ceph network traffic is not encrypted (msgr2 mode is not secure)",
    control="transit.tls",
    severity=Severity.HIGH,
    target=CephConf,
    rationale="ms_cluster_mode, ms_service_mode and ms_client_mode default to `crc secure`: "
    "connections prefer crc mode, which authenticates the peers but sends every object, "
    "key and reply in clear text with only a CRC. The ms_mon_*_mode options (default "
    "`secure crc`) still accept crc when a peer asks for it.",
    remediation="Set ms_cluster_mode = secure, ms_service_mode = secure, ms_client_mode = "
    "secure (and the ms_mon_* modes) in [global]; kernel clients mount with ms_mode=secure.",
    references=(MSGR2_DOC,),
)
def msgr2_secure(conf: CephConf, ctx: Context) -> Iterator[Outcome]:
    for name in _MODES:
        for outcome in judge(
            conf,
            name,
            _only("secure"),
            "secure",
            "crc is still accepted"
            if name.startswith("ms_mon_")
            else "crc mode sends data unencrypted",
            "is secure only",
        ):
            if name.startswith("ms_mon_") and outcome.severity is None:
                outcome = outcome._replace(severity=Severity.MEDIUM)
            yield outcome


@rule(
    id="CEPH-005",
    slug="ceph-msgr1-bound",
    title="Ceph daemons still serve the legacy msgr v1 protocol",
    control="transit.tls",
    severity=Severity.MEDIUM,
    target=CephConf,
    rationale="msgr v1 (port 6789 and the v1 OSD ports) has no encryption: while "
    "ms_bind_msgr1 is true (the default) any client or daemon can fall back to it, whatever "
    "the msgr2 modes say. With ms_bind_msgr2=false there is no msgr2 at all.",
    remediation="Once every client speaks msgr2 (Nautilus, kernel 5.11+), set "
    "ms_bind_msgr1 = false and keep ms_bind_msgr2 = true.",
    references=(MSGR2_DOC,),
)
def msgr1_bound(conf: CephConf, ctx: Context) -> Iterator[Outcome]:
    yield from judge(
        conf,
        "ms_bind_msgr1",
        is_false,
        "false",
        "msgr v1 connections are unencrypted",
        "is off",
        types=("mon", "mgr", "osd", "mds"),
    )
    for outcome in judge(
        conf,
        "ms_bind_msgr2",
        lambda s: not is_false(s),
        "true",
        "no msgr2, so no secure mode",
        "is on",
        types=("mon", "mgr", "osd", "mds"),
    ):
        if outcome.status.value == "fail":
            outcome = outcome._replace(severity=Severity.HIGH)
        yield outcome


@rule(
    id="CEPH-006",
    slug="ceph-compress-secure",
    title="Ceph compresses encrypted connections",
    control="transit.tls",
    severity=Severity.MEDIUM,
    target=CephConf,
    rationale="Compressing before encrypting lets an observer learn about the data from the "
    "size of the frames (CRIME-like); Ceph therefore skips on-wire compression on secure "
    "connections unless ms_compress_secure=true.",
    remediation="Remove ms_compress_secure = true.",
    references=(MSGR2_DOC,),
)
def compress_secure(conf: CephConf, ctx: Context) -> Iterator[Outcome]:
    yield from judge(
        conf,
        "ms_compress_secure",
        lambda s: not is_true(s),
        "false",
        "encrypted frames are compressed first",
        "is off",
    )


@rule(
    id="CEPH-007",
    slug="ceph-insecure-global-id-reclaim",
    title="Monitors let clients reclaim a global_id without a ticket (CVE-2021-20288)",
    control="rest.storage",
    severity=Severity.HIGH,
    target=CephConf,
    rationale="auth_allow_insecure_global_id_reclaim defaults to true for old clients: a "
    "client can take over another client's global_id without proving it held it.",
    remediation="Once all clients are patched, set auth_allow_insecure_global_id_reclaim = false.",
    references=(GLOBAL_ID_DOC,),
)
def global_id_reclaim(conf: CephConf, ctx: Context) -> Iterator[Outcome]:
    yield from judge(
        conf,
        "auth_allow_insecure_global_id_reclaim",
        is_false,
        "false",
        "global_id can be reclaimed without a ticket",
        "is off",
        types=("mon",),
    )


# Option names Ceph knows in the families these rules read (src/common/options/*.yaml.in).
KNOWN_OPTIONS = frozenset(
    {
        *_AUTH,
        *_MODES,
        "auth_supported",
        "auth_mon_ticket_ttl",
        "auth_service_ticket_ttl",
        "auth_allow_insecure_global_id_reclaim",
        "auth_expose_insecure_global_id_reclaim",
        "auth_debug",
        *(
            f"cephx_{p}require_{w}"
            for p in ("", "cluster_", "service_")
            for w in ("signatures", "version")
        ),
        "cephx_sign_messages",
        *(f"ms_bind_{w}" for w in ("ipv4", "ipv6", "prefer_ipv4", "msgr1", "msgr2")),
        *(f"ms_bind_{w}" for w in ("port_min", "port_max", "retry_count", "retry_delay")),
        "ms_bind_before_connect",
        "ms_compress_secure",
        *(
            f"rgw_crypt_{w}"
            for w in (
                "require_ssl",
                "default_encryption_key",
                "s3_kms_backend",
                "s3_kms_encryption_keys",
                "suppress_logs",
                "sse_s3_backend",
                "sse_s3_key_template",
                "kmip_addr",
                "kmip_ca_path",
                "kmip_username",
                "kmip_password",
                "kmip_client_cert",
                "kmip_client_key",
                "kmip_kms_key_template",
                "kmip_s3_key_template",
            )
        ),
        *(
            f"rgw_crypt_{engine}vault_{w}"
            for engine in ("", "sse_s3_")
            for w in (
                "auth",
                "token_file",
                "addr",
                "prefix",
                "secret_engine",
                "namespace",
                "verify_ssl",
                "ssl_cacert",
                "ssl_clientcert",
                "ssl_clientkey",
            )
        ),
    }
)
_FAMILIES = re.compile(r"^(auth_|cephx_|ms_bind_|ms_(mon_)?\w+_mode$|ms_compress|rgw_crypt_)")


@rule(
    id="CEPH-011",
    slug="ceph-unknown-security-option",
    title="A security option Ceph does not know (misspelt: it has no effect)",
    control="rest.storage",
    severity=Severity.LOW,
    target=CephConf,
    rationale="Ceph ignores an option it does not know: a misspelt auth_, cephx_, ms_ or "
    "rgw_crypt_ option leaves the setting it meant at its default, while the file looks "
    "hardened. In ceph.conf a blank may stand for an underscore, but a dash may not "
    "(dashes are read on the command line only): `ms-cluster-mode` is ignored.",
    remediation="Spell the option as Ceph's option list does, with underscores (or blanks).",
    references=(CONFIG_DOC,),
)
def unknown_option(conf: CephConf, ctx: Context) -> Iterator[Outcome]:
    for option in conf.options():
        undashed = option.name.replace("-", "_")
        if undashed != option.name and (undashed in KNOWN_OPTIONS or _FAMILIES.match(undashed)):
            yield unknown(
                f"Ceph reads no dashes in ceph.conf option names: {option.written} is not "
                f"{undashed}, and this line has no effect",
                option.location,
            )
            continue
        if option.name in KNOWN_OPTIONS or not _FAMILIES.match(option.name):
            continue
        close = difflib.get_close_matches(option.name, KNOWN_OPTIONS, n=1, cutoff=0.8)
        hint = f" (did you mean {close[0]}?)" if close else ""
        yield unknown(
            f"Ceph has no option {option.name}{hint}: this line has no effect",
            option.location,
        )
