"""What a provider is: material a fix needs that is not in the deployment's files (a secret, a
keystore, an encryption configuration). A provider takes the failures of its rules, generates
what they need and returns it as files to create (secrets only under `--secrets-dir`, written
0600 by the run, never over an existing file: a provider reuses what is already there) with the
edits that put the material to use in the audited files. A provider writes nothing itself, so
that a dry run shows what would be generated where."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from triplock.fix.interface import Edit
from triplock.model import AuditResult, Finding


@dataclass(frozen=True, slots=True)
class MaterialOptions:
    secrets_dir: str | None = None  # where generated secrets go; None: generate none
    ca_cert: str | None = None  # --ca: the CA that signs generated certificates
    ca_key: str | None = None
    kms_plugin: str | None = None  # a KMS v2 plugin endpoint for the API server (unix://...)


NEEDS_SECRETS_DIR = "needs --secrets-dir (where generated secrets go)"


@dataclass(frozen=True, slots=True)
class Generated:
    """A file a provider generates; `what` says what it holds, never the value."""

    path: str
    what: str


@dataclass
class Provided:
    edits: dict[str, list[Edit]] = field(default_factory=dict)  # audited path -> its edits
    # new file -> its content: under secrets_dir (written 0600) or inside the audited tree
    created: dict[str, str | bytes] = field(default_factory=dict)
    generated: list[Generated] = field(default_factory=list)
    left: list[tuple[Finding, str]] = field(default_factory=list)  # not provided, with why


class Provider(Protocol):
    """Answers the failures of the rules in `rules` (each module exposes PROVIDER)."""

    rules: ClassVar[frozenset[str]]

    def provide(
        self, failures: list[Finding], result: AuditResult, options: MaterialOptions
    ) -> Provided:
        """The edits and files that close `failures`; raise nothing for bad material, leave
        the finding with why instead. Running twice with the same files changes nothing."""
        ...
