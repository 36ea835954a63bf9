"""Defaults for `triplock audit` from a configuration file; command-line flags win.

Looked up in the current directory: `.triplock.yaml` (or `.triplock.yml`), else the
`[tool.triplock]` table of `pyproject.toml`; or named with `--config FILE`. A file found that
way came with the repository, not from the user, so it is `confined`: its `outputs` and
`waiver-file` must lie inside its own directory (a cloned repository must not overwrite
~/.ssh/authorized_keys). A file named with --config may point anywhere. Keys:

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

import functools
import os
import tomllib
from dataclasses import dataclass
from typing import Any

from triplock.model import SEVERITY_NAMES
from triplock.safe_read import DEFAULT_MAX_BYTES, ReadError, read_capped
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


def load(path: str | None, confined: bool = False) -> Config:
    """The configuration in `path` (None: no file, all defaults). `confined` (a file found,
    not named): output and waiver files must lie inside the file's directory."""
    if path is None:
        return Config()
    data, lines = _read_table(path, streams=not confined)
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
    if waiver_file:
        waiver_file = os.path.join(base, waiver_file)
    outputs = _strings(data, "outputs", path)
    if confined:
        outputs = tuple(o if o == "-" else os.path.join(base, o) for o in outputs)
        for key, target in [*(("outputs", o) for o in outputs), ("waiver-file", waiver_file)]:
            _check_inside(path, base, key, target)
    try:
        waivers = parse_entries(data.get("waivers"), path, base, lines)
    except WaiverError as e:
        raise ConfigError(str(e)) from None
    return Config(
        path=path,
        fail_on=fail_on,
        formats=_strings(data, "formats", path),
        outputs=outputs,
        disable=_strings(data, "disable", path),
        skip_path=_strings(data, "skip-path", path),
        waiver_file=waiver_file,
        inline_waivers=inline,
        waivers=tuple(waivers),
    )


def load_waiver_file(path: str, streams: bool = False) -> list[WaiverEntry]:
    """The entries of a waiver file: YAML, a list of entries or a mapping with `waivers`.
    `streams`: the user named it, so a FIFO or device is read too (still capped)."""
    text = _text(path, streams)
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


def _check_inside(path: str, base: str, key: str, target: str | None) -> None:
    """A confined configuration's file `target` (absolute) must resolve inside `base`:
    symbolic links are followed, so a link in the tree cannot lead out of it either."""
    if target is None or target == "-":
        return
    root = os.path.realpath(base)
    real = os.path.realpath(target)
    if real != root and not real.startswith(root.rstrip(os.sep) + os.sep):
        shown = target if real == os.path.normpath(target) else f"{target} (resolved: {real})"
        raise ConfigError(
            f"{path}: {key}: {shown} is outside {base}; a configuration found in the "
            "working directory may only name files inside it (give the file on the command "
            "line, or this configuration with --config)"
        )


def _read_table(path: str, streams: bool) -> tuple[dict[str, Any] | None, list[int] | None]:
    if os.path.basename(path) == "pyproject.toml":
        return _pyproject_table(path, streams), None
    if path.endswith(".toml"):
        return _toml(path, streams), None
    text = _text(path, streams)
    data = _yaml(text, path)
    if data is None:
        return None, None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings")
    return data, _item_lines(text, "waivers")


def _pyproject_table(path: str, streams: bool = False) -> dict[str, Any] | None:
    tool = _toml(path, streams).get("tool", {})
    table = tool.get("triplock") if isinstance(tool, dict) else None
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.triplock] must be a table")
    return table


def _toml(path: str, streams: bool) -> dict[str, Any]:
    try:
        return tomllib.loads(_text(path, streams))
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML ({e})") from None
    except ValueError:  # an integer of more digits than Python converts
        raise ConfigError(f"{path}: not valid TOML (a number too long)") from None


def _text(path: str, streams: bool) -> str:
    try:
        return read_capped(path, DEFAULT_MAX_BYTES, streams).data.decode("utf-8-sig")
    except ReadError as e:
        raise ConfigError(f"{path}: cannot read ({e})") from None
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
    except ValueError:  # an integer of more digits than Python converts
        raise ConfigError(f"{path}: not valid YAML (a number too long)") from None


def _item_lines(text: str, key: str) -> list[int] | None:
    """The line of each item of the top-level sequence `key` (or of a top-level sequence)."""
    import yaml

    node = yaml.compose(text, Loader=_loader())
    if isinstance(node, yaml.MappingNode):
        node = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
    if not isinstance(node, yaml.SequenceNode):
        return None
    return [item.start_mark.line + 1 for item in node.value]


@functools.cache
def _loader() -> Any:
    """The safe loader, with dates left as text: `expires: 2020-13-45` then reaches the
    waiver reader, which names the field, instead of failing inside the YAML library."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader: Any = type("ConfigLoader", (base,), {})
    loader.add_constructor("tag:yaml.org,2002:timestamp", base.construct_yaml_str)
    return loader


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
