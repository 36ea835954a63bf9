"""What the Hadoop rule modules (hadoop_*.py, kms.py, storage.py) share: documentation links,
the roles of the conf files, how a rule decides it speaks to a key, the shapes of a boolean or
word check, and the patterns of secret-bearing keys.

A rule judges a key when the configuration sets it, or when a conf directory holds the file
the key belongs in (then Hadoop's default counts). A Spark application's spark.hadoop.* overlay
is judged only on what it sets: the cluster's own files may set the rest.

Rule modules by control: hadoop_auth.py (hdfs.authentication), hadoop_access.py
(hdfs.access-control), hadoop_confidentiality.py (hdfs.confidentiality), hadoop_tls.py (TLS
protocols and key material), hadoop_secrets.py (keys.management), hadoop_storage.py
(rest.storage). Keys: core-default.xml and hdfs-default.xml of
https://hadoop.apache.org/docs/stable/, and "Hadoop in Secure Mode",
hadoop-project-dist/hadoop-common/SecureMode.html.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from triplock import secret_classifier
from triplock.facts.hadoop import HadoopConf, HadoopScope, Role, Value
from triplock.model import Fix, FixAction, Location, Severity
from triplock.redact import show
from triplock.rules.registry import Outcome, evidence_of, fail, passed, unknown

SECURE_MODE_DOC = (
    "https://hadoop.apache.org/docs/stable/hadoop-project-dist/hadoop-common/SecureMode.html"
)
HTTP_AUTH_DOC = "https://hadoop.apache.org/docs/stable/hadoop-project-dist/hadoop-common/HttpAuthentication.html"
CREDENTIAL_DOC = (
    "https://hadoop.apache.org/docs/stable/hadoop-project-dist/hadoop-common/"
    "CredentialProviderAPI.html"
)
CORE = (Role.CORE,)
HDFS = (Role.HDFS,)
CLUSTER = (Role.CORE, Role.HDFS)


def judged(conf: HadoopConf, key: str, roles: tuple[Role, ...]) -> bool:
    """Whether this configuration speaks to `key`: it sets it, or it is a conf directory (or a
    daemon's /conf) holding a file of one of `roles`, so that Hadoop's default applies."""
    if conf.is_set(key):
        return True
    if conf.scope is HadoopScope.SPARK:
        return False
    return conf.scope is HadoopScope.SERVED or conf.has(*roles)


def role_file(conf: HadoopConf, role: Role) -> str | None:
    """The file of this configuration where a key of `role` belongs."""
    for path in conf.files:
        if path.replace("\\", "/").rsplit("/", 1)[-1] == role.value:
            return path
    return conf.files[0] if conf.files else conf.origin.path


def where(conf: HadoopConf, key: str, role: Role) -> Location:
    """The line that sets `key`, else the file it belongs in."""
    if conf.is_set(key):
        return conf.where(key)
    path = role_file(conf, role)
    return Location(path=path, object=key) if path else conf.origin


def set_fix(conf: HadoopConf, key: str, value: str, role: Role) -> Fix:
    return Fix(FixAction.SET, key, value, where(conf, key, role).path)


def unset_fix(conf: HadoopConf, key: str) -> Fix:
    return Fix(FixAction.UNSET, key, None, conf.where(key).path)


def credential_store_step(key: str, path: str | None, spark: bool = False) -> Fix:
    """The fix of a literal secret Hadoop (or Spark, through Hadoop) reads with getPassword():
    a manual step, because removing the key without a credential store holding it stops the
    service (it cannot open its keystore or reach its storage)."""
    provider = "hadoop.security.credential.provider.path"
    named = f"spark.hadoop.{provider}" if spark else provider
    return Fix(
        FixAction.MANUAL,
        f"store {key} in a credential store (hadoop credential create {key} -provider "
        f"jceks://file/PATH.jceks), name the store in {named}, then remove {key}; "
        "removed without one, the service can no longer read it",
        path=path,
    )


def stated(value: Value | None) -> str:
    if value is None:
        return "unset"
    text = repr(None if value.text is None else show(value.key, value.text, by_key_only=True))
    return f"unset (Hadoop default {text})" if value.default else text


def templated(conf: HadoopConf, key: str, what: str, role: Role) -> Outcome:
    value = conf.get(key)
    return unknown(
        f"{key} holds an unresolved variable; cannot tell {what}",
        where(conf, key, role),
        *evidence_of(value),
    )


def expect_flag(
    conf: HadoopConf,
    key: str,
    want: bool,
    what: str,
    roles: tuple[Role, ...],
    severity: Severity | None = None,
) -> Iterator[Outcome]:
    """The common shape: a boolean whose secure value is `want`."""
    if not judged(conf, key, roles):
        return
    role = roles[0]
    value = conf.get(key)
    flag = conf.flag(key)
    if value is not None and value.templated:
        yield templated(conf, key, f"whether {what}", role)
    elif flag is None and value is not None:
        yield unknown(
            f"{key} is not a boolean; cannot tell whether {what}",
            where(conf, key, role),
            *evidence_of(value),
        )
    elif flag == want:
        yield passed(f"{what}: {key}={str(want).lower()}", where(conf, key, role))
    else:
        yield fail(
            f"{key} is {stated(value)}: {what} not in force",
            where(conf, key, role),
            *evidence_of(value),
            fix=set_fix(conf, key, str(want).lower(), role),
            severity=severity,
        )


def expect_word(
    conf: HadoopConf,
    key: str,
    want: str,
    what: str,
    roles: tuple[Role, ...],
    passing: str,
    failing: str,
    severity: Severity | None = None,
) -> Iterator[Outcome]:
    """The common shape: a word whose secure value is `want` (compared in want's case).
    Unknown when templated (cannot tell `what`), else `passing`, or "KEY is VALUE: `failing`"
    with a fix setting `want`."""
    if not judged(conf, key, roles):
        return
    role = roles[0]
    value = conf.get(key)
    fold = str.upper if want.isupper() else str.lower
    loc = where(conf, key, role)
    if value is not None and value.templated:
        yield templated(conf, key, what, role)
    elif fold(conf.text(key) or "") == want:
        yield passed(passing, loc)
    else:
        yield fail(
            f"{key} is {stated(value)}: {failing}",
            loc,
            *evidence_of(value),
            fix=set_fix(conf, key, want, role),
            severity=severity,
        )


def words(text: str) -> list[str]:
    return [w.strip() for w in text.split(",") if w.strip()]


_SSL_PASSWORD = re.compile(r"^ssl\.(server|client)\.(keystore|truststore)\.(password|keypassword)$")


# S3A credentials and encryption keys, global or per bucket (judged by rules/storage.py).
S3A_CREDENTIAL = re.compile(
    r"^fs\.s3a\.(?:bucket\.[^.]+\.)?"
    r"(secret\.key|access\.key|session\.token|encryption\.key|server-side-encryption\.key)$"
)

# Keys Hadoop reads through getPassword(), so a credential provider can hold them. S3A
# credentials are judged by rules/storage.py.
PROVIDER_SECRETS = re.compile(
    r"^(hadoop\.security\.group\.mapping\.ldap\.(bind\.password|ssl\.keystore\.password|"
    r"ssl\.truststore\.password)|fs\.azure\.account\.key\..+|fs\.azure\.account\.oauth2\."
    r"client\.secret(\..+)?|fs\.adl\.oauth2\.credential|fs\.gs\.auth\.client\.secret|"
    r"fs\.gs\.auth\.service\.account\.private\.key|dfs\.webhdfs\.oauth2\.credential|"
    r"hadoop\.http\.authentication\.signature\.secret|fs\.oss\.accessKeySecret|"
    r"fs\.cosn\.userinfo\.secretKey|fs\.obs\.secret\.key|"
    r"hadoop\.security\.keystore\.java-keystore-provider\.password)$"
)


def _secret_keys(conf: HadoopConf) -> list[str]:
    """Keys holding a literal secret that /conf would show unless redacted (an access key id is
    the public half of the pair: Hadoop's defaults do not redact it)."""
    found = []
    for key in conf.names():
        value = conf.get(key)
        if value is None or not value.text or value.templated or secret_classifier.key_id(key):
            continue
        if secret_classifier.literal_secret(key, value.text) is not None:
            found.append(key)
    return found
