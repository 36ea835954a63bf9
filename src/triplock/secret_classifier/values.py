"""Whether a value is a secret written in clear, and whether it is a published default
(docs/secrets.md, "Values")."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from triplock.secret_classifier.names import (
    camel_parts,
    names_identifier,
    names_secret_object,
    secret_key,
)
from triplock.secret_classifier.remembered import remembered_for_short
from triplock.secret_classifier.spans import (
    form_secrets,
    is_reference,
    templated,
    untemplated,
    url_credentials,
)

_NULL_LIKE = frozenset({"", "none", "null", "nil", "~", "undefined", "unset", "n/a", "-", '""'})

_BOOLEAN = frozenset({"true", "false", "yes", "no", "on", "off"})

# `your-password`, and the filler of examples (`key1: value1` in Kubernetes' ConfigMap docs).
_PLACEHOLDER = re.compile(r"(?i)^(?:(?:your|enter|insert|replace)[\w-]{0,64}|value[_-]?\d{0,3})$")

_MASKS = re.compile(r"(?i)^(\*+(\s*\(redacted\))?|\[?<?redacted>?\]?|x{4,}|\.{3,}|#+)$")

# Provider and backend URIs and references: the value says where the secret is.
_BACKEND_PREFIXES = (
    "jceks:",
    "localjceks:",
    "bcfks:",
    "localbcfks:",
    "user:///",
    "file:",
    "local:",
    "vault:",
    "ref+",
    "arn:aws:secretsmanager:",
    "arn:aws:ssm:",
    "arn:aws:kms:",
    "secretsmanager:",
    "ssm:",
    "sops:",
    "gcp:secretmanager:",
    "azurekeyvault:",
    "akv:",
    "k8s:secret:",
    "secret:",
    "env:",
    "projects/",
    "@/",
)

_BACKEND_PATHS = re.compile(r"^(?:projects/[\w-]+/secrets/|secret/(?:data/)?|kv/)[\w./#:-]*$")

_PATH_LIKE = re.compile(r"^(?:/|~/|\./|\.\./|[A-Za-z]:\\)")

_FILE_EXTENSIONS = frozenset(
    {
        "jks",
        "p12",
        "pfx",
        "pem",
        "crt",
        "cer",
        "key",
        "keytab",
        "jceks",
        "bcfks",
        "txt",
        "json",
        "yaml",
        "yml",
        "properties",
        "conf",
        "xml",
        "env",
        "der",
        "pub",
        "csr",
        "kdb",
        "sth",
        "token",
        "secret",
        "pass",
        "pwd",
    }
)

# user@REALM and service/host@REALM (the realm is upper case by convention; _HOST is Hadoop's).
_PRINCIPAL_NAME = re.compile(r"^[\w.$-]+(?:/[\w.$-]+)?$")

_REALM = re.compile(r"^[A-Z0-9.-]+$")

_EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(?:\.[\w-]+)+$")

_DOTTED_NAME = re.compile(r"^[A-Za-z_$][\w$-]*(?:\.[A-Za-z_$][\w$-]*)+$")

_WORDS = re.compile(r"^[a-z]{1,40}(?:[-_.][a-z]{1,40}){1,8}$")  # keystore_creds, sql_alchemy_conn

_DNS_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,251}[a-z0-9])?$")
# Spark's spark.kubernetes.{driver,executor}.secretKeyRef.ENV=SECRET:KEY names a Secret's key.
_SECRET_KEY_REF = re.compile(r"^spark\.kubernetes\.(?:driver|executor)\.secretKeyRef\.")
_SECRET_DATA_KEY = re.compile(r"^[-._a-zA-Z0-9]{1,253}$")

_SECRET_NAME_WORDS = frozenset(
    {
        "secret",
        "secrets",
        "credential",
        "credentials",
        "creds",
        "token",
        "key",
        "keys",
        "password",
        "passwords",
        "tls",
        "cert",
        "certs",
        "auth",
        "kms",
        "vault",
        "keytab",
        "keystore",
    }
)

# Well-known token formats and key blocks: a secret under any key.
_TOKEN_FORMATS = re.compile(
    r"-----BEGIN [A-Z ]{0,40}PRIVATE KEY-----|"
    r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b|"
    r"\bgh[pousr]_[A-Za-z0-9]{30,255}\b|\bgithub_pat_[A-Za-z0-9_]{40,255}\b|"
    r"\bglpat-[A-Za-z0-9_-]{20}\b|\bxox[abpr]-[A-Za-z0-9-]{10,255}\b|"
    r"\beyJ[A-Za-z0-9_-]{8,4096}\.eyJ[A-Za-z0-9_-]{8,8192}\.[A-Za-z0-9_-]{8,4096}|"
    r"\bsk-[A-Za-z0-9]{20,255}\b|\bsk_live_[A-Za-z0-9]{20,255}\b|\bAIza[0-9A-Za-z_-]{35}\b|"
    r"\bhv[sb]\.[A-Za-z0-9_-]{20,255}\b"
)

# A literal every token format holds: the regex runs only where one is present.
_TOKEN_MARKERS = (
    "PRIVATE KEY",
    "AKIA",
    "ASIA",
    "gh",
    "glpat-",
    "xox",
    "eyJ",
    "sk-",
    "sk_live_",
    "AIza",
    "hvs.",
    "hvb.",
)

# Passwords that keytool, Hadoop/Spark tutorials, charts and the BigDL examples ship with, and
# their usual decorations (password123, Changeit!, admin@123), or only digits and symbols.
_KNOWN_DEFAULT = re.compile(
    r"(?i)(?:changeit|changeme|change_me|password|passw0rd|p@ssw0rd|secret|mysecret|keystore|"
    r"truststore|storepass|keypass|spark|hadoop|hive|admin|administrator|root|toor|test|bigdl|"
    r"intel|welcome|qwerty|letmein|default|minioadmin|minio|bitnami|postgres|mysql|example)?"
    r"[\d!@#$%^&*._-]{0,16}"
)

_MAX_JUDGED = 65536  # longer values are judged on their first 64 KiB (a PEM block is ~3 KiB)


@dataclass(frozen=True, slots=True)
class Verdict:
    """Why a value is a literal secret: `kind` is "shape" (a token format or random string),
    "url" (a password in a URL), "embedded" (`-Dx.password=pw` inside a longer value) or "name"
    (a secret key holding a literal); `default` names the well-known default it equals."""

    why: str
    kind: str
    default: str | None = None

    def describe(self) -> str:
        return self.why + self.default_note()

    def default_note(self) -> str:
        # Messages never embed values, not even a published default.
        return " (a well-known default password)" if self.default is not None else ""


def known_default(value: str) -> str | None:
    """The value, when it is a published default or placeholder password."""
    v = value.strip().strip("\"'")
    return v if v and len(v) <= 40 and _KNOWN_DEFAULT.fullmatch(v) else None


def null_like(value: str) -> bool:
    return value.strip().lower() in _NULL_LIKE


def redaction_mask(value: str) -> bool:
    """`****`, Spark's `*********(redacted)`, `<redacted>`: a value already hidden."""
    return bool(_MASKS.match(value.strip()))


def not_a_secret(value: str, key: str | None = None) -> bool:
    """A value that is a pointer, a name or a switch, whatever key holds it."""
    v = value.strip()
    if len(v) > _MAX_JUDGED:
        return False  # data that long is no pointer or name: judged as a possible secret
    low = v.lower()
    if low in _NULL_LIKE or low in _BOOLEAN or redaction_mask(v) or is_reference(v):
        return True
    if v.startswith(_BACKEND_PREFIXES) or _BACKEND_PATHS.match(v):
        return True
    if _PATH_LIKE.match(v) or file_name(v) or _PLACEHOLDER.match(v):
        return True
    if ("@" in v or "/_HOST" in v) and (principal(v) or _EMAIL.match(v)):
        return True
    if "://" in v:
        return not url_credentials(v)
    if v.startswith(("{", "[")):
        return _json_without_secret(v)
    if class_name(v):
        return True
    if key is not None and _SECRET_KEY_REF.match(key):
        name, colon, data_key = v.partition(":")
        return bool(colon and _DNS_NAME.match(name) and _SECRET_DATA_KEY.match(data_key))
    named = secret_name(v) or bool(_WORDS.match(v))
    return key is not None and names_secret_object(key) and named


def principal(value: str) -> bool:
    """A Kerberos principal: `user@REALM`, `service/host@REALM`, `spark/_HOST` (the realm is
    upper case by convention and holds a letter: `intel@123` is a password)."""
    name, at, realm = value.partition("@")
    if not _PRINCIPAL_NAME.match(name):
        return False
    if not at:
        return name.endswith("/_HOST")
    return bool(_REALM.match(realm)) and any(c.isalpha() for c in realm)


def file_name(value: str) -> bool:
    """`keystore.jks`, `conf/ssl/server.pem`: a file the secret is kept in."""
    stem, dot, extension = value.rpartition(".")
    return bool(dot and stem) and extension.lower() in _FILE_EXTENSIONS and _path_chars(stem)


def _path_chars(text: str) -> bool:
    return all(c.isalnum() or c in "._-/" for c in text)


def class_name(value: str) -> bool:
    """`org.apache.spark.ui.JWSFilter`, `EHSMKeyManagementService`: code, not a secret."""
    if _DOTTED_NAME.match(value):
        last = value.rsplit(".", 1)[-1]
        return not any(c.isdigit() for c in last) or camel_words(last)
    return camel_words(value)


def camel_words(value: str) -> bool:
    """A CamelCase name made of words (`GradientBoostedTreeClassifierExample`): at least three
    capitalised parts, each a word or an acronym, no digits inside."""
    if not value[:1].isupper() or not value.isalpha() or len(value) > 200:
        return False
    parts = camel_parts(value)
    if len(parts) < 3 or "".join(parts) != value:
        return False
    lower = [p for p in parts if not p.isupper()]
    return all(len(p) >= 3 and any(c in "aeiouy" for c in p) for p in lower)


def secret_name(value: str) -> bool:
    """The name of a Kubernetes Secret or a backend entry (`spark-auth-secret`, `db-creds`)."""
    if not _DNS_NAME.match(value) or "-" not in value:
        return False
    return value.rsplit("-", 1)[-1] in _SECRET_NAME_WORDS


def _json_without_secret(value: str) -> bool:
    try:
        data = json.loads(value)
    except ValueError:
        return False
    return not any(literal_secret(k, v) for k, v in _json_fields(data))


def _json_fields(data: object, key: str = "") -> Iterator[tuple[str, str]]:
    stack: list[tuple[str, object]] = [(key, data)]
    while stack:
        name, item = stack.pop()
        if isinstance(item, dict):
            stack.extend((str(k), v) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((name, v) for v in item)
        elif isinstance(item, str | int | float) and not isinstance(item, bool):
            yield name, str(item)


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    if not value:
        return 0.0
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def token_format(value: str) -> bool:
    """A key block or a well-known token format (AWS, GitHub, Slack, JWT, Vault...)."""
    v = value[:_MAX_JUDGED]
    return any(m in v for m in _TOKEN_MARKERS) and bool(_TOKEN_FORMATS.search(v))


def shaped_like_secret(value: str) -> bool:
    """A secret whatever its key: a key block, a known token format, a URL password, or a long
    random string (three character classes, high entropy, not words, paths or names)."""
    v = value.strip()[:_MAX_JUDGED]
    return token_format(v) or url_credentials(v) or random_token(v)


def random_token(v: str) -> bool:
    if len(v) < 20 or len(v) > 4096 or any(c in v for c in " /\\:@,;|()[]{}<>\"'"):
        return False
    if "=" in v.rstrip("="):
        return False  # an assignment (-Dx=y); base64 has `=` only as padding
    if _DOTTED_NAME.match(v) or camel_words(v) or _UUID.match(v):
        return False
    classes = (
        any(c.islower() for c in v)
        + any(c.isupper() for c in v)
        + (sum(c.isdigit() for c in v) >= 2)
    )
    # Hex alone is no evidence: digests, commit ids and SPIDs are hex too.
    return classes >= 3 and entropy(v) >= 3.5


_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

_SHAPE = "the value has the shape of a secret (key block, token format or random string)"


@remembered_for_short
def literal_secret(key: str | None, value: str) -> Verdict | None:
    """Why `key=value` is a secret written in clear, or None."""
    v = value.strip()[:_MAX_JUDGED]
    if not v:
        return None
    if token_format(v):
        return Verdict(_SHAPE, "shape")
    if url_credentials(v):
        return Verdict("the value embeds a password in a URL", "url")
    if templated(v):
        return None  # templated: setting_secret judges where it is expanded
    if random_token(v) and not names_identifier(key):
        return Verdict(_SHAPE, "shape")
    if secret_key(key):
        if not_a_secret(v, key):
            return None
        return Verdict(f"the name {key} marks a secret", "name", known_default(v))
    if v.startswith(("{", "[")) and not _json_without_secret(v):
        return Verdict("the value is JSON holding a secret field", "embedded")
    if "=" in v and any(not not_a_secret(v[f.start : f.end]) for f in form_secrets(v)):
        return Verdict("the value sets a secret-named option to a literal", "embedded")
    return None


def setting_secret(key: str, value: str, templated: bool, expanded: bool) -> Verdict | None:
    """literal_secret for a setting whose value may be templated. `expanded`: a templated
    value counts by its key, because it is expanded where it is seen (on a command line, in a
    pod spec); the rest of the value must still not be a pointer (`/etc/$X` is a path)."""
    if not templated:
        return literal_secret(key, value)
    if expanded and secret_key(key) and not not_a_secret(untemplated(value), key):
        return Verdict(f"the name {key} marks a secret, expanded where it is seen", "name")
    return None
