"""The one notion of "secret" every rule and the redaction use (docs/secrets.md).

Three questions, each answered here and nowhere else:
- `secret_key(key)`: does a setting of this name hold a secret? Judged on whole name tokens
  (split on `.`, `_`, `-`, `/` and camelCase), so `proxy_pass` is not a password and
  `spark.io.encryption.keySizeBits` is a size.
- `literal_secret(key, value)`: is this value a secret written in clear? References (`$VAR`,
  `${x}`, `{{ }}`, file paths, names of Secrets and secret-backend entries, URLs without
  userinfo, JSON of backend options), class names, Kerberos principals, redaction masks and
  null-likes are not.
- `known_default(value)`: a published placeholder or shipped default (`changeit`, `changeme`).

Command lines are read by `argument_secrets`, which says which characters of which argument are
secret; redact.show_command masks them and SHELL-004 reports the literal ones. Every scanner
here is linear in its input (str.find, bounded character classes): a 9 MB line is one pass.
"""

from __future__ import annotations

import functools
import json
import math
import posixpath
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# --- keys ----------------------------------------------------------------------------------

# A name token that is a secret by itself (or ends a compound one: keypassword, oauthtoken).
_SECRET_NOUNS = frozenset(
    {
        "password",
        "passwd",
        "passphrase",
        "secret",
        "token",
        "credential",
        "passwords",
        "apikey",
        "secretkey",
        "accesskey",
        "privatekey",
        "cookie",
    }
)
_SECRET_SUFFIXES = ("password", "passwd", "passphrase", "secret", "token", "apikey", "secretkey")
_WHOLE_TOKENS = frozenset({"pwd", "pass", "storepass", "keypass", "passin", "passout", "psk"})
# nginx and friends name upstreams `*_pass`: proxy_pass is an address, not a password.
_PASS_DIRECTIVES = frozenset({"proxy", "fastcgi", "uwsgi", "scgi", "grpc", "memcached"})
# `key` ends a secret name only after one of these (`partition.key`, `sort.key` are not).
_KEY_QUALIFIERS = frozenset(
    {
        "secret",
        "private",
        "access",
        "api",
        "encryption",
        "master",
        "signing",
        "shared",
        "session",
        "app",
        "account",
        "client",
        "auth",
        "hmac",
        "aes",
        "tls",
        "ssl",
        "crypt",
        "sealing",
        "wrap",
        "license",
        "storage",
        "sas",
        "sefs",
        "kms",
        "primary",
        "options",  # Occlum's mount options.key
        "keystore",  # Trino's http-server.https.keystore.key is the keystore's password
    }
)
# Secret families whose name ends with a user-chosen part (an account, a key name).
_SECRET_FAMILIES = (
    "fs.azure.account.key.",
    "fs.azure.account.oauth2.client.secret.",
    "fs.insecure__keys.",
    "sgx.protected_files_key",
    "sgx.insecure__protected_files_key",
)
# Extra key families Hadoop itself redacts (hadoop.security.sensitive-config-keys, 3.5.0):
# masked in evidence although their names do not say "secret".
_HADOOP_SENSITIVE = re.compile(
    r"(?i)^(?:fs\.s3a\.\S*server-side-encryption\.key|fs\.s3a\.encryption\.(?:key|context)|"
    r"fs\.s3a\.\S*session\.(?:key|token)|fs\.azure\.oauth2\.\S*|fs\.adl\.oauth2\.\S*|"
    r"fs\.gs\.encryption\.\S*|fs\.gs\.proxy\.\S*|fs\.gs\.auth\.\S*)$"
)
_KEY_ID_PAIRS = frozenset({("access", "key"), ("accesskey", None)})
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def name_tokens(key: str) -> tuple[str, ...]:
    """`spark.ssl.keyStorePassword` -> (spark, ssl, key, store, password)."""
    return tuple(t.lower() for t in _CAMEL.findall(key))


def _is_secret_token(tokens: tuple[str, ...], i: int) -> bool:
    token = tokens[i]
    previous = tokens[i - 1] if i else ""
    if token == "pass" and previous in _PASS_DIRECTIVES:
        return False
    if token in _SECRET_NOUNS or token in _WHOLE_TOKENS:
        return True
    if token == "key":
        return len(tokens) == 1 or previous in _KEY_QUALIFIERS or previous in _SECRET_NOUNS
    return len(token) > 6 and token.endswith(_SECRET_SUFFIXES)


@functools.lru_cache(maxsize=8192)
def secret_key(key: str | None) -> bool:
    """Whether a setting named `key` holds a secret: its last name token names one
    (`...password`, `...Secret`, `...apiKey`, `KMS_APP_KEY`), or it is a secret family whose
    name ends in a user-chosen part (`fs.azure.account.key.<account>`). A name ending in what
    says *about* a secret (`...password.file`, `...secretKeyRef.X`, `...kms.type`) is not."""
    if not key:
        return False
    if key.startswith(_SECRET_FAMILIES):
        return True
    tokens = name_tokens(key[-256:])
    while tokens and tokens[-1].isdigit():
        tokens = tokens[:-1]  # password2, PASSWORD_1
    if not tokens or "ref" in tokens or "refs" in tokens:
        return False
    if "existing" in tokens:
        return False  # Helm's auth.existingSecret(PasswordKey) names a Secret and its key
    if tokens[-2:] == ("access", "key") and "secret" not in tokens:
        return False  # an access key id (fs.s3a.access.key): the public half, see key_id
    if tokens[-2:] == ("user", "info") or tokens[-1] == "userinfo":
        return True  # user:password (schema.registry.basic.auth.user.info)
    return _is_secret_token(tokens, len(tokens) - 1)


@functools.lru_cache(maxsize=8192)
def masked_key(key: str | None) -> bool:
    """A key whose value evidence masks unless the value is plainly not a secret: the secret
    keys, access key ids, and the families Hadoop's own /conf redaction covers."""
    if not key:
        return False
    return secret_key(key) or key_id(key) or bool(_HADOOP_SENSITIVE.match(key))


def key_id(key: str) -> bool:
    """The public half of a credential pair (an access key id): masked, but neither Hadoop's
    nor Spark's redaction treats it as the secret."""
    tokens = name_tokens(key[-256:])
    return tokens[-2:] in (("access", "key"), ("key", "id")) or tokens[-1:] == ("accesskey",)


# Host environment that leads to credentials although it holds none itself (a kubeconfig,
# a keystore, the cloud SDKs' credential variables).
_CREDENTIAL_ENV = re.compile(
    r"^(?:KUBECONFIG|AWS_[A-Z_]{1,64}|GOOGLE_APPLICATION_CREDENTIALS|AZURE_[A-Z_]{1,64}|"
    r"[A-Z_]{0,64}KEYSTORE[A-Z_]{0,64}|[A-Z_]{0,64}TRUSTSTORE[A-Z_]{0,64}|[A-Z_]{0,64}_KEY)$",
    re.IGNORECASE,
)


def credential_env(name: str) -> bool:
    """An environment variable that is a secret or leads to one (KUBECONFIG, AWS_*, keystores)."""
    return secret_key(name) or bool(_CREDENTIAL_ENV.match(name))


# --- values --------------------------------------------------------------------------------

_NULL_LIKE = frozenset({"", "none", "null", "nil", "~", "undefined", "unset", "n/a", "-", '""'})
_BOOLEAN = frozenset({"true", "false", "yes", "no", "on", "off"})
# Bounded so that a value of many `${` does not make the search quadratic.
_REFERENCE = re.compile(
    r"\$\{[^}]{0,256}\}|\$[A-Za-z_][A-Za-z0-9_]{0,256}|\{\{[^}]{0,512}\}\}|%\([\w.-]{1,64}\)s|"
    r"<[\w .-]{1,64}>"
)
# Templated beyond a reference: command substitution runs code whose output is unknown here,
# but its text may hold a secret (`$(echo pw)`), so evidence masks it under a secret key.
_TEMPLATED = re.compile(_REFERENCE.pattern + r"|\$\([^)]{0,512}\)|`[^`]{0,512}`")
_PLACEHOLDER = re.compile(r"(?i)^(?:your|enter|insert|replace)[\w-]{0,64}$")
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
# Products that read these keys' values as the secret itself: no name indirection there.
_LITERAL_ONLY_PREFIXES = (
    "spark.",
    "hadoop.",
    "fs.",
    "dfs.",
    "yarn.",
    "ssl.",
    "hive.",
    "javax.jdo.",
    "mapreduce.",
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
_MAX_NAME = 256  # longer "names" inside a value are data, not setting names
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


def is_reference(value: str) -> bool:
    """Only a reference ($VAR, ${VAR}, {{ .Values.x }}, ${env.X}, $(cmd)): it reveals nothing."""
    v = value.strip()
    if not v:
        return False
    m = _REFERENCE.match(v)
    return m is not None and m.end() == len(v)


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
    named = secret_name(v) or bool(_WORDS.match(v))
    return key is not None and names_secret_object(key) and named


def names_secret_object(key: str) -> bool:
    """`X_KEY_SECRET`, `CLIENT_CREDENTIALS`: a name that may hold the name of a Secret or a
    backend entry, where a `*_PASSWORD` or `*_TOKEN` holds the value itself. Spark's and
    Hadoop's own keys are always read as the secret."""
    if key.startswith(_LITERAL_ONLY_PREFIXES):
        return False
    tokens = name_tokens(key[-256:])
    return bool(tokens) and tokens[-1] in ("secret", "secrets", "credential")


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
    parts = _CAMEL.findall(value)
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


def literal_secret(key: str | None, value: str) -> Verdict | None:
    """Why `key=value` is a secret written in clear, or None."""
    v = value.strip()[:_MAX_JUDGED]
    if not v:
        return None
    if token_format(v):
        return Verdict(_SHAPE, "shape")
    if url_credentials(v):
        return Verdict("the value embeds a password in a URL", "url")
    if _TEMPLATED.search(v):
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


# Last name tokens that say the value identifies something: a random-looking value there is an
# id, a digest or a name (client_id, COMMIT_SHA, image.digest), not a secret by its shape.
_IDENTIFIER_TOKENS = frozenset(
    {"id", "ids", "uid", "name", "user", "username", "arn", "url", "uri", "host", "sha"}
    | {"digest", "hash", "checksum", "commit", "revision", "version", "tag", "image", "spid"}
)


def names_identifier(key: str | None) -> bool:
    tokens = name_tokens(key[-256:]) if key else ()
    return bool(tokens) and tokens[-1] in _IDENTIFIER_TOKENS


def setting_secret(key: str, value: str, templated: bool, expanded: bool) -> Verdict | None:
    """literal_secret for a setting whose value may be templated. `expanded`: a templated
    value counts by its key, because it is expanded where it is seen (on a command line, in a
    pod spec); the rest of the value must still not be a pointer (`/etc/$X` is a path)."""
    if not templated:
        return literal_secret(key, value)
    if expanded and secret_key(key) and not not_a_secret(_TEMPLATED.sub("x", value), key):
        return Verdict(f"the name {key} marks a secret, expanded where it is seen", "name")
    return None


# --- URLs and parameters -------------------------------------------------------------------

_URL_TOKEN = re.compile(r"[^\s\"'<>`,;|()\[\]{}]*")
_FIELD_SEPARATORS = ("&", ";", " ", "\t", "\n", "\r", '"', "'")
_FIELD_END = re.compile(r"[&;\s\"']")
# Every secret name holds one of these (a cheap pre-filter for long values).
_SECRET_HINTS = ("pass", "pwd", "secret", "token", "key", "credential", "cookie", "psk")


@dataclass(frozen=True, slots=True)
class Span:
    """Characters [start, end) of a text that are secret."""

    start: int
    end: int


def url_credentials(text: str) -> bool:
    """A password in a URL: `scheme://user:PW@host`, `jdbc:oracle:thin:u/PW@h`, `?password=PW`."""
    return url_userinfo(text) is not None or bool(query_secrets(text))


def url_userinfo(text: str) -> Span | None:
    """The first password in a URL's userinfo (`scheme://user:PW@host`), see url_passwords."""
    return next(url_passwords(text), None)


def url_passwords(text: str) -> Iterator[Span]:
    """Passwords in URL userinfo, in one pass: `redis://:pw@h`, `s3a://KEY:SECRET@bucket`,
    `mysql://u:pa/ss@h`, `jdbc:oracle:thin:scott/tiger@host`. A `host:port/path@x` is not
    userinfo (the part after the colon is a port)."""
    n = len(text)
    i = 0
    sep = text.find("://")
    oracle = text.find("oracle:thin:")
    while sep >= 0 or oracle >= 0:
        if oracle >= 0 and (sep < 0 or oracle < sep):
            start = oracle + len("oracle:thin:")
            end = _token_end(text, start, n)
            span = _oracle_password(text, start, end)
        else:
            start = sep + 3
            end = _token_end(text, start, n)
            span = _userinfo_password(text, start, end)
        if span is not None:
            yield span
        i = end
        # Each search restarts only past the last token: the whole text is read once.
        if sep >= 0 and sep < i:
            sep = text.find("://", i)
        if oracle >= 0 and oracle < i:
            oracle = text.find("oracle:thin:", i)


def _token_end(text: str, start: int, n: int) -> int:
    m = _URL_TOKEN.match(text, start, n)
    return m.end() if m else start


def _userinfo_password(text: str, start: int, end: int) -> Span | None:
    limit = end
    for stop in "?#":
        found = text.find(stop, start, limit)
        if found >= 0:
            limit = found
    at = text.rfind("@", start, limit)
    if at < 0:
        return None
    inner = text.rfind("://", start, at)
    if inner >= 0:
        start = inner + 3  # k8s://https://user:pw@api: the inner URL holds the userinfo
    colon = text.find(":", start, at)
    if colon < 0:
        return None
    slash = text.find("/", colon, at)
    if slash >= 0 and text[colon + 1 : slash].isdigit():
        return None  # host:port/path@...: no userinfo
    if colon + 1 == at or is_reference(text[colon + 1 : at]):
        return None
    return Span(colon + 1, at)


def _oracle_password(text: str, start: int, end: int) -> Span | None:
    at = text.find("@", start, end)
    stop = at if at >= 0 else end
    slash = text.find("/", start, stop)
    if slash < 0 or slash + 1 >= stop or is_reference(text[slash + 1 : stop]):
        return None
    return Span(slash + 1, stop)


def oracle_login(arg: str) -> Span | None:
    """`scott/tiger@orcl`, `scott/tiger` or `userid=scott/tiger` given to sqlplus, exp, imp...:
    the password after the slash."""
    start = arg.find("=") + 1 if arg.lower().startswith("userid=") else 0
    if arg.startswith("/") or arg.startswith("-"):
        return None  # `/ as sysdba`, an option
    return _oracle_password(arg, start, len(arg))


def query_secrets(text: str) -> list[Span]:
    """Values of secret-named parameters in a query string (`?password=pw&user=u`)."""
    q = text.find("?")
    if q < 0 or text.find("=", q) < 0:
        return []
    return form_secrets(text, q + 1)


def form_secrets(text: str, start: int = 0) -> list[Span]:
    """Values of secret-named fields in `a=1&password=pw` (also `;`- or space-separated).
    Walks the `=` signs, not every field: text without them costs one search."""
    spans: list[Span] = []
    low = text.lower()
    if not any(low.find(hint, start) >= 0 for hint in _SECRET_HINTS):
        return spans
    eq = text.find("=", start)
    while eq >= 0:
        window = max(start, eq - _MAX_NAME - 1)
        separator = max(text.rfind(sep, window, eq) for sep in _FIELD_SEPARATORS)
        name_start = separator + 1 if separator >= 0 else start
        value_start, end = _field_value(text, eq + 1)
        named = 0 < eq - name_start <= _MAX_NAME and value_start < end
        value = text[value_start:end]
        if named and secret_key(text[name_start:eq]) and not is_reference(value):
            spans.append(Span(value_start, end))
        eq = text.find("=", max(end, eq + 1))
    return spans


def _field_value(text: str, start: int) -> tuple[int, int]:
    """Where a field's value starts and ends: to the closing quote when quoted (JAAS
    `password="pw";`), else to the next separator."""
    if text.startswith(('"', "'"), start):
        close = text.find(text[start], start + 1)
        return start + 1, len(text) if close < 0 else close
    end_match = _FIELD_END.search(text, start)
    return start, end_match.start() if end_match else len(text)


# --- command lines -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArgSecret:
    """A secret inside argument `index` at `span`, given through `via` (an option, or "an
    argument"); `literal` unless the secret part is a reference."""

    index: int
    span: Span
    via: str
    literal: bool


# Options whose value is `user:password` or `cert:password`, by program.
_USER_PASSWORD_OPTIONS = {
    "curl": frozenset({"-u", "--user", "-U", "--proxy-user", "-E", "--cert", "--proxy-cert"}),
}
# Options whose whole value is a secret, by program (None: any program).
_PASSWORD_OPTIONS: dict[str | None, frozenset[str]] = {
    None: frozenset(
        {
            "-storepass",
            "-keypass",
            "-srcstorepass",
            "-deststorepass",
            "-srckeypass",
            "-destkeypass",
            "-passin",
            "-passout",
            "-pass",
            "--password",
            "--passwd",
            "--token",
            "--secret",
            "--api-key",
            "--client-secret",
            "--proxy-password",
            "--http-password",
            "--ftp-password",
            "--oauth2-bearer",
        }
    ),
    "openssl": frozenset({"-k", "-K"}),
    "curl": frozenset({"--pass"}),
    "redis-cli": frozenset({"-a", "--pass"}),
    "sshpass": frozenset({"-p"}),
    "mysql": frozenset({"-p"}),
    "mysqldump": frozenset({"-p"}),
    "mysqladmin": frozenset({"-p"}),
    "mariadb": frozenset({"-p"}),
    "ipmitool": frozenset({"-P"}),
}
# Short options whose value may be glued on: curl -uadmin:pw, mysql -ppw.
_GLUED = {"mysql": "-p", "mysqldump": "-p", "mysqladmin": "-p", "mariadb": "-p", "curl": "-u"}
_HEADER_OPTIONS = frozenset({"-H", "--header", "--proxy-header"})
_DATA_OPTIONS = frozenset(
    {
        "-d",
        "--data",
        "--data-raw",
        "--data-binary",
        "--data-urlencode",
        "--post-data",
        "--body-data",
        "-F",
        "--form",
        "--form-string",
        "--json",
    }
)
_SET_OPTIONS = frozenset({"--set", "--set-string", "--set-json", "--set-literal"})
_ORACLE_PROGRAMS = frozenset(
    {"sqlplus", "sqlldr", "exp", "imp", "expdp", "impdp", "rman", "dgmgrl", "tkprof"}
)
_SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
        "apikey",
        "x-auth-token",
        "x-vault-token",
        "private-token",
        "x-access-token",
        "x-amz-security-token",
        "x-goog-api-key",
    }
)


def argument_secrets(argv: list[str]) -> list[ArgSecret]:
    """Which characters of which arguments of one command are secrets."""
    program = posixpath.basename(argv[0]) if argv else ""
    valued = _valued_options(program)
    found: list[ArgSecret] = []
    option: str | None = None  # the option whose value the current argument is
    for index, arg in enumerate(argv[1:], start=1):
        spans: list[Span] = []
        via = option or "an argument"
        if option is not None:
            spans = _option_value_spans(program, option, arg)
            option = None
        elif arg in valued:
            option = arg
            continue
        elif arg.startswith("-") and arg.partition("=")[0] in valued:
            name, _, value = arg.partition("=")
            via = name
            spans = [_shift(s, len(name) + 1) for s in _option_value_spans(program, name, value)]
        elif _glued(program, arg):
            via = arg[:2]
            spans = _glued_spans(program, arg)
        if not spans:
            spans = _free_spans(program, arg)
        found.extend(ArgSecret(index, s, via, _literal(arg[s.start : s.end])) for s in spans)
    return found


@functools.lru_cache(maxsize=64)
def _valued_options(program: str) -> frozenset[str]:
    return (
        _PASSWORD_OPTIONS[None]
        | _PASSWORD_OPTIONS.get(program, frozenset())
        | _USER_PASSWORD_OPTIONS.get(program, frozenset())
        | _HEADER_OPTIONS
        | _DATA_OPTIONS
        | _SET_OPTIONS
    )


def _literal(text: str) -> bool:
    return not (_TEMPLATED.search(text) or null_like(text))


def _option_value_spans(program: str, option: str, value: str) -> list[Span]:
    if option in _HEADER_OPTIONS:
        return header_secrets(value)
    if option in _DATA_OPTIONS:
        return body_secrets(value)
    if option in _SET_OPTIONS:
        return helm_set_secrets(value)
    if option in _USER_PASSWORD_OPTIONS.get(program, ()):
        return _after_colon(value)
    return _password_value(value)


def _shift(span: Span, offset: int) -> Span:
    return Span(span.start + offset, span.end + offset)


def _after_colon(value: str) -> list[Span]:
    """`user:password`, `cert.pem:password`: the part after the first colon."""
    colon = value.find(":")
    if colon < 0 or colon + 1 >= len(value):
        return []
    return [Span(colon + 1, len(value))]


def _password_value(value: str) -> list[Span]:
    """A password option's value; openssl's `pass:PW` keeps its prefix, `env:`/`file:` name
    where the secret is."""
    if value.startswith(("env:", "file:", "fd:", "stdin")):
        return []
    start = len("pass:") if value.startswith("pass:") else 0
    return [Span(start, len(value))] if start < len(value) else []


def header_secrets(header: str) -> list[Span]:
    """`Authorization: Bearer T`, `X-Api-Key:K`: the credential after the scheme word."""
    name, colon, _ = header.partition(":")
    if not colon or name.strip().lower() not in _SECRET_HEADERS:
        return []
    start = len(name) + 1
    while start < len(header) and header[start] == " ":
        start += 1
    word_end = header.find(" ", start)
    if word_end > 0 and header[start:word_end].lower() in ("bearer", "basic", "token", "digest"):
        start = word_end + 1
    return [Span(start, len(header))] if start < len(header) else []


def body_secrets(body: str) -> list[Span]:
    """Secret fields of a request body: JSON (`{"password": "pw"}`) or a form (`password=pw`)."""
    spans = form_secrets(body) if not body.lstrip().startswith(("{", "[")) else []
    return spans + json_field_secrets(body)


def json_field_secrets(text: str) -> list[Span]:
    """`"password": "pw"` pairs in JSON-like text: the value of each secret-named field."""
    spans: list[Span] = []
    for m in _JSON_NAME.finditer(text):
        if not secret_key(m[1]):
            continue
        j = m.end()
        if text.startswith('"', j):
            end = text.find('"', j + 1)
            spans.append(Span(j + 1, len(text) if end < 0 else end))
            continue
        bare = _JSON_BARE.match(text, j)
        end = bare.end() if bare else j
        if end > j and text[j:end] not in ("null", "true", "false"):
            spans.append(Span(j, end))
    return spans


_JSON_NAME = re.compile(r'"([^"\\\n]{1,256})"[ \t]*:[ \t]*')
_JSON_BARE = re.compile(r"[^,}\]\s]*")


def helm_set_secrets(assignments: str) -> list[Span]:
    """`auth.password=pw,auth.user=u`: the values of secret-named keys in a --set list."""
    spans: list[Span] = []
    i = 0
    n = len(assignments)
    while i < n:
        end = assignments.find(",", i)
        end = n if end < 0 else end
        eq = assignments.find("=", i, end)
        if 0 < eq - i <= _MAX_NAME and secret_key(assignments[i:eq]) and eq + 1 < end:
            spans.append(Span(eq + 1, end))
        i = end + 1
    return spans


def _glued(program: str, arg: str) -> bool:
    short = _GLUED.get(program)
    return short is not None and arg.startswith(short) and len(arg) > len(short)


def _glued_spans(program: str, arg: str) -> list[Span]:
    """`-uadmin:pw` (curl), `-ppw` (mysql)."""
    if program == "curl":
        return [_shift(s, 2) for s in _after_colon(arg[2:])]
    return [Span(2, len(arg))]


def _free_spans(program: str, arg: str) -> list[Span]:
    """A free argument: URL passwords, Oracle logins, and `key=value` with a secret key."""
    spans = list(url_passwords(arg)) + query_secrets(arg)
    if program in _ORACLE_PROGRAMS and not spans and "/" in arg:
        login = oracle_login(arg)
        if login is not None:
            spans.append(login)
    if spans:
        return spans
    key, eq, value = arg.partition("=")
    if eq and " " not in key and value:
        name = key.lstrip("-")
        if masked_key(name) and not not_a_secret(value, name):
            return [Span(len(key) + 1, len(arg))]
        return [Span(len(key) + 1 + s.start, len(key) + 1 + s.end) for s in header_secrets(value)]
    if shaped_like_secret(arg) or header_secrets(arg):
        return header_secrets(arg) or [Span(0, len(arg))]
    return []


def mask_spans(text: str, spans: Iterable[Span], mask: str) -> str:
    """`text` with every span replaced by `mask` (overlaps merged), in one pass."""
    out: list[str] = []
    position = 0
    for span in sorted(spans, key=lambda s: s.start):
        if span.end <= position:
            continue
        start = max(span.start, position)
        out.append(text[position:start])
        out.append(mask)
        position = span.end
    out.append(text[position:])
    return "".join(out)
