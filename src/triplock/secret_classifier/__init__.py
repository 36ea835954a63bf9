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

Modules: `names` (keys), `values` (literal secrets, defaults), `spans` (secrets inside longer
text, references), `commands` (command lines). Import from the package.
"""

from triplock.secret_classifier.commands import ArgSecret, argument_secrets
from triplock.secret_classifier.names import (
    credential_env,
    key_id,
    masked_key,
    name_tokens,
    secret_key,
)
from triplock.secret_classifier.spans import (
    Span,
    form_secrets,
    header_secrets,
    is_reference,
    json_field_secrets,
    mask_spans,
    url_credentials,
    url_passwords,
)
from triplock.secret_classifier.values import (
    Verdict,
    known_default,
    literal_secret,
    not_a_secret,
    random_token,
    setting_secret,
    shaped_like_secret,
    token_format,
)

__all__ = [
    "ArgSecret",
    "Span",
    "Verdict",
    "argument_secrets",
    "credential_env",
    "form_secrets",
    "header_secrets",
    "is_reference",
    "json_field_secrets",
    "key_id",
    "known_default",
    "literal_secret",
    "mask_spans",
    "masked_key",
    "name_tokens",
    "not_a_secret",
    "random_token",
    "secret_key",
    "setting_secret",
    "shaped_like_secret",
    "token_format",
    "url_credentials",
    "url_passwords",
]
