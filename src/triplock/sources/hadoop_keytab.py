"""Kerberos keytab files. They hold keys, so triplock never reads their content beyond the
format's magic; they are claimed so that a keytab in the audited tree is a known input, not an
error. The Hadoop source records the mode of each keytab a configuration names."""

from __future__ import annotations

from typing import ClassVar

from triplock.inventory import Inventory
from triplock.sources.interface import SIGNATURE, InputFile

# MIT keytab format versions 1 and 2 (the first byte is always 5).
_MAGIC = (b"\x05\x01", b"\x05\x02")


class KeytabSource:
    kind: ClassVar[str] = "kerberos-keytab"
    priority: ClassVar[int] = SIGNATURE

    def claims(self, file: InputFile) -> bool:
        return file.name.endswith(".keytab") or file.data.startswith(_MAGIC)

    def parse(self, file: InputFile, inventory: Inventory) -> None:
        pass

    def link(self, inventory: Inventory) -> None:
        pass


SOURCE = KeytabSource()
