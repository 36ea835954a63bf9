"""Facts about kubeconfig files (`kind: Config`): the credentials they carry and the clusters
they trust."""

from __future__ import annotations

from dataclasses import dataclass

from triplock.model import Location


@dataclass(frozen=True, slots=True)
class KubeconfigCredential:
    """One credential written in a kubeconfig user: `client-key-data`, `token`, `password`."""

    field: str
    value: str
    line: int


@dataclass(frozen=True, slots=True)
class KubeconfigUser:
    name: str
    line: int
    credentials: tuple[KubeconfigCredential, ...]
    # The identity the client certificate names: its CN (a User) and O values (Groups).
    cert_user: str | None = None
    cert_groups: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class KubeconfigCluster:
    name: str
    server: str | None
    line: int
    insecure_line: int | None  # where insecure-skip-tls-verify: true is written


@dataclass(frozen=True, slots=True)
class Kubeconfig:
    path: str
    users: tuple[KubeconfigUser, ...]
    clusters: tuple[KubeconfigCluster, ...]

    def at(self, line: int | None = None, what: str | None = None) -> Location:
        return Location(path=self.path, line=line, object=what)
