"""A setting written the way the file a fix targets spells it, so that a fix can be pasted:
`key = "value"` in a TOML manifest, a `<property>` in Hadoop XML, `key=value` elsewhere."""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

_TOML_SUFFIXES = (".toml", ".manifest", ".manifest.template", ".manifest.sgx")
_TOML_BARE = re.compile(r"^(?:true|false|-?\d+)$")


def setting_text(key: str, value: str | None, path: str | None) -> str:
    """`key` set to `value` in the syntax of the file at `path`."""
    shown = "" if value is None else value
    name = (path or "").lower()
    if name.endswith(_TOML_SUFFIXES):
        literal = shown if _TOML_BARE.match(shown) else '"' + shown.replace('"', '\\"') + '"'
        return f"{key} = {literal}"
    if name.endswith(".xml"):
        return f"<property><name>{escape(key)}</name><value>{escape(shown)}</value></property>"
    return f"{key}={shown}"
