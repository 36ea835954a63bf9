"""A setting written the way the file a fix targets spells it, so that a fix can be pasted:
`key = "value"` in a TOML manifest, a `<property>` in Hadoop XML, the bde2020 images'
`HDFS_CONF_dfs_x=value` variable in an env or compose file, `key=value` elsewhere."""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

_TOML_SUFFIXES = (".toml", ".manifest", ".manifest.template", ".manifest.sgx")
_TOML_BARE = re.compile(r"^(?:true|false|-?\d+)$")
_ENV_FILE = re.compile(
    r"(?:^|/)(?:\.env(?:\.[\w.-]+)?|[\w.-]+\.env|(?:docker-)?compose[\w.-]*\.ya?ml)$"
)
# Which variable prefix of the bde2020 images writes a Hadoop key into the file it belongs to.
_HADOOP_PREFIX = (
    ("hadoop.kms.", "KMS_CONF_"),
    ("dfs.", "HDFS_CONF_"),
    ("yarn.", "YARN_CONF_"),
    ("mapreduce.", "MAPRED_CONF_"),
    ("", "CORE_CONF_"),
)


def hadoop_variable(key: str) -> str:
    """The environment variable a bde2020 Hadoop image turns into `key` (`-` is `___`, `_` is
    `__`, `.` is `_`)."""
    prefix = next(p for start, p in _HADOOP_PREFIX if key.startswith(start))
    return prefix + key.replace("_", "__").replace("-", "___").replace(".", "_")


def setting_text(key: str, value: str | None, path: str | None) -> str:
    """`key` set to `value` in the syntax of the file at `path`."""
    shown = "" if value is None else value
    name = (path or "").lower()
    if name.endswith(_TOML_SUFFIXES):
        literal = shown if _TOML_BARE.match(shown) else '"' + shown.replace('"', '\\"') + '"'
        return f"{key} = {literal}"
    if _ENV_FILE.search(name) and "." in key and not key.startswith("spark."):
        return f"{hadoop_variable(key)}={shown}"
    if name.endswith(".xml"):
        return f"<property><name>{escape(key)}</name><value>{escape(shown)}</value></property>"
    return f"{key}={shown}"
