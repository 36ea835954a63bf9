"""Facts about Docker Compose deployments and the env files their images read."""

from __future__ import annotations

from dataclasses import dataclass

from triplock.model import Location


@dataclass(frozen=True, slots=True)
class EnvEntry:
    """One environment variable as written (an env file line or a compose `environment:`
    item). `value` is None for a bare name, which takes its value from the host."""

    name: str
    value: str | None
    location: Location
    templated: bool = False


@dataclass(frozen=True, slots=True)
class EnvFile:
    """A `KEY=VALUE` file (`hadoop.env`, `.env`, `spark.env`) as docker and compose read it."""

    path: str
    entries: tuple[EnvEntry, ...]


@dataclass(frozen=True, slots=True)
class PublishedPort:
    """A container port a service publishes on the host. `host_ip` None: every interface."""

    target: int
    published: str | None
    host_ip: str | None
    line: int


@dataclass(frozen=True, slots=True)
class ComposeService:
    name: str
    path: str
    line: int
    image: str | None
    environment: tuple[EnvEntry, ...]
    env_files: tuple[tuple[str, int], ...]  # as written, with the line naming each
    ports: tuple[PublishedPort, ...]
    volumes: tuple[tuple[str, int], ...]  # short or long syntax rendered as SOURCE:TARGET
    secrets: tuple[str, ...]  # compose secrets the service mounts

    def at(self, line: int | None = None) -> Location:
        return Location(path=self.path, line=line or self.line, object=f"service {self.name}")
