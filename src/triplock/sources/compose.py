"""Docker Compose files: each service's image, environment, env files, published ports,
volumes and secrets. The Hadoop/Spark settings the images make of their environment are built
by the env-file source's link() (sources/env_file.py), which sees every env file."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from typing import ClassVar

from triplock.facts.compose import ComposeService, EnvEntry, PublishedPort
from triplock.facts.kube import YList, YMap, scalar_text
from triplock.facts.shell import ShellCommand
from triplock.facts.spark import SparkApp
from triplock.inventory import Inventory, is_templated
from triplock.model import Location
from triplock.sources.embedded_shell import read_embedded, shell_c_script
from triplock.sources.interface import TOOL_KEYS, InputFile, SourceError
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
    priority: ClassVar[int] = TOOL_KEYS

    def claims(self, file: InputFile) -> bool:
        if file.is_binary or not file.name.lower().endswith((".yaml", ".yml")):
            return False
        if _COMPOSE_NAME.match(file.name.lower()):
            return True
        text = file.text
        # `in` first: a multi-line regex tries every position of every YAML file offered.
        return (
            "services" in text and bool(_TOP_SERVICES.search(text)) and not _TOP_KIND.search(text)
        )

    def parse(self, file: InputFile, inventory: Inventory) -> None:
        docs = list(load_documents(file.text))
        services = docs[0].map("services") if len(docs) == 1 else None
        if services is None:
            raise SourceError("no `services:` mapping (not a compose file)")
        lines = file.text.split("\n")
        for name, body in services.items():
            if isinstance(body, YMap):
                inventory.add(service(name, body, file.path))
                for fact in _command_shell(name, body, file.path, lines):
                    inventory.add(fact)

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


def _command_shell(
    name: str, body: YMap, path: str, lines: list[str]
) -> list[ShellCommand | SparkApp]:
    """The shell a service's `command:`/`entrypoint:` runs (`sh -c SCRIPT`, or a string
    command line), read by the shell source on the compose file's lines."""
    argv = [*_argv(body, "entrypoint", lines), *_argv(body, "command", lines)]
    if not argv:
        return []
    script = shell_c_script([text for text, _ in argv])
    text, line = argv[script] if script is not None else argv[0]
    if script is None and len(argv) > 1:
        return []  # an exec-form command without a shell: no script to read
    commands, apps = read_embedded(text, path, line, f"service {name}")
    return [*commands, *apps]


def _argv(body: YMap, key: str, lines: list[str]) -> list[tuple[str, int]]:
    """A `command:`/`entrypoint:` as (word, line): a list item by item; a string as written
    (compose splits it as a shell would), its text starting below a block-scalar indicator."""
    value = body.get(key)
    if isinstance(value, YList):
        return [(scalar_text(v), line) for v, line in zip(value, value.lines, strict=True)]
    if value is None or isinstance(value, YMap):
        return []
    line = body.line_of(key)
    written = lines[line - 1].rstrip() if line <= len(lines) else ""
    block = written.endswith(("|", ">", "|-", ">-", "|+", ">+"))
    text = scalar_text(value)
    try:
        words = shlex.split(text)
    except ValueError:
        return [(text, line + block)]
    if shell_c_script(words) is not None:
        return [(w, line + block) for w in words]
    return [(text, line + block)]


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
