"""Secret-bearing key names, judged on whole name tokens (docs/secrets.md, "Keys")."""

from __future__ import annotations

import functools
import re

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

_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def camel_parts(text: str) -> list[str]:
    """`EHSMKeyManagement` -> [EHSM, Key, Management]; digits are parts of their own."""
    return _CAMEL.findall(text)


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
    keys, access key ids, the families Hadoop's own /conf redaction covers, any `key` name."""
    if not key:
        return False
    if secret_key(key) or key_id(key) or bool(_HADOOP_SENSITIVE.match(key)):
        return True
    # Generous where it costs nothing: any `...key`/`...keys` name (a cephx `client.admin.key`,
    # RGW's `encryption_keys` table) is masked, though only qualified ones count as secrets.
    return name_tokens(key[-256:])[-1:] in (("key",), ("keys",))


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


def names_secret_object(key: str) -> bool:
    """`X_KEY_SECRET`, `CLIENT_CREDENTIALS`: a name that may hold the name of a Secret or a
    backend entry, where a `*_PASSWORD` or `*_TOKEN` holds the value itself. Spark's and
    Hadoop's own keys are always read as the secret."""
    if key.startswith(_LITERAL_ONLY_PREFIXES):
        return False
    tokens = name_tokens(key[-256:])
    return bool(tokens) and tokens[-1] in ("secret", "secrets", "credential")


# Last name tokens that say the value identifies something: a random-looking value there is an
# id, a digest or a name (client_id, COMMIT_SHA, image.digest), not a secret by its shape.
_IDENTIFIER_TOKENS = frozenset(
    {"id", "ids", "uid", "name", "user", "username", "arn", "url", "uri", "host", "sha"}
    | {"digest", "hash", "checksum", "commit", "revision", "version", "tag", "image", "spid"}
)


def names_identifier(key: str | None) -> bool:
    tokens = name_tokens(key[-256:]) if key else ()
    return bool(tokens) and tokens[-1] in _IDENTIFIER_TOKENS
