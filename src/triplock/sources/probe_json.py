"""Collected `triplock probe --format json` output: one report, a JSON array of reports, or JSON
Lines (one report per line, as `kubectl logs` of the probe DaemonSet prints them)."""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar

from triplock.facts.tee import HostTee
from triplock.inventory import Inventory
from triplock.model import Location
from triplock.probe.report import KIND
from triplock.sources.interface import InputFile, SourceError
from triplock.sources.json_input import list_field, loads

_SUFFIXES = (".json", ".jsonl", ".ndjson", ".log", ".txt")
_JSON_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')


class ProbeJsonSource:
    kind: ClassVar[str] = "probe-json"
    priority: ClassVar[int] = 10

    def claims(self, file: InputFile) -> bool:
        if not file.name.endswith(_SUFFIXES) or file.is_binary:
            return False
        return f'"{KIND}"' in file.text[:4096]

    def parse(self, file: InputFile, inventory: Inventory) -> None:
        reports = list(_documents(file.text))
        lines = _HostnameLines(file.text)
        hosts = 0
        for line, report in reports:
            if not isinstance(report, dict) or report.get("kind") != KIND:
                raise SourceError(f"line {line}: not a {KIND} report")
            for host in list_field(report, "hosts", f"line {line}: "):
                inventory.add(_host(host, file.path, line, lines))
                hosts += 1
        if not hosts:
            raise SourceError("the probe report lists no host")

    def link(self, inventory: Inventory) -> None:
        pass


SOURCE = ProbeJsonSource()


# The fields of a host entry that hold lists (HostTee.from_dict iterates them).
_LISTS = ("cpu_flags", "devices", "executors")


def _documents(text: str) -> list[tuple[int, Any]]:
    try:
        whole = loads(text)
    except json.JSONDecodeError:
        pass
    else:
        return [(1, d) for d in whole] if isinstance(whole, list) else [(1, whole)]
    docs: list[tuple[int, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            docs.append((number, loads(line)))
        except json.JSONDecodeError as e:
            raise SourceError(f"line {number}: not JSON ({e.msg})") from e
    return docs


class _HostnameLines:
    """The first line naming each JSON string on a line that holds "hostname", indexed once
    (searching the text again for every host was quadratic in the number of hosts)."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._lines: dict[str, int] | None = None

    def of(self, name: str) -> int:
        if self._lines is None:
            self._lines = {}
            for number, line in enumerate(self._text.splitlines(), start=1):
                if "hostname" in line:
                    for token in _JSON_STRING.findall(line):
                        self._lines.setdefault(token, number)
        return self._lines.get(json.dumps(name), 1)


def _host(data: Any, path: str, line: int, lines: _HostnameLines) -> HostTee:
    if not isinstance(data, dict) or not isinstance(data.get("hostname"), str):
        raise SourceError(f"line {line}: a host entry without a hostname")
    name = data["hostname"]
    for key in _LISTS:
        list_field(data, key, f"line {line}: host {name}: ")
    if line == 1:  # one multi-line document: point at the host's own line
        line = lines.of(name)
    return HostTee.from_dict(data, Location(path=path, line=line, object=f"host {name}"))
