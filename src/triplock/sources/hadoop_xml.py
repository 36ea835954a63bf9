"""Hadoop configuration XML: `*-site.xml`, `kms-acls.xml`, `ssl-server.xml`, `ssl-client.xml`
and a daemon's `/conf` output saved to a file.

Parsing is hardened: a DOCTYPE, an entity or an external reference stops the parse with an
error naming the file (no billion laughs, no XXE). `xi:include` is followed only to files inside
the audited tree. After every input is read, `link()` forms one HadoopConf per directory (plus
one per /conf dump and one per Spark application with spark.hadoop.* settings) and records the
mode of each keytab the configuration names that lies inside the tree.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import xml.sax
from dataclasses import dataclass, field
from typing import ClassVar
from xml.sax.handler import ContentHandler
from xml.sax.xmlreader import AttributesImpl, Locator

from triplock.facts.hadoop import HadoopConf, HadoopProperty, HadoopScope, KeytabRef, Role
from triplock.facts.spark import SparkApp
from triplock.inventory import Inventory
from triplock.model import Location
from triplock.redact import show
from triplock.safe_read import ReadError, read_capped
from triplock.sources._tree import find_in_tree
from triplock.sources.interface import InputFile, SourceError

_ROLES = {r.value: r for r in Role if r is not Role.OTHER}
# The order in which one directory's files are layered (later files override non-final keys).
_ORDER = (Role.CORE, Role.HDFS, Role.KMS, Role.SSL_SERVER, Role.SSL_CLIENT, Role.KMS_ACLS)
_ROOT_ELEMENT = re.compile(rb"<configuration[\s>/]")
_MAX_INCLUDE_DEPTH = 8
_MAX_INCLUDE_BYTES = 10 * 1024 * 1024
_KEYTAB_KEY = re.compile(r"keytab(\.file)?$")
SPARK_HADOOP_PREFIX = "spark.hadoop."


@dataclass
class _Include:
    href: str
    line: int
    fallback: list[HadoopProperty | _Include] = field(default_factory=list)
    has_fallback: bool = False


@dataclass
class HadoopXmlFile:
    """One parsed configuration file (with its includes expanded); link() folds these into
    HadoopConf facts and removes them."""

    path: str
    role: Role
    properties: list[HadoopProperty]
    served: bool
    root: str | None
    included: set[str] = field(default_factory=set)
    modes: dict[str, int] = field(default_factory=dict)


class _Handler(ContentHandler):
    """Collects <property> elements as Hadoop's Configuration.Parser reads them."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self.locator: Locator | None = None
        self.items: list[HadoopProperty | _Include] = []
        self._targets: list[list[HadoopProperty | _Include]] = [self.items]
        self._includes: list[_Include] = []
        self.root: str | None = None
        self.served = False
        self._prop: dict[str, str] | None = None
        self._prop_line = 0
        self._value_line = 0
        self._field: str | None = None
        self._text: list[str] = []

    def setDocumentLocator(self, locator: Locator) -> None:
        self.locator = locator

    def _line(self) -> int:
        line = self.locator.getLineNumber() if self.locator else None
        return line or 0

    def startElement(self, name: str, attrs: AttributesImpl) -> None:
        local = name.rpartition(":")[2]
        if self.root is None:
            self.root = local
            return
        if local == "include":
            include = _Include(attrs.get("href", ""), self._line())
            self._targets[-1].append(include)
            self._includes.append(include)
        elif local == "fallback" and self._includes:
            self._includes[-1].has_fallback = True
            self._targets.append(self._includes[-1].fallback)
        elif local == "property":
            self._prop = {k: attrs[k] for k in ("name", "value", "final") if k in attrs}
            self._prop_line = self._line()
            self._value_line = 0
        elif self._prop is not None and local in ("name", "value", "final", "source"):
            self._field = local
            self._text = []
            if local == "value":
                self._value_line = self._line()

    def characters(self, content: str) -> None:
        if self._field is not None:
            self._text.append(content)

    def endElement(self, name: str) -> None:
        local = name.rpartition(":")[2]
        if local == "include" and self._includes:
            self._includes.pop()
        elif local == "fallback" and len(self._targets) > 1:
            self._targets.pop()
        elif local == "property" and self._prop is not None:
            self._end_property(self._prop)
            self._prop = None
        elif self._field == local and self._prop is not None:
            token = "".join(self._text)
            if local == "source":
                self.served = True
            elif token:  # Hadoop ignores an empty element
                self._prop[local] = token.strip() if local == "name" else token
            self._field = None

    def _end_property(self, prop: dict[str, str]) -> None:
        name = prop.get("name")
        if not name:
            return
        line = self._value_line or self._prop_line
        self._targets[-1].append(
            HadoopProperty(
                name,
                prop.get("value"),
                Location(path=self.path, line=line, object=name),
                final=prop.get("final") == "true",
            )
        )


def _parse_items(data: bytes, path: str) -> _Handler:
    import defusedxml
    import defusedxml.sax

    handler = _Handler(path)
    try:
        defusedxml.sax.parseString(
            data, handler, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    # The messages leave out the DTD's names and system ids: they are attacker-chosen text.
    except defusedxml.DTDForbidden as e:
        raise SourceError("DOCTYPE not allowed (DTD processing is disabled)") from e
    except defusedxml.EntitiesForbidden as e:
        raise SourceError("entity declarations are not allowed") from e
    except defusedxml.ExternalReferenceForbidden as e:
        raise SourceError("external references are not allowed") from e
    except xml.sax.SAXParseException as e:
        raise SourceError(f"malformed XML at line {e.getLineNumber()}: {e.getMessage()}") from e
    except LookupError as e:  # <?xml encoding="..."?> names no codec Python has
        raise SourceError("the XML declaration names an unknown encoding") from e
    if handler.root != "configuration":
        raise SourceError(f"root element is <{handler.root}>, not <configuration>")
    return handler


class _Reader:
    """Reads one file and the includes it names, inside the audited tree only."""

    def __init__(self, root: str | None, inventory: Inventory) -> None:
        self.root = os.path.realpath(root) if root else None
        self.inventory = inventory
        self.included: set[str] = set()
        self.modes: dict[str, int] = {}

    def read(self, path: str, data: bytes, chain: tuple[str, ...]) -> list[HadoopProperty]:
        handler = _parse_items(data, path)
        out: list[HadoopProperty] = []
        self._expand(handler.items, path, chain, out)
        return out

    def _expand(
        self,
        items: list[HadoopProperty | _Include],
        path: str,
        chain: tuple[str, ...],
        out: list[HadoopProperty],
    ) -> None:
        for item in items:
            if isinstance(item, HadoopProperty):
                out.append(item)
                continue
            included = self._include(item, path, chain)
            if included is not None:
                out.extend(included)
            elif item.has_fallback:
                self._expand(item.fallback, path, chain, out)

    def _include(
        self, inc: _Include, path: str, chain: tuple[str, ...]
    ) -> list[HadoopProperty] | None:
        href = inc.href.removeprefix("file://") if inc.href.startswith("file://") else inc.href
        if not href or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", href):
            self._note(path, inc.line, f"xi:include of {inc.href!r} is not a local file")
            return None
        target = os.path.realpath(os.path.join(os.path.dirname(path), href))
        if self.root is None or os.path.commonpath([self.root, target]) != self.root:
            self._note(path, inc.line, f"xi:include of {href!r} is outside the audited tree")
            return None
        if target in chain or len(chain) >= _MAX_INCLUDE_DEPTH:
            raise SourceError(f"xi:include loop or nesting too deep at line {inc.line}")
        try:
            read = read_capped(target, _MAX_INCLUDE_BYTES)
        except ReadError as e:
            if inc.has_fallback:
                return None
            self._note(path, inc.line, f"xi:include of {href!r}: {e}, and no fallback")
            return None
        self.included.add(target)
        shown = os.path.join(os.path.dirname(path), href)
        self.modes[shown] = read.mode
        try:
            return self.read(shown, read.data, (*chain, target))
        except SourceError as e:
            raise SourceError(f"in xi:include {href!r}: {e}") from e

    def _note(self, path: str, line: int, reason: str) -> None:
        self.inventory.record_error(path, f"line {line}: {show(None, reason)}; not followed")


def role_of(name: str) -> Role:
    return _ROLES.get(name, Role.OTHER)


class HadoopXmlSource:
    kind: ClassVar[str] = "hadoop-xml"
    priority: ClassVar[int] = 30

    def claims(self, file: InputFile) -> bool:
        name = file.name
        if name in _ROLES or name.endswith("-site.xml"):
            return True
        if not name.endswith(".xml") or file.is_binary:
            return False
        head = file.data[:4096]
        return bool(_ROOT_ELEMENT.search(head)) and b"<property" in file.data[:65536]

    def parse(self, file: InputFile, inventory: Inventory) -> None:
        reader = _Reader(file.root, inventory)
        handler_props = reader.read(file.path, file.data, (os.path.realpath(file.path),))
        served = _is_served(file.data)
        if file.root is not None:  # a file on disk, not stdin
            with contextlib.suppress(OSError):
                reader.modes[file.path] = stat.S_IMODE(os.stat(file.path).st_mode)
        inventory.add(
            HadoopXmlFile(
                file.path,
                role_of(file.name),
                handler_props,
                served,
                file.root,
                reader.included,
                reader.modes,
            )
        )

    def link(self, inventory: Inventory) -> None:
        files = list(inventory.of(HadoopXmlFile))
        inventory.remove_all(files)
        included = set().union(*(f.included for f in files)) if files else set()
        by_dir: dict[str, list[HadoopXmlFile]] = {}
        for f in files:
            if os.path.realpath(f.path) in included:
                continue
            if f.served:
                inventory.add(_served_conf(f))
            else:
                by_dir.setdefault(os.path.dirname(f.path) or ".", []).append(f)
        for directory, group in sorted(by_dir.items()):
            inventory.add(_directory_conf(directory, group))
        for app in inventory.of(SparkApp):
            conf = spark_hadoop_conf(app)
            if conf is not None:
                inventory.add(conf)


def _is_served(data: bytes) -> bool:
    return b"<source>" in data


def _order(f: HadoopXmlFile) -> tuple[int, str]:
    rank = _ORDER.index(f.role) if f.role in _ORDER else len(_ORDER)
    return rank, os.path.basename(f.path)


def _directory_conf(directory: str, group: list[HadoopXmlFile]) -> HadoopConf:
    group = sorted(group, key=_order)
    conf = HadoopConf(
        name=directory,
        origin=Location(path=group[0].path),
        scope=HadoopScope.DIRECTORY,
        root=group[0].root,
    )
    for f in group:
        conf.roles.add(f.role)
        conf.files.append(f.path)
        conf.file_modes.update(f.modes)
        for prop in f.properties:
            conf.add(prop)
    conf.keytabs = _keytabs(conf, directory)
    return conf


def _served_conf(f: HadoopXmlFile) -> HadoopConf:
    conf = HadoopConf(
        name=f.path, origin=Location(path=f.path), scope=HadoopScope.SERVED, root=f.root
    )
    conf.files.append(f.path)
    conf.file_modes.update(f.modes)
    conf.roles.add(Role.CORE)
    for prop in f.properties:
        conf.add(prop)
    if conf.names("dfs."):
        conf.roles.add(Role.HDFS)
    if conf.names("hadoop.kms."):
        conf.roles.add(Role.KMS)
    return conf


def spark_hadoop_conf(app: SparkApp) -> HadoopConf | None:
    """The Hadoop settings of a Spark application (its spark.hadoop.* keys), or None."""
    pairs = [
        (key[len(SPARK_HADOOP_PREFIX) :], s)
        for key, s in app.settings.items()
        if key.startswith(SPARK_HADOOP_PREFIX) and len(key) > len(SPARK_HADOOP_PREFIX)
    ]
    if not pairs:
        return None
    return HadoopConf.from_settings(f"{app.name} (spark.hadoop.*)", app.origin, pairs)


def _keytabs(conf: HadoopConf, directory: str) -> list[KeytabRef]:
    """Keytabs named by the configuration that exist inside the audited tree, with modes."""
    if conf.root is None:
        return []
    root = os.path.realpath(conf.root)
    found: list[KeytabRef] = []
    for key in conf.names():
        if not _KEYTAB_KEY.search(key):
            continue
        written = conf.text(key)
        if not written:
            continue
        placed = find_in_tree(written.removeprefix("file://"), directory, root)
        if placed is not None:
            found.append(KeytabRef(key, placed[0], placed[1], conf.where(key)))
    return found


SOURCE = HadoopXmlSource()
