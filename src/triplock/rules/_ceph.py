"""Shared by the Ceph rules: where an option takes effect, and outcomes that say so."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from triplock.booleans import Dialect, parse_bool
from triplock.facts.ceph import DAEMON_TYPES, DEFAULTS, GLOBAL, CephConf, CephOption
from triplock.model import Evidence, Fix, FixAction, Location
from triplock.rules.registry import Outcome, fail, passed, unknown

CEPH_DOCS = "https://docs.ceph.com/en/squid"
AUTH_DOC = f"{CEPH_DOCS}/rados/configuration/auth-config-ref/"
MSGR2_DOC = f"{CEPH_DOCS}/rados/configuration/msgr2/"
NETWORK_DOC = f"{CEPH_DOCS}/rados/configuration/network-config-ref/"
RGW_ENCRYPTION_DOC = f"{CEPH_DOCS}/radosgw/encryption/"
RGW_VAULT_DOC = f"{CEPH_DOCS}/radosgw/vault/"
RGW_KMIP_DOC = f"{CEPH_DOCS}/radosgw/kmip/"
RGW_FRONTENDS_DOC = f"{CEPH_DOCS}/radosgw/frontends/"
RGW_CONFIG_DOC = f"{CEPH_DOCS}/radosgw/config-ref/"
KEYRING_DOC = f"{CEPH_DOCS}/rados/operations/user-management/"
GLOBAL_ID_DOC = "https://docs.ceph.com/en/latest/security/CVE-2021-20288/"
CONFIG_DOC = f"{CEPH_DOCS}/rados/configuration/ceph-conf/"


@dataclass(frozen=True, slots=True)
class Seen:
    """The value of an option in one section, or its default where no section sets it."""

    name: str
    section: str
    value: str | None
    option: CephOption | None  # None: the default applies

    @property
    def text(self) -> str:
        return (self.value or "").strip()

    @property
    def words(self) -> list[str]:
        return [w for w in self.text.replace(",", " ").replace(";", " ").split() if w]


def seen(
    conf: CephConf,
    name: str,
    types: tuple[str, ...] = DAEMON_TYPES,
    default: str | None = None,
) -> Iterator[Seen]:
    """Every section that sets `name`, and the default where it still applies: when [global]
    leaves the option unset and not every daemon type in `types` sets it. The default is
    Ceph's (DEFAULTS) unless given."""
    default = DEFAULTS.get(name) if default is None else default
    sections = conf.setting_sections(name)
    for section in sections:
        yield Seen(name, section, conf.sections[section][name].value, conf.sections[section][name])
    if not conf.overlay and GLOBAL not in sections and not all(t in sections for t in types):
        yield Seen(name, GLOBAL, default, None)


def location(conf: CephConf, s: Seen) -> Location:
    if s.option is not None:
        return s.option.location
    where = conf.at(s.section)
    return Location(path=where.path, line=where.line, object=f"[{s.section}] {s.name}")


def evidence(s: Seen) -> tuple[Evidence, ...]:
    return () if s.value is None else (Evidence.of(s.name, s.value),)


def stated(s: Seen) -> str:
    if s.option is None:
        return f"unset (default {s.value!r})" if s.value is not None else "unset"
    return f"{s.value!r} in [{s.section}]"


def set_fix(conf: CephConf, s: Seen, value: str) -> Fix:
    return Fix(FixAction.SET, s.name, value, location(conf, s).path)


def undecidable(conf: CephConf, s: Seen) -> Outcome | None:
    """`unknown` when the value cannot be known: templated, or left to the monitors'
    configuration database."""
    if s.option is not None and s.option.templated:
        return unknown(f"{s.name} is templated; its value is unknown", location(conf, s))
    if s.option is None and conf.central:
        return unknown(
            f"{s.name} is not in this bootstrap ceph.conf: its value lives in the monitors' "
            f"configuration database (ceph config get mon {s.name})",
            location(conf, s),
        )
    return None


def judge(
    conf: CephConf,
    name: str,
    good: Callable[[Seen], bool],
    safe_value: str,
    bad: str,
    ok: str,
    types: tuple[str, ...] = DAEMON_TYPES,
    default: str | None = None,
) -> Iterator[Outcome]:
    """One outcome per place the option takes effect: pass when `good`, else fail with `bad`
    (the message after the option's stated value)."""
    for s in seen(conf, name, types, default):
        open_question = undecidable(conf, s)
        if open_question is not None:
            yield open_question
        elif safe_value in ("true", "false") and _not_a_boolean(s):
            yield unknown(
                f"{name} is {stated(s)}: not a boolean Ceph reads (it refuses the value)",
                location(conf, s),
                *evidence(s),
            )
        elif good(s):
            yield passed(f"{name} {ok} ({stated(s)})", location(conf, s), *evidence(s))
        else:
            yield fail(
                f"{name} is {stated(s)}: {bad}",
                location(conf, s),
                *evidence(s),
                fix=set_fix(conf, s, safe_value),
            )


def _not_a_boolean(s: Seen) -> bool:
    return s.option is not None and parse_bool(s.text, Dialect.CEPH) is None


def is_true(s: Seen) -> bool:
    return parse_bool(s.text, Dialect.CEPH) is True


def is_false(s: Seen) -> bool:
    return parse_bool(s.text, Dialect.CEPH) is False


def effective(conf: CephConf, name: str, entity: str) -> Seen:
    """What `entity` (e.g. client.rgw.gw1) reads for `name`: its section, its type, [global],
    else Ceph's default."""
    option = conf.lookup(name, entity)
    if option is None:
        section = entity if entity in conf.sections else GLOBAL
        return Seen(name, section, DEFAULTS.get(name), None)
    return Seen(name, option.section, option.value, option)


def full_grant(grant: str) -> bool:
    """A capability that grants everything: `*`, `allow *`, `allow rwx` (no pool named)."""
    words = grant.strip().strip("\"'").split()
    return words in (["*"], ["allow", "*"], ["allow", "rwx"], ["allow", "all"])
