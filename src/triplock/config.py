"""Defaults for `triplock audit` from a configuration file; command-line flags win.

Looked up in the current directory: `.triplock.yaml` (or `.triplock.yml`), else the
`[tool.triplock]` table of `pyproject.toml`; or named with `--config FILE`. Keys:

    fail-on: medium              # info | low | medium | high | critical | never
    formats: [table, sarif]      # like --format, repeated
    outputs: ["-", triplock.sarif]  # like --output, paired with formats in order ("-": stdout)
    disable: [SPARK-020]         # rule ids or slugs not to run
    skip-path: ["charts/*/tests", "*.md"]  # like --skip-path, repeated
    waiver-file: waivers.yaml    # more waivers, relative to this file
    inline-waivers: false        # refuse `# triplock: ignore ...` comments in audited files
    waivers:                     # accepted risks (see triplock.waivers)
      - rule: SPARK-001
        path: "deploy/**"
        reason: "..."
        expires: 2026-12-31
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from typing import Any

from triplock.model import SEVERITY_NAMES
from triplock.waivers import WaiverEntry, WaiverError, parse_entries

CANDIDATES = (".triplock.yaml", ".triplock.yml", "pyproject.toml")
_KEYS = {
    "fail-on",
    "formats",
    "outputs",
    "disable",
    "skip-path",
    "waiver-file",
    "inline-waivers",
    "waivers",
}


class ConfigError(ValueError):
    """A configuration or waiver file that cannot be used; the message names the file."""


@dataclass(frozen=True, slots=True)
class Config:
    path: str | None = None
    fail_on: str | None = None
    formats: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    disable: tuple[str, ...] = ()
    skip_path: tuple[str, ...] = ()
    waiver_file: str | None = None
    inline_waivers: bool = True
    waivers: tuple[WaiverEntry, ...] = ()


def find(directory: str = ".") -> str | None:
    """The configuration file of `directory`, if it has one."""
    for name in CANDIDATES:
        path = os.path.join(directory, name)
        if not os.path.isfile(path):
            continue
        if name != "pyproject.toml" or _pyproject_table(path) is not None:
            return path
    return None


def load(path: str | None) -> Config:
    """The configuration in `path` (None: no file, all defaults)."""
    if path is None:
        return Config()
    data, lines = _read_table(path)
    if data is None:
        return Config(path=path)
    data = {str(k).replace("_", "-"): v for k, v in data.items()}
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {', '.join(unknown)} (known: {_known()})")
    base = os.path.dirname(os.path.abspath(path))
    fail_on = data.get("fail-on")
    if fail_on is not None and fail_on not in (*SEVERITY_NAMES, "never"):
        raise ConfigError(f"{path}: fail-on must be one of {', '.join(SEVERITY_NAMES)}, never")
    inline = data.get("inline-waivers", True)
    if not isinstance(inline, bool):
        raise ConfigError(f"{path}: inline-waivers must be true or false")
    waiver_file = _string(data, "waiver-file", path)
    try:
        waivers = parse_entries(data.get("waivers"), path, base, lines)
    except WaiverError as e:
        raise ConfigError(str(e)) from None
    return Config(
        path=path,
        fail_on=fail_on,
        formats=_strings(data, "formats", path),
        outputs=_strings(data, "outputs", path),
        disable=_strings(data, "disable", path),
        skip_path=_strings(data, "skip-path", path),
        waiver_file=os.path.join(base, waiver_file) if waiver_file else None,
        inline_waivers=inline,
        waivers=tuple(waivers),
    )


def load_waiver_file(path: str) -> list[WaiverEntry]:
    """The entries of a waiver file: YAML, a list of entries or a mapping with `waivers`."""
    text = _text(path)
    data = _yaml(text, path)
    if isinstance(data, dict):
        data = data.get("waivers")
    lines = _item_lines(text, "waivers")
    try:
        return parse_entries(data, path, os.path.dirname(os.path.abspath(path)), lines)
    except WaiverError as e:
        raise ConfigError(str(e)) from None


def _known() -> str:
    return ", ".join(sorted(_KEYS))


def _read_table(path: str) -> tuple[dict[str, Any] | None, list[int] | None]:
    if os.path.basename(path) == "pyproject.toml":
        return _pyproject_table(path), None
    if path.endswith(".toml"):
        return _toml(path), None
    text = _text(path)
    data = _yaml(text, path)
    if data is None:
        return None, None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings")
    return data, _item_lines(text, "waivers")


def _pyproject_table(path: str) -> dict[str, Any] | None:
    table = _toml(path).get("tool", {}).get("triplock")
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.triplock] must be a table")
    return table


def _toml(path: str) -> dict[str, Any]:
    try:
        return tomllib.loads(_text(path))
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML ({e})") from None


def _text(path: str) -> str:
    try:
        with open(path, encoding="utf-8-sig") as handle:
            return handle.read()
    except OSError as e:
        raise ConfigError(f"{path}: cannot read ({e.strerror or e})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None


def _yaml(text: str, path: str) -> Any:
    import yaml

    try:
        return yaml.load(text, Loader=_loader())
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{where}: not valid YAML") from None


def _item_lines(text: str, key: str) -> list[int] | None:
    """The line of each item of the top-level sequence `key` (or of a top-level sequence)."""
    import yaml

    node = yaml.compose(text, Loader=_loader())
    if isinstance(node, yaml.MappingNode):
        node = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
    if not isinstance(node, yaml.SequenceNode):
        return None
    return [item.start_mark.line + 1 for item in node.value]


def _loader() -> Any:
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _string(data: dict[str, Any], key: str, path: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{path}: {key} must be a string")
    return value


def _strings(data: dict[str, Any], key: str, path: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{path}: {key} must be a list of strings")
    return tuple(value)
