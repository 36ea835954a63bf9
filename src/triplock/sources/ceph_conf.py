"""Ceph configuration: `ceph.conf` (or any `*.conf` with Ceph sections and options), keyrings
(`*.keyring`, or `[entity]` sections holding `key =`), and the ceph.conf text of Rook's
`rook-config-override` ConfigMap.

The grammar is Ceph's own (src/common/ConfUtils.cc): `[section]` headings, `name = value`
lines whose names may spell a word break as a space, a dash or an underscore, `#` and `;`
comments (also after a value), values in double or single quotes, a backslash escaping the next
character and a trailing backslash continuing a line. A repeated section is merged into the
first and a repeated option replaces the earlier one, as ConfFile does. Ceph refuses a file with
a line it cannot parse; triplock reports each such line in `errors` and judges the rest.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from triplock.facts.ceph import (
    GLOBAL,
    CephConf,
    CephKeyring,
    CephOption,
    KeyFile,
    KeyringEntity,
    normal_name,
)
from triplock.facts.kube import KubeConfigMap
from triplock.inventory import Inventory, is_templated
from triplock.model import Location
from triplock.sources._tree import find_in_tree
from triplock.sources.interface import SECTIONS, InputFile, SourceError

_CEPH_SECTION = re.compile(r"^[ \t]*\[(global|mon|mgr|osd|mds|client)(\.[^\]\n]*)?\]", re.M)
_CEPH_OPTION = re.compile(
    r"^[ \t]*(fsid|mon[ _-]host|mon[ _-]initial[ _-]members|auth[ _-]|cephx[ _-]|ms[ _-]|"
    r"osd[ _-]|rgw[ _-]|mds[ _-]|keyring|public[ _-]network|cluster[ _-]network)",
    re.M | re.I,
)
_KEYRING_KEY = re.compile(r"^[ \t]*key[ \t]*=[ \t]*\S", re.M)
_KEYRING_CAPS = re.compile(r"^caps_(\w+)$")  # `caps mon` once blanks are underscores
# Options that only let a client find and join the cluster (what `ceph config
# generate-minimal-conf` writes): a file holding nothing else leaves every other option to the
# monitors' configuration database.
_BOOTSTRAP = frozenset(
    {"fsid", "mon_host", "mon_initial_members", "keyring", "public_network", "cluster_network"}
)
# Options whose value names files that hold key material.
_KEY_FILE_OPTIONS = (
    "keyring",
    "keyfile",
    "rgw_crypt_vault_token_file",
    "rgw_crypt_sse_s3_vault_token_file",
    "rgw_crypt_vault_ssl_clientkey",
    "rgw_crypt_sse_s3_vault_ssl_clientkey",
    "rgw_crypt_kmip_client_key",
)
_OVERRIDE_KEYS = ("config", "ceph.conf")


@dataclass(frozen=True, slots=True)
class _Line:
    number: int
    section: str | None  # a heading's name
    name: str | None  # an option's name as written
    value: str = ""


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Physical lines joined where one ends in an unescaped backslash, with the first line's
    number."""
    start = 0
    parts: list[str] = []
    for number, raw in enumerate(text.splitlines(), 1):
        if not parts:
            start = number
        stripped = raw.rstrip("\r")
        trailing = len(stripped) - len(stripped.rstrip("\\"))
        if trailing % 2 == 1:
            parts.append(stripped[:-1])
            continue
        parts.append(stripped)
        yield start, "".join(parts)
        parts = []
    if parts:
        yield start, "".join(parts)


def _unescape_until(text: str, stops: str) -> tuple[str, str]:
    """Characters up to the first unescaped stop character (a backslash keeps the next one),
    and the rest from that stop on."""
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if c in stops:
            return "".join(out), text[i:]
        out.append(c)
        i += 1
    return "".join(out), ""


def _is_comment_or_blank(rest: str) -> bool:
    rest = rest.strip()
    return not rest or rest[0] in "#;"


def _parse_line(number: int, line: str) -> _Line | str | None:
    """A heading, an option, None for blank and comment lines, or the reason it is malformed.
    As in Ceph: a heading starts the line and its name is kept as written, and a quoted value
    holds no unescaped comment character."""
    body = line.strip()
    if not body or body[0] in "#;":
        return None
    if body.startswith("["):
        if line[0] != "[":
            return "a section heading that does not start the line"
        name, rest = _unescape_until(line.rstrip()[1:], "]#;")
        if not rest.startswith("]") or not name:
            return "a section heading without its closing ]"
        if not _is_comment_or_blank(rest[1:]):
            return "text after a section heading"
        return _Line(number, name, None)
    name, rest = _unescape_until(body, "=[#;")
    if not rest.startswith("=") or not name.strip():
        return "neither a section heading, an option (name = value) nor a comment"
    raw = rest[1:].lstrip(" \t")
    if raw[:1] in ("'", '"'):
        value, after = _unescape_until(raw[1:], raw[0] + "#;")
        if not after.startswith(raw[0]):
            return "a quoted value without its closing quote (or with an unescaped # or ;)"
        if not _is_comment_or_blank(after[1:]):
            return "text after a quoted value"
    else:
        value, _ = _unescape_until(raw, "#;")
    return _Line(number, None, name.strip(), value.strip())


def parse_ceph_ini(
    text: str, path: str, inventory: Inventory, line_offset: int = 0, owner: str = ""
) -> list[tuple[str, CephOption]]:
    """Every option as (section, option), in file order; malformed lines go to `errors`.
    Options belong in sections; Ceph accepts a lone option only in a file holding nothing
    else, and reads it as [global]. `owner` names the object the text sits in (a ConfigMap)
    and `line_offset` where it starts in the file."""
    prefix = f"{owner} " if owner else ""
    parsed_lines: list[_Line] = []
    for number, line in _logical_lines(text):
        parsed = _parse_line(number, line)
        if isinstance(parsed, str):
            at = number + line_offset
            inventory.record_error(path, f"line {at}: {parsed} (Ceph refuses this file)")
        elif parsed is not None:
            parsed_lines.append(parsed)
    lone = len(parsed_lines) == 1 and parsed_lines[0].name is not None
    section: str | None = GLOBAL if lone else None
    found: list[tuple[str, CephOption]] = []
    for parsed in parsed_lines:
        at = parsed.number + line_offset
        if parsed.section is not None:
            section = parsed.section
            found.append((section, _heading(section, path, at, prefix)))
        elif section is None:
            inventory.record_error(path, f"line {at}: an option before any [section]")
        else:
            assert parsed.name is not None
            name = normal_name(parsed.name)
            option = CephOption(
                name=name,
                written=parsed.name,
                value=parsed.value,
                section=section,
                location=Location(path=path, line=at, object=f"{prefix}[{section}] {name}"),
                templated=is_templated(parsed.value),
            )
            found.append((section, option))
    return found


def _heading(section: str, path: str, line: int, prefix: str) -> CephOption:
    """A marker for where a section starts (name ""), so that unset options can point there."""
    where = Location(path=path, line=line, object=f"{prefix}[{section}]")
    return CephOption("", "", "", section, where)


def ceph_conf(name: str, origin: Location, items: list[tuple[str, CephOption]]) -> CephConf:
    conf = CephConf(name=name, origin=origin)
    for section, option in items:
        if not option.name:
            conf.section_lines.setdefault(section, option.location.line or 0)
            conf.sections.setdefault(section, {})
            continue
        conf.add(option)
    conf.central = bool(conf.options()) and all(o.name in _BOOTSTRAP for o in conf.options())
    return conf


def looks_like_ceph_conf(text: str) -> bool:
    return bool(_CEPH_SECTION.search(text)) and bool(_CEPH_OPTION.search(text))


def _is_keyring(file: InputFile) -> bool:
    name = file.name
    if name.endswith(".keyring") or name == "keyring":
        return True
    text = file.text
    return bool(_KEYRING_KEY.search(text)) and "[" in text and not _CEPH_OPTION.search(text)


def keyring(path: str, items: list[tuple[str, CephOption]], mode: int | None) -> CephKeyring:
    by_name: dict[str, tuple[int, int | None, list[tuple[str, str, int]]]] = {}
    for section, option in items:
        line, _, caps = by_name.setdefault(section, (option.location.line or 0, None, []))
        if option.name == "key":
            by_name[section] = (line, option.location.line, caps)
        elif m := _KEYRING_CAPS.match(option.name):
            caps.append((m.group(1), option.value, option.location.line or 0))
    entities = tuple(
        KeyringEntity(name, line, key_line, tuple(caps))
        for name, (line, key_line, caps) in by_name.items()
    )
    return CephKeyring(path, entities, mode)


def _mode(file: InputFile) -> int | None:
    if file.root is None:
        return None
    try:
        return stat.S_IMODE(os.stat(file.path).st_mode)
    except OSError:
        return None


class CephConfSource:
    kind: ClassVar[str] = "ceph"
    priority: ClassVar[int] = SECTIONS

    def claims(self, file: InputFile) -> bool:
        if file.is_binary:
            return False
        name = file.name
        if name in ("ceph.conf", "keyring") or name.endswith(".keyring"):
            return True
        if not (name.endswith(".conf") or file.path == "<stdin>"):
            return False
        return looks_like_ceph_conf(file.text) or _is_keyring(file)

    def parse(self, file: InputFile, inventory: Inventory) -> None:
        items = parse_ceph_ini(file.text, file.path, inventory)
        if not items and file.text.strip() and not _only_comments(file.text):
            raise SourceError("no Ceph section or option could be read")
        if _is_keyring(file):
            inventory.add(keyring(file.path, items, _mode(file)))
            return
        conf = ceph_conf(file.path, Location(path=file.path), items)
        conf.key_files = list(_key_files(conf, file.path, file.root))
        inventory.add(conf)

    def link(self, inventory: Inventory) -> None:
        for cm in inventory.of(KubeConfigMap):
            for entry in cm.entries:
                if (
                    entry.embedded_in is None
                    and entry.key in _OVERRIDE_KEYS
                    and looks_like_ceph_conf(entry.value)
                ):
                    # A block scalar's text starts on the line after its key.
                    items = parse_ceph_ini(
                        entry.value, cm.ref.path, inventory, entry.line, cm.ref.label
                    )
                    conf = ceph_conf(cm.ref.label, cm.ref.at(entry.line), items)
                    conf.overlay = True
                    inventory.add(conf)
        keyrings = {os.path.realpath(k.path) for k in inventory.of(CephKeyring)}
        for conf in inventory.of(CephConf):
            kept = [f for f in conf.key_files if os.path.realpath(f.path) not in keyrings]
            if len(kept) != len(conf.key_files):
                conf.key_files = kept
                inventory.changed(conf)


def _only_comments(text: str) -> bool:
    return all(not ln.strip() or ln.strip()[0] in "#;" for ln in text.splitlines())


def frontend_key_paths(value: str) -> list[str]:
    """The private key (or, without one, the certificate that then holds it) an
    rgw_frontends line names."""
    params = dict(p.split("=", 1) for p in value.split() if "=" in p)
    key = params.get("ssl_private_key") or params.get("ssl_certificate")
    return [key] if key else []


def _key_files(conf: CephConf, path: str, root: str | None) -> Iterator[KeyFile]:
    if root is None:
        return
    real_root = os.path.realpath(root)
    directory = os.path.dirname(path) or "."
    for option in conf.options():
        if option.templated:
            continue
        if option.name in _KEY_FILE_OPTIONS:
            written = [p.strip() for p in option.value.split(",") if p.strip()]
        elif option.name == "rgw_frontends":
            written = frontend_key_paths(option.value)
        else:
            continue
        for target in written:
            found = find_in_tree(target.removeprefix("config://"), directory, real_root)
            if found is not None:
                yield KeyFile(option.name, found[0], found[1], option.location)


SOURCE = CephConfSource()
