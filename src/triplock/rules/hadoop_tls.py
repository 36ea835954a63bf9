"""Hadoop rules for TLS: protocol versions (transit.tls.protocol) and the keystore passwords of
ssl-server.xml / ssl-client.xml (keys.tls-material) (HADOOP-016, 018, 022)."""

from __future__ import annotations

from collections.abc import Iterator

from triplock.facts.hadoop import HadoopConf, Role
from triplock.model import Evidence, Fix, FixAction, Location, Severity
from triplock.rules._hadoop_common import (
    _SSL_PASSWORD,
    CREDENTIAL_DOC,
    HTTP_AUTH_DOC,
    SECURE_MODE_DOC,
    credential_store_step,
    judged,
    role_file,
    set_fix,
    templated,
    where,
    words,
)
from triplock.rules.registry import Context, Outcome, evidence_of, fail, passed, rule

_OLD_PROTOCOLS = {"sslv2", "sslv2hello", "sslv3", "tlsv1", "tlsv1.1"}


@rule(
    id="HADOOP-016",
    slug="hadoop-ssl-old-protocols",
    title="Hadoop enables obsolete TLS/SSL protocol versions (hadoop.ssl.enabled.protocols)",
    control="transit.tls.protocol",
    severity=Severity.HIGH,
    target=HadoopConf,
    rationale="SSLv3, TLS 1.0 and TLS 1.1 are deprecated (RFC 8996) and have practical attacks.",
    remediation="Set hadoop.ssl.enabled.protocols=TLSv1.2,TLSv1.3.",
    references=(HTTP_AUTH_DOC,),
)
def ssl_protocols(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    key = "hadoop.ssl.enabled.protocols"
    if not judged(conf, key, (Role.CORE, Role.SSL_SERVER, Role.SSL_CLIENT)):
        return
    value = conf.get(key)
    loc = where(conf, key, Role.CORE)
    if value is not None and value.templated:
        yield templated(conf, key, "the TLS versions", Role.CORE)
        return
    enabled = words(conf.text(key) or "")
    old = [p for p in enabled if p.lower() in _OLD_PROTOCOLS]
    if old:
        yield fail(
            f"{key} enables {', '.join(old)}",
            loc,
            *evidence_of(value),
            fix=set_fix(conf, key, "TLSv1.2,TLSv1.3", Role.CORE),
        )
    elif enabled:
        yield passed(f"only current TLS versions: {', '.join(enabled)}", loc)


def _credential_provider(conf: HadoopConf) -> bool:
    return bool(conf.text("hadoop.security.credential.provider.path"))


@rule(
    id="HADOOP-018",
    slug="hadoop-ssl-literal-password",
    title="Keystore or truststore password written in ssl-server.xml / ssl-client.xml",
    control="keys.tls-material",
    severity=Severity.HIGH,
    target=HadoopConf,
    rationale="Hadoop reads ssl.*.password through Configuration.getPassword(), which asks "
    "the credential providers first; a literal password in the XML is readable by whoever "
    "reads the file and is shown by /conf unless redacted.",
    remediation="Store the passwords in a JCEKS credential store (hadoop credential create "
    "ssl.server.keystore.password -provider jceks://file/...) named by "
    "hadoop.security.credential.provider.path, and remove them from the XML.",
    references=(CREDENTIAL_DOC,),
)
def ssl_literal_password(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    for key in conf.names("ssl."):
        if not _SSL_PASSWORD.match(key):
            continue
        value = conf.get(key)
        if value is None or not value.text:
            continue
        if value.templated:
            yield templated(conf, key, "whether the password is literal", Role.SSL_SERVER)
            continue
        truststore = ".truststore." in key
        yield fail(
            f"{key} is a literal password in the configuration",
            conf.where(key),
            *evidence_of(value),
            fix=credential_store_step(key, conf.where(key).path),
            severity=Severity.MEDIUM if truststore else None,
        )
    if conf.has(Role.SSL_SERVER, Role.SSL_CLIENT) and not any(
        _SSL_PASSWORD.match(k) for k in conf.names("ssl.")
    ):
        path = role_file(conf, Role.SSL_SERVER)
        how = "a credential provider" if _credential_provider(conf) else "no literal"
        yield passed(
            f"no literal keystore passwords in the SSL configuration ({how})", Location(path=path)
        )


@rule(
    id="HADOOP-022",
    slug="hadoop-ssl-conf-readable",
    title="ssl-server.xml / ssl-client.xml holds literal passwords and is readable by others",
    control="keys.tls-material",
    severity=Severity.HIGH,
    target=HadoopConf,
    rationale="The SSL configuration should be readable by the service user only; with literal "
    "keystore passwords in it, a group- or world-readable file hands the keystore's private "
    "key to every local user.",
    remediation="Move the passwords into a credential provider; until then chmod 0600 (or 0400) "
    "the file, owned by the service user.",
    references=(SECURE_MODE_DOC,),
)
def ssl_conf_readable(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    holders: dict[str, str] = {}
    for key in conf.names("ssl."):
        value = conf.get(key)
        if _SSL_PASSWORD.match(key) and value is not None and value.text and not value.templated:
            holders.setdefault(conf.where(key).path or "", key)
    for path, key in sorted(holders.items()):
        mode = conf.file_modes.get(path)
        if mode is None:
            continue
        shown_mode = f"{mode:04o}"
        if mode & 0o077:
            yield fail(
                f"{path} holds {key} and has mode {shown_mode}",
                Location(path=path),
                Evidence.of("mode", shown_mode),
                fix=Fix(FixAction.CHMOD, path, "0600"),
                severity=Severity.HIGH if mode & 0o007 else Severity.MEDIUM,
            )
        else:
            yield passed(
                f"{path} holds passwords but only its owner can read it ({shown_mode})",
                Location(path=path),
            )
