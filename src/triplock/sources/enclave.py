"""Enclave manifests: Gramine `.manifest` / `.manifest.template` (TOML with Jinja placeholders),
legacy Graphene manifests (`key = value` lines) and Occlum's Occlum.json."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, ClassVar

from triplock.facts.tee import EnclaveEnv, EnclaveFile, EnclaveManifest, EnclaveMount, Framework
from triplock.inventory import Inventory, Setting, is_templated
from triplock.model import Location
from triplock.sources.interface import OWN_KEYS, InputFile, SourceError
from triplock.sources.json_input import list_field, loads
from triplock.sources.text_lines import QuotedStrings
from triplock.sources.toml_lines import TomlDocument, TomlError, load

_SUFFIXES = (".manifest", ".manifest.template", ".manifest.sgx")
_MANIFEST_KEY = re.compile(r"^[^\S\n]*(loader|libos|sgx|fs|sys)\.[\w.\"\-]+\s*=", re.MULTILINE)
_GRAPHENE = re.compile(r"graphene|GRAPHENE")
# The value is stripped by the caller: a lazy `(.*?)\s*$` rescans every run of inner blanks.
_LEGACY_LINE = re.compile(r"\s*([A-Za-z_][\w.\-]*)\s*=(.*)")
_LITERAL_KEY_PREFIXES = ("fs.insecure__keys.",)
_LITERAL_KEYS = ("sgx.insecure__protected_files_key", "sgx.protected_files_key")


class EnclaveSource:
    kind: ClassVar[str] = "enclave-manifest"
    priority: ClassVar[int] = OWN_KEYS

    def claims(self, file: InputFile) -> bool:
        if file.is_binary:
            return False
        if _is_occlum(file):
            return True
        if not file.name.endswith(_SUFFIXES):
            return False
        return bool(_MANIFEST_KEY.search(file.text))

    def parse(self, file: InputFile, inventory: Inventory) -> None:
        if _is_occlum(file):
            inventory.add(_read_occlum(file))
        else:
            inventory.add(_read_manifest(file))

    def link(self, inventory: Inventory) -> None:
        pass


SOURCE = EnclaveSource()

# Keys only an Occlum configuration has together, whatever the file is called
# (occlum_instance/Occlum.json, a template such as occlum-spark.json, a ConfigMap copy).
_OCCLUM_KEY = '"resource_limits"'
_OCCLUM_COMPANIONS = ('"entry_points"', '"mount"')


def _is_occlum(file: InputFile) -> bool:
    if file.name.lower() == "occlum.json":
        return True
    if not file.name.lower().endswith(".json") or file.is_binary:
        return False
    head = file.text[:65536]
    return _OCCLUM_KEY in head and any(k in head for k in _OCCLUM_COMPANIONS)


def _read_manifest(file: InputFile) -> EnclaveManifest:
    text = file.text
    try:
        doc = load(text)
    except TomlError as e:
        if _looks_legacy(text):
            try:
                return _read_legacy(file, text)
            except SourceError:
                pass  # not legacy either: TOML's error names the line that is wrong
        raise SourceError(f"not a valid TOML manifest: {e}") from e
    framework = Framework.GRAPHENE if _GRAPHENE.search(text) else Framework.GRAMINE
    return _GramineReader(file.path, doc, framework).read()


def _looks_legacy(text: str) -> bool:
    """Graphene's pre-TOML syntax: unquoted values such as `loader.exec = file:/bin/app`."""
    for line in text.splitlines():
        m = _LEGACY_LINE.match(line)
        value = m.group(2).strip() if m else ""
        unquoted = value and value[0] not in "\"'[{" and not value[0].isdigit()
        if unquoted and value not in ("true", "false"):
            return True
    return False


class _GramineReader:
    def __init__(self, path: str, doc: TomlDocument, framework: Framework) -> None:
        self.path = path
        self.doc = doc
        self.manifest = EnclaveManifest(path, framework, Location(path=path))

    def read(self) -> EnclaveManifest:
        for key, value in _flatten(self.doc.data):
            self._take(key, value)
        return self.manifest

    def _loc(self, key: str, needle: str | None = None) -> Location:
        line = self.doc.line_of(key)
        if needle:
            line = self.doc.find_after(needle, line)
        return Location(path=self.path, line=line, object=key)

    def _setting(self, key: str, value: Any) -> Setting:
        text = _scalar(value, self.doc)
        loc = self._loc(key)
        return Setting.at(key, text, loc, templated=self._templated(text, loc))

    def _templated(self, value: str, loc: Location) -> bool:
        """A placeholder in the value, or a line inside `{% if %}`: set only sometimes."""
        return is_templated(value) or loc.line in self.doc.conditional

    def _take(self, key: str, value: Any) -> None:
        m = self.manifest
        if key in ("sgx.trusted_files", "sgx.allowed_files"):
            target = m.trusted_files if key == "sgx.trusted_files" else m.allowed_files
            target.extend(self._files(key, value))
        elif key == "sgx.protected_files":
            for f in self._files(key, value):
                m.mounts.append(
                    EnclaveMount(
                        f.uri,
                        f.uri,
                        "protected",
                        f.location,
                        key_name="default",
                        templated=f.templated,
                    )
                )
        elif key in ("fs.mounts", "fs.mount"):
            m.mounts.extend(self._mounts(key, value))
        elif key.startswith("loader.env."):
            m.env.append(self._env(key, value))
        else:
            setting = self._setting(key, value)
            m.settings[key] = setting
            if key.startswith(_LITERAL_KEY_PREFIXES) or key in _LITERAL_KEYS:
                m.literal_keys[key] = setting

    def _files(self, key: str, value: Any) -> Iterator[EnclaveFile]:
        if isinstance(value, dict):
            entries = list(value.values())
        else:
            entries = value if isinstance(value, list) else [value]
        for entry in entries:
            raw = entry.get("uri", "") if isinstance(entry, dict) else str(entry)
            uri = self.doc.restore(str(raw))
            loc = self._loc(key, str(raw))
            yield EnclaveFile(uri, loc, templated=self._templated(uri, loc))

    def _mounts(self, key: str, value: Any) -> Iterator[EnclaveMount]:
        items = list(value.values()) if isinstance(value, dict) else list(value)
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            fields = {k: self.doc.restore(str(v)) for k, v in item.items()}
            line = self.doc.line_of(f"{key}[{index}]")
            if line is None:
                needle = str(item.get("path") or item.get("uri") or "")
                line = self.doc.find_after(needle, self.doc.line_of(key))
            yield EnclaveMount(
                path=fields.get("path", ""),
                uri=fields.get("uri", ""),
                type=fields.get("type", "chroot"),
                location=Location(path=self.path, line=line, object=f"{key}[{index}]"),
                key_name=fields.get("key_name", "default")
                if fields.get("type") == "encrypted"
                else None,
                templated=any(is_templated(v) for v in fields.values())
                or line in self.doc.conditional,
            )

    def _env(self, key: str, value: Any) -> EnclaveEnv:
        name = key.removeprefix("loader.env.")
        loc = self._loc(key)
        if isinstance(value, dict):
            if value.get("passthrough") is True:
                return EnclaveEnv(name, None, True, loc)
            value = value.get("value", "")
        text = _scalar(value, self.doc)
        return EnclaveEnv(name, text, False, loc, templated=self._templated(text, loc))


def _flatten(data: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Dotted keys to leaves; tables that are one value (env entries, lists of files, mounts)
    stay whole."""
    for k, v in data.items():
        key = f"{prefix}{k}"
        whole = key.startswith("loader.env.") or key in (
            "sgx.trusted_files",
            "sgx.allowed_files",
            "sgx.protected_files",
            "fs.mounts",
            "fs.mount",
        )
        if isinstance(v, dict) and not whole:
            yield from _flatten(v, f"{key}.")
        else:
            yield key, v


def _scalar(value: Any, doc: TomlDocument | None = None) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return doc.restore(value) if doc else value
    if isinstance(value, list | dict):
        text = json.dumps(value, default=str)
        return doc.restore(text) if doc else text
    return str(value)


def _read_legacy(file: InputFile, text: str) -> EnclaveManifest:
    """Graphene's original manifest syntax: one `key = value` per line, `#` comments, lists as
    `sgx.trusted_files.NAME = file:...` and mounts as `fs.mount.NAME.{type,path,uri}`."""
    path = file.path
    m = EnclaveManifest(path, Framework.GRAPHENE, Location(path=path))
    mounts: dict[str, dict[str, str]] = {}
    mount_lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.split("#", 1)[0].strip()
        if not stripped:
            continue
        match = _LEGACY_LINE.match(stripped)
        if not match:
            raise SourceError(f"line {number}: expected `key = value`")
        key, value = match.group(1), match.group(2).strip().strip("\"'")
        loc = Location(path=path, line=number, object=key)
        templated = is_templated(value)
        if key.startswith("sgx.trusted_files."):
            m.trusted_files.append(EnclaveFile(value, loc, templated))
        elif key.startswith("sgx.allowed_files."):
            m.allowed_files.append(EnclaveFile(value, loc, templated))
        elif key.startswith("sgx.protected_files."):
            m.mounts.append(
                EnclaveMount(value, value, "protected", loc, "protected_files_key", templated)
            )
        elif key.startswith("fs.mount."):
            name, _, field_name = key.removeprefix("fs.mount.").rpartition(".")
            mounts.setdefault(name, {})[field_name] = value
            mount_lines.setdefault(name, number)
        elif key.startswith("loader.env."):
            m.env.append(EnclaveEnv(key.removeprefix("loader.env."), value, False, loc, templated))
        else:
            setting = Setting.literal_or_templated(key, value, loc)
            m.settings[key] = setting
            if key in _LITERAL_KEYS or key.startswith(_LITERAL_KEY_PREFIXES):
                m.literal_keys[key] = setting
    for name, fields in mounts.items():
        loc = Location(path=path, line=mount_lines[name], object=f"fs.mount.{name}")
        m.mounts.append(
            EnclaveMount(
                fields.get("path", ""),
                fields.get("uri", ""),
                fields.get("type", "chroot"),
                loc,
                templated=any(is_templated(v) for v in fields.values()),
            )
        )
    return m


def _read_occlum(file: InputFile) -> EnclaveManifest:
    text = file.text
    try:
        data = loads(text)
    except json.JSONDecodeError as e:
        raise SourceError(f"not valid JSON: {e.msg} (line {e.lineno})") from e
    if not isinstance(data, dict):
        raise SourceError("Occlum.json must hold a JSON object")
    strings = QuotedStrings(text.splitlines())
    path = file.path
    m = EnclaveManifest(path, Framework.OCCLUM, Location(path=path))

    def loc(*parts: str, needle: str | None = None) -> Location:
        return Location(path=path, line=_json_line(strings, parts, needle), object=".".join(parts))

    for section in ("metadata", "resource_limits", "process", "feature"):
        block = data.get(section)
        if isinstance(block, dict):
            for k, v in block.items():
                key = f"{section}.{k}"
                m.settings[key] = Setting.literal_or_templated(key, _scalar(v), loc(section, k))
    env = data.get("env")
    if isinstance(env, dict):
        for entry in list_field(env, "default", "env."):
            name, _, value = str(entry).partition("=")
            m.env.append(
                EnclaveEnv(
                    name,
                    value,
                    False,
                    loc("env", "default", needle=str(entry)),
                    templated=is_templated(value),
                )
            )
        for entry in list_field(env, "untrusted", "env."):
            # Occlum lists names here; a `NAME=value` entry's value is dropped, never shown.
            name = str(entry).partition("=")[0]
            m.env.append(EnclaveEnv(name, None, True, loc("env", "untrusted", needle=str(entry))))
    for mount in _occlum_mounts(data.get("mount")):
        target, source = str(mount.get("target", "")), str(mount.get("source", ""))
        kind = str(mount.get("type", ""))
        where = loc("mount", needle=source or target)
        options = mount.get("options")
        literal = options.get("key") if isinstance(options, dict) else None
        key_name = "sealing" if kind == "sefs" else None  # SEFS derives keys from sealing
        if literal is not None:
            key_name = f"mount[{target}].options.key"
            m.literal_keys[key_name] = Setting.literal_or_templated(key_name, str(literal), where)
        m.mounts.append(EnclaveMount(target, source, kind, where, key_name=key_name))
        if kind == "hostfs":
            m.allowed_files.append(EnclaveFile(source, where, is_templated(source), target))
    return m


def _occlum_mounts(value: Any) -> Iterator[dict[str, Any]]:
    for mount in value if isinstance(value, list) else []:
        if not isinstance(mount, dict):
            continue
        yield mount
        options = mount.get("options")
        if isinstance(options, dict):
            yield from _occlum_mounts(options.get("layers"))


def _json_line(strings: QuotedStrings, parts: tuple[str, ...], needle: str | None) -> int | None:
    """The line of a nested key: each part, then the string `needle`, searched after the
    previous one's line."""
    line = 0
    for part in parts:
        found = strings.first(part, line)
        if found is None:
            return None
        line = found
    found = strings.first(needle, line) if needle else None
    return (line if found is None else found) + 1
