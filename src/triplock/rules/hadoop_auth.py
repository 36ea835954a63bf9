"""Hadoop rules for control hdfs.authentication: Kerberos instead of simple authentication,
no fallback to it, and authenticated web UIs (HADOOP-001, 004, 014)."""

from __future__ import annotations

from collections.abc import Iterator

from triplock.facts.hadoop import HadoopConf, HadoopScope, Role
from triplock.model import Fix, FixAction, Severity
from triplock.rules._hadoop_common import (
    CLUSTER,
    CORE,
    HTTP_AUTH_DOC,
    SECURE_MODE_DOC,
    expect_flag,
    expect_word,
    judged,
    set_fix,
    stated,
    templated,
    where,
    words,
)
from triplock.rules.registry import Context, Outcome, evidence_of, fail, passed, rule


@rule(
    id="HADOOP-001",
    slug="hadoop-authentication-simple",
    title="Hadoop authentication is not Kerberos (hadoop.security.authentication)",
    control="hdfs.authentication",
    severity=Severity.HIGH,
    target=HadoopConf,
    rationale="With `simple` authentication a client is whoever it says it is (HADOOP_USER_NAME): "
    "any host that reaches the NameNode can act as the hdfs superuser.",
    remediation="Set hadoop.security.authentication=kerberos in core-site.xml with principals and "
    "keytabs for every daemon.",
    references=(SECURE_MODE_DOC,),
)
def authentication_simple(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    yield from expect_word(
        conf,
        "hadoop.security.authentication",
        "kerberos",
        "the authentication method",
        CLUSTER,
        "Kerberos authentication: hadoop.security.authentication=kerberos",
        "RPC callers are not authenticated",
    )


@rule(
    id="HADOOP-004",
    slug="hadoop-fallback-to-simple-auth",
    title="Hadoop clients may fall back to simple authentication",
    control="hdfs.authentication",
    severity=Severity.MEDIUM,
    target=HadoopConf,
    rationale="ipc.client.fallback-to-simple-auth-allowed=true lets a Kerberos client talk to "
    "an insecure (or impersonated) server without authentication.",
    remediation="Set ipc.client.fallback-to-simple-auth-allowed=false (the default).",
    references=(SECURE_MODE_DOC,),
)
def fallback_to_simple(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    yield from expect_flag(
        conf,
        "ipc.client.fallback-to-simple-auth-allowed",
        False,
        "refusal of simple-auth fallback",
        CLUSTER,
    )


_AUTH_INITIALIZERS = (
    "org.apache.hadoop.security.AuthenticationFilterInitializer",
    "org.apache.hadoop.security.authentication.server.ProxyUserAuthenticationFilterInitializer",
)


_WEB_KERBEROS = (
    "hadoop.http.authentication.kerberos.principal",
    "hadoop.http.authentication.kerberos.keytab",
)


def _kerberos_web_fix(conf: HadoopConf, type_key: str) -> Fix:
    """type=kerberos, once the HTTP principal and keytab are named: without them (defaults
    HTTP/_HOST@LOCALHOST and ~/hadoop.keytab) the daemons' web servers do not start."""
    missing = [k for k in _WEB_KERBEROS if not conf.text(k)]
    if not missing:
        return set_fix(conf, type_key, "kerberos", Role.CORE)
    return Fix(
        FixAction.MANUAL,
        f"set {' and '.join(missing)} (the HTTP/_HOST principal and its keytab), then "
        f"{type_key}=kerberos",
        path=where(conf, type_key, Role.CORE).path,
    )


@rule(
    id="HADOOP-014",
    slug="hadoop-web-unauthenticated",
    title="Hadoop web UIs do not require authentication",
    control="hdfs.authentication",
    severity=Severity.HIGH,
    target=HadoopConf,
    rationale="By default (StaticUserWebFilter) the NameNode and DataNode web UIs, WebHDFS "
    "browsing, /logs, /jmx and /conf serve anyone; the simple HTTP authenticator trusts a "
    "user.name parameter.",
    remediation="Add org.apache.hadoop.security.AuthenticationFilterInitializer to "
    "hadoop.http.filter.initializers, set hadoop.http.authentication.type=kerberos and "
    "hadoop.http.authentication.simple.anonymous.allowed=false.",
    references=(HTTP_AUTH_DOC,),
)
def web_unauthenticated(conf: HadoopConf, ctx: Context) -> Iterator[Outcome]:
    init_key = "hadoop.http.filter.initializers"
    type_key = "hadoop.http.authentication.type"
    anon_key = "hadoop.http.authentication.simple.anonymous.allowed"
    if not (judged(conf, init_key, CORE) or judged(conf, type_key, CORE)):
        return
    init = conf.get(init_key)
    if init is not None and init.templated:
        yield templated(conf, init_key, "the web filters", Role.CORE)
        return
    if init is None and conf.scope is HadoopScope.SPARK:
        return
    if not any(w in _AUTH_INITIALIZERS for w in words(conf.text(init_key) or "")):
        yield fail(
            f"{init_key} is {stated(init)}: no authentication filter guards the web UIs",
            where(conf, init_key, Role.CORE),
            *evidence_of(init),
            fix=set_fix(conf, init_key, _AUTH_INITIALIZERS[0], Role.CORE),
        )
        return
    kind = conf.get(type_key)
    text = (conf.text(type_key) or "").lower()
    if kind is not None and kind.templated:
        yield templated(conf, type_key, "the web authentication type", Role.CORE)
    elif text == "simple" or (kind is None and conf.uses_defaults):
        anonymous = conf.flag(anon_key)
        yield fail(
            f"{type_key} is simple: the user is whatever the user.name parameter says"
            + (" and anonymous access is allowed" if anonymous is not False else ""),
            where(conf, type_key, Role.CORE),
            *evidence_of(kind),
            fix=_kerberos_web_fix(conf, type_key),
            severity=Severity.HIGH if anonymous is not False else Severity.MEDIUM,
        )
    else:
        yield passed(
            f"web UIs require {text or 'custom'} authentication", where(conf, type_key, Role.CORE)
        )
