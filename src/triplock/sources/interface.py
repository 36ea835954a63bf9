"""What a source is: it claims inputs of one kind and turns them into facts, never judging."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar, Protocol

from triplock.inventory import Inventory


class NotText(Exception):
    """The input is not valid UTF-8 text."""


@dataclass(frozen=True)
class InputFile:
    """One input: a file's bytes (or stdin's), with the path reports name it by.

    `root` is the directory the user named, so that sources can resolve references
    (a --properties-file, an xi:include, a keystore path) inside the audited tree only.
    """

    path: str
    data: bytes
    root: str | None = None

    @cached_property  # several sources look at the text of one input: decode it once
    def text(self) -> str:
        try:
            return self.data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise NotText(f"not UTF-8 text (invalid byte at offset {e.start})") from e

    @cached_property  # every source's claims() asks
    def name(self) -> str:
        return self.path.replace("\\", "/").rsplit("/", 1)[-1]

    @cached_property  # every source's claims() asks
    def is_binary(self) -> bool:
        return b"\x00" in self.data[:8192]


class SourceError(Exception):
    """An input a source claimed but cannot read; the message says why, for `errors`."""


# Claim order. Discovery offers each input to the sources by `priority`, lowest first (then by
# kind), and the first whose claims() is true takes it. A source takes the band that says how
# sure its claim is; docs/architecture.md has the table.
SIGNATURE = 10  # a magic number or a marker nothing else holds: keytab header, probe report kind
OWN_KEYS = 15  # a product's own keys in a suffix other readers also take (.toml, .json): enclaves
PROPERTIES = 20  # key/value files claimed by the keys they hold: Spark configuration
LAYOUT = 23  # a file its place in a tool's layout names: a chart's values.yaml by Chart.yaml
TOOL_KEYS = 24  # YAML of a tool by its top-level keys: compose `services:`, kubeconfig
SECTIONS = 25  # INI files claimed by their sections and options, after a Spark .conf: Ceph
ENV_NAME = 26  # KEY=VALUE files claimed by their name alone (.env, *.env)
DOCUMENT = 30  # XML and YAML documents claimed by their structure: Hadoop XML, Kubernetes
BUILD = 35  # build files by name (Dockerfile, requirements): before a script would take them
SCRIPT = 40  # shell scripts and bare command lines: loose, so after every configuration format
LAST_RESORT = 90  # what may sit inside any other text (PEM blocks) or has only a suffix (DER)


class Source(Protocol):
    """A parser for one kind of input. `priority`: its claim band (above), lower claims first."""

    kind: ClassVar[str]
    priority: ClassVar[int]

    def claims(self, file: InputFile) -> bool:
        """Whether this input is of this source's kind, judged by name and content."""
        ...

    def parse(self, file: InputFile, inventory: Inventory) -> None:
        """Add this input's facts to the inventory; raise SourceError (or NotText) if unreadable."""
        ...

    def link(self, inventory: Inventory) -> None:
        """After every input is parsed: connect facts across inputs (e.g. a submit command to
        the properties file it loads). Most sources do nothing here. A fact changed in place
        is declared with `inventory.changed(fact)` (a worker judged it before linking)."""
        ...
