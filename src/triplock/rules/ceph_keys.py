"""Ceph keys: cephx keys written in ceph.conf, key files readable by others, and keyring
entities with capabilities wider than their job (docs/ceph.md)."""

from __future__ import annotations

from collections.abc import Iterator

from triplock.facts.ceph import CephConf, CephKeyring, KeyringEntity
from triplock.model import Evidence, Fix, FixAction, Location, Severity
from triplock.rules._ceph import KEYRING_DOC, RGW_VAULT_DOC, full_grant
from triplock.rules.registry import Context, Outcome, fail, passed, rule

# Entities whose job is administration, bootstrapping daemons or running the gateway (which
# creates its own pools: cephadm and Rook give it `mon 'allow *'` / `osd 'allow rwx'`).
_FULL_ACCESS_ENTITIES = (
    "client.admin",
    "mon.",
    "client.bootstrap-",
    "client.rgw.",
    "client.radosgw.",
)


def key_evidence(section: str, value: str) -> Evidence:
    """A cephx key's evidence: named `<entity>.key` so the redaction masks it."""
    return Evidence.of(f"{section}.key", value)


@rule(
    id="CEPH-008",
    slug="ceph-literal-key",
    title="A cephx key is written in ceph.conf",
    control="keys.management",
    severity=Severity.HIGH,
    target=CephConf,
    rationale="The `key` option puts the secret itself into ceph.conf, a file every Ceph "
    "client and tool reads and that is usually world-readable (0644); anyone who reads it "
    "acts as that entity.",
    remediation="Move the key into a keyring (ceph auth get client.NAME -o "
    "/etc/ceph/ceph.client.NAME.keyring, mode 0600) and point `keyring` at it.",
    references=(KEYRING_DOC,),
)
def literal_key(conf: CephConf, ctx: Context) -> Iterator[Outcome]:
    found = False
    for option in conf.options():
        if option.name != "key" or not option.value:
            continue
        found = True
        yield fail(
            f"[{option.section}] holds a literal cephx key",
            option.location,
            key_evidence(option.section, option.value),
            fix=Fix(FixAction.UNSET, "key", None, option.location.path),
        )
    if not found and conf.options():
        yield passed("no cephx key is written in the file", Location(path=conf.origin.path))


def _mode_outcome(what: str, path: str, mode: int, where: Location) -> Outcome:
    if mode & 0o077:
        return fail(
            f"{what} {path} is mode {mode:04o}: readable by "
            + ("everyone" if mode & 0o004 else "its group" if mode & 0o040 else "others"),
            where,
            fix=Fix(FixAction.CHMOD, path, "0600", path),
            severity=Severity.HIGH if mode & 0o004 else None,
        )
    return passed(f"{what} {path} is mode {mode:04o}", where)


@rule(
    id="CEPH-009",
    slug="ceph-key-file-readable",
    title="A Ceph keyring, key file or KMS credential file is readable by others",
    control="keys.management",
    severity=Severity.MEDIUM,
    target=CephConf,
    rationale="Keyrings and key files hold cephx secrets; rgw_crypt_vault_token_file and the "
    "RGW's TLS and KMIP private keys unlock every encrypted object. Ceph creates them 0600; "
    "a group- or world-readable copy lets local users act as the entity.",
    remediation="chmod 0600 the file (owned by the ceph user).",
    references=(KEYRING_DOC, RGW_VAULT_DOC),
)
def key_file_mode(conf: CephConf, ctx: Context) -> Iterator[Outcome]:
    for f in conf.key_files:
        yield _mode_outcome(f"{f.option} file", f.path, f.mode, f.location)


@rule(
    id="CEPH-012",
    slug="ceph-keyring-readable",
    title="A Ceph keyring file is readable by others",
    control="keys.management",
    severity=Severity.MEDIUM,
    target=CephKeyring,
    rationale="A keyring holds the cephx secret of each entity in it; Ceph writes keyrings "
    "0600. A group- or world-readable keyring lets local users act as those entities.",
    remediation="chmod 0600 the keyring (owned by the ceph user).",
    references=(KEYRING_DOC,),
)
def keyring_mode(keyring: CephKeyring, ctx: Context) -> Iterator[Outcome]:
    if keyring.mode is not None and any(e.key_line for e in keyring.entities):
        yield _mode_outcome("keyring", keyring.path, keyring.mode, Location(path=keyring.path))


def _wide(entity: KeyringEntity) -> list[tuple[str, str, int]]:
    return [(daemon, grant, line) for daemon, grant, line in entity.caps if full_grant(grant)]


def full_access_expected(entity: str) -> bool:
    return entity.startswith(_FULL_ACCESS_ENTITIES) or entity.split(".")[0] in (
        "mon",
        "mgr",
        "osd",
        "mds",
    )


@rule(
    id="CEPH-010",
    slug="ceph-caps-too-wide",
    title="A Ceph client key is allowed everything",
    control="rest.storage",
    severity=Severity.MEDIUM,
    target=CephKeyring,
    rationale="`allow *` (or `allow rwx` on every pool) makes a client key an administrator "
    "of the monitors, OSDs or MDS: an application that only needs one pool can read, "
    "change and delete all data and keys if its key leaks.",
    remediation="Give application clients profiles limited to their pools, e.g. "
    "`mon 'profile rbd' osd 'profile rbd pool=volumes'` (ceph auth caps).",
    references=(KEYRING_DOC,),
)
def caps_too_wide(keyring: CephKeyring, ctx: Context) -> Iterator[Outcome]:
    for entity in keyring.entities:
        if not entity.caps or full_access_expected(entity.name):
            continue
        wide = _wide(entity)
        for daemon, grant, line in wide:
            yield fail(
                f"{entity.name} has caps {daemon} = {grant.strip()!r}: full access",
                Location(path=keyring.path, line=line, object=f"[{entity.name}] caps {daemon}"),
            )
        if not wide:
            yield passed(
                f"{entity.name} has limited caps",
                Location(path=keyring.path, line=entity.line, object=f"[{entity.name}]"),
            )
