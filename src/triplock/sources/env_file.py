"""Env files (`hadoop.env`, `spark.env`, `.env`, `*.env`): `KEY=VALUE` lines as docker and
compose read them. After every input is read, `link()` turns the Hadoop and Spark variables of
the common images into the configurations those containers run with: one per compose service
(its env files layered under its `environment:`), one per env file no service loads."""

from __future__ import annotations

import os
import re
from typing import ClassVar

from triplock.facts.compose import ComposeService, EnvEntry, EnvFile
from triplock.inventory import Inventory, is_templated
from triplock.model import Location
from triplock.sources.image_env import bitnami_spark, hadoop_conf, hadoop_key
from triplock.sources.interface import InputFile, SourceError

_ENV_NAME = re.compile(r"^(?:\.env(?:\.[\w.-]+)?|[\w.-]+\.env)$")
_LINE = re.compile(r"^\s*(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_.-]*)\s*=(?P<value>.*)$")
_BARE = re.compile(r"^\s*[A-Za-z_][A-Za-z0-9_]*\s*$")


class EnvFileSource:
    kind: ClassVar[str] = "env-file"
    priority: ClassVar[int] = 26

    def claims(self, file: InputFile) -> bool:
        return not file.is_binary and bool(_ENV_NAME.match(file.name))

    def parse(self, file: InputFile, inventory: Inventory) -> None:
        inventory.add(EnvFile(file.path, tuple(read_env(file.text, file.path))))

    def link(self, inventory: Inventory) -> None:
        files = {os.path.normpath(f.path): f for f in inventory.of(EnvFile)}
        loaded: set[str] = set()
        hadoop: dict[tuple[object, ...], tuple[list[str], Location, list[EnvEntry]]] = {}
        for service in inventory.of(ComposeService):
            entries: list[EnvEntry] = []
            for written, _ in service.env_files:
                path = os.path.normpath(os.path.join(os.path.dirname(service.path), written))
                if path in files:
                    loaded.add(path)
                    entries.extend(files[path].entries)
            entries.extend(service.environment)
            # Services started from the same Hadoop settings run one configuration: judge it once.
            signature = tuple((e.name, e.value, e.location) for e in entries if hadoop_key(e.name))
            if signature:
                names, _, _ = hadoop.setdefault(signature, ([], service.at(), entries))
                names.append(service.name)
            _add_spark(f"service {service.name}", service.at(), entries, inventory, service.image)
        for names, origin, entries in hadoop.values():
            _add_hadoop(f"services {', '.join(names)} ({origin.path})", origin, entries, inventory)
        for key, f in files.items():
            if key not in loaded:
                origin = Location(path=f.path)
                _add_hadoop(f.path, origin, list(f.entries), inventory)
                _add_spark(f.path, origin, list(f.entries), inventory, None)


def _add_hadoop(name: str, origin: Location, entries: list[EnvEntry], inventory: Inventory) -> None:
    conf = hadoop_conf(name, origin, entries)
    if conf is not None:
        inventory.add(conf)


def _add_spark(
    name: str, origin: Location, entries: list[EnvEntry], inventory: Inventory, image: str | None
) -> None:
    app = bitnami_spark(name, origin, entries, image)
    if app is not None:
        inventory.add(app)


def read_env(text: str, path: str) -> list[EnvEntry]:
    """The variables of an env file; a line that is neither a comment nor KEY=VALUE is an
    error naming its line (never its text, which may hold a secret)."""
    out: list[EnvEntry] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _LINE.match(line)
        if m is None:
            if _BARE.match(line):
                continue  # a bare name passes the host's value through
            raise SourceError(f"line {number}: not KEY=VALUE")
        value = _unquote(m["value"].strip())
        out.append(
            EnvEntry(
                m["key"],
                value,
                Location(path=path, line=number, object=m["key"]),
                is_templated(value),
            )
        )
    return out


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value.split(" #", 1)[0].rstrip()


SOURCE = EnvFileSource()
