"""Docker Compose files: each service's image, environment, env files, published ports,
volumes and secrets. The Hadoop/Spark settings the images make of their environment are built
by the env-file source's link() (sources/env_file.py), which sees every env file."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

from triplock.facts.compose import ComposeService, EnvEntry, PublishedPort
from triplock.facts.kube import YList, YMap, scalar_text
from triplock.inventory import Inventory, is_templated
from triplock.model import Location
from triplock.sources.interface import InputFile, SourceError
from triplock.sources.kube_load import load_documents

_COMPOSE_NAME = re.compile(r"^(?:docker-)?compose(?:[.-][\w.-]+)?\.ya?ml$")
_TOP_SERVICES = re.compile(r"^services\s*:", re.MULTILINE)
_TOP_KIND = re.compile(r"^(?:kind|apiVersion)\s*:", re.MULTILINE)
_PORT = re.compile(
    r"^(?:(?P<ip>\[[^\]]*\]|\d+\.[\d.]+):)?(?:(?P<published>[\d-]*):)?(?P<target>\d+)(?:-(?P<end>\d+))?"
    r"(?:/\w+)?$"
)
_MAX_RANGE = 1000


class ComposeSource:
    kind: ClassVar[str] = "compose"
    priority: ClassVar[int] = 24

    def claims(self, file: InputFile) -> bool:
        if file.is_binary or not file.name.lower().endswith((".yaml", ".yml")):
            return False
        if _COMPOSE_NAME.match(file.name.lower()):
            return True
        text = file.text
        return bool(_TOP_SERVICES.search(text)) and not _TOP_KIND.search(text)

    def parse(self, file: InputFile, inventory: Inventory) -> None:
        docs = list(load_documents(file.text))
        services = docs[0].map("services") if len(docs) == 1 else None
        if services is None:
            raise SourceError("no `services:` mapping (not a compose file)")
        for name, body in services.items():
            if isinstance(body, YMap):
                inventory.add(service(name, body, file.path))

    def link(self, inventory: Inventory) -> None:
        pass


def service(name: str, body: YMap, path: str) -> ComposeService:
    return ComposeService(
        name=name,
        path=path,
        line=body.line,
        image=body.text("image"),
        environment=tuple(_environment(body, path, name)),
        env_files=tuple(_env_files(body)),
        ports=tuple(p for item, line in _items(body, "ports") for p in _ports(item, line)),
        volumes=tuple((_volume(item), line) for item, line in _items(body, "volumes")),
        secrets=tuple(
            (item.text("source") or "") if isinstance(item, YMap) else scalar_text(item)
            for item, _ in _items(body, "secrets")
        ),
    )


def _items(body: YMap, key: str) -> Iterator[tuple[object, int]]:
    value = body.get(key)
    if isinstance(value, YList):
        yield from zip(value, value.lines, strict=True)
    elif value is not None and not isinstance(value, YMap):
        yield value, body.line_of(key)


def _environment(body: YMap, path: str, service_name: str) -> Iterator[EnvEntry]:
    env = body.get("environment")
    pairs: list[tuple[str, str | None, int]]
    if isinstance(env, YMap):
        pairs = [(k, None if v is None else scalar_text(v), env.line_of(k)) for k, v in env.items()]
    elif isinstance(env, YList):
        pairs = []
        for item, line in zip(env, env.lines, strict=True):
            name, eq, written = scalar_text(item).partition("=")
            pairs.append((name.strip(), written if eq else None, line))
    else:
        return
    for key, value, line in pairs:
        where = Location(path=path, line=line, object=f"service {service_name}")
        yield EnvEntry(key, value, where, value is not None and is_templated(value))


def _env_files(body: YMap) -> Iterator[tuple[str, int]]:
    for item, line in _items(body, "env_file"):
        written = item.text("path") if isinstance(item, YMap) else scalar_text(item)
        if written:
            yield written, line


def _ports(item: object, line: int) -> Iterator[PublishedPort]:
    if isinstance(item, YMap):
        written = item.text("target") or ""
        if written.isdigit():
            yield PublishedPort(int(written), item.text("published"), item.text("host_ip"), line)
        return
    m = _PORT.match(scalar_text(item).strip())
    if m is None:
        return
    start = int(m["target"])
    end = min(int(m["end"] or start), start + _MAX_RANGE)
    for target in range(start, end + 1):
        yield PublishedPort(target, m["published"] or None, m["ip"], line)


def _volume(item: object) -> str:
    if isinstance(item, YMap):
        return f"{item.text('source') or ''}:{item.text('target') or ''}"
    return scalar_text(item)


SOURCE = ComposeSource()
