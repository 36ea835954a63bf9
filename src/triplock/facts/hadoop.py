"""Facts about Hadoop configuration: properties with provenance and `final` flags, and the
effective configuration they form.

A `HadoopConf` is what one Hadoop process would read: the `*-site.xml`, `kms-acls.xml` and
`ssl-*.xml` files of one directory (on top of Hadoop's defaults), one daemon's `/conf` dump, or
the `spark.hadoop.*` settings of one Spark application. `get()` answers with Hadoop's own
`Configuration.get()` semantics: final parameters win over later files, `${var}` expands from
system properties, then other properties (Hadoop checks system properties first), and an
unresolved variable leaves the value templated.

For other sources (for instance the `hadoopConf` map of a SparkApplication), build one with
`HadoopConf.from_settings()` and add it to the inventory; the rules of rules/hadoop.py, kms.py
and storage.py then judge it:

    conf = HadoopConf.from_settings(
        name="spark-pi (SparkApplication)",
        origin=Location(path="app.yaml", line=3, object="SparkApplication/spark-pi"),
        settings=[("fs.s3a.secret.key", setting), ...],  # Hadoop keys, no spark.hadoop. prefix
    )
    inventory.add(conf)
"""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from triplock.inventory import Setting
from triplock.model import Location

# Hadoop's Configuration.MAX_SUBST.
MAX_SUBSTITUTIONS = 20


class HadoopScope(enum.Enum):
    """What a configuration stands for, which decides whether Hadoop's defaults fill the gaps."""

    DIRECTORY = "directory"  # a conf directory: unset keys take Hadoop's defaults
    SERVED = "served"  # a daemon's /conf output: already effective
    SPARK = "spark"  # a Spark application's spark.hadoop.* overlay on a cluster config we
    # may not see: only what it sets can be judged


class Role(enum.Enum):
    """Which part of Hadoop a configuration file configures."""

    CORE = "core-site.xml"
    HDFS = "hdfs-site.xml"
    KMS = "kms-site.xml"
    KMS_ACLS = "kms-acls.xml"
    SSL_SERVER = "ssl-server.xml"
    SSL_CLIENT = "ssl-client.xml"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class HadoopProperty:
    """One <property> as written: `value` is raw (None when the element was empty, which
    Hadoop ignores); `templated` marks values from a shell or template layer ($VAR, {{ }})."""

    name: str
    value: str | None
    location: Location
    final: bool = False
    templated: bool = False
    exposed: bool = False


@dataclass(frozen=True, slots=True)
class Value:
    """The effective value of a key. `text` is None when unset; `templated` when a variable
    stayed unresolved; `default` when it is Hadoop's shipped default."""

    key: str
    text: str | None
    location: Location
    templated: bool = False
    default: bool = False
    final: bool = False
    exposed: bool = False
    raw: str | None = None


@dataclass(frozen=True, slots=True)
class KeytabRef:
    """A keytab the configuration names that lies inside the audited tree, with its mode."""

    key: str
    path: str
    mode: int
    location: Location


@dataclass
class HadoopConf:
    name: str
    origin: Location
    scope: HadoopScope
    roles: set[Role] = field(default_factory=set)
    files: list[str] = field(default_factory=list)
    properties: dict[str, HadoopProperty] = field(default_factory=dict)
    # Later assignments that Hadoop ignores because an earlier file marked the key final.
    overridden_finals: list[HadoopProperty] = field(default_factory=list)
    system_properties: dict[str, str] = field(default_factory=dict)
    # The daemon's environment for ${env.X}; None (the usual case) means unknown.
    environment: dict[str, str] | None = None
    keytabs: list[KeytabRef] = field(default_factory=list)
    # Permission bits of each file read (included ones too), by path as reported.
    file_modes: dict[str, int] = field(default_factory=dict)
    root: str | None = None

    @classmethod
    def from_settings(
        cls,
        name: str,
        origin: Location,
        settings: Iterable[tuple[str, Setting]],
        scope: HadoopScope = HadoopScope.SPARK,
    ) -> HadoopConf:
        """A configuration from (Hadoop key, Setting) pairs, later pairs winning."""
        conf = cls(name=name, origin=origin, scope=scope)
        for key, s in settings:
            conf.add(
                HadoopProperty(key, s.value, s.location, templated=s.templated, exposed=s.exposed)
            )
        return conf

    def add(self, prop: HadoopProperty) -> None:
        """Load one property as Configuration.loadProperty does: a final key keeps its value,
        and a deprecated name (`dfs.permissions`) is loaded under its current name(s)."""
        if prop.value is None:
            return
        renamed = deprecations().get(prop.name)
        if renamed is not None:
            for name in renamed:
                self.add(dataclasses.replace(prop, name=name))
            return
        current = self.properties.get(prop.name)
        if current is not None and current.final:
            if current.value != prop.value:
                self.overridden_finals.append(prop)
            return
        self.properties[prop.name] = prop

    def has(self, *roles: Role) -> bool:
        return any(r in self.roles for r in roles)

    @property
    def uses_defaults(self) -> bool:
        """A conf directory, or a /conf dump (which lists every default of the *-default.xml
        files, so that a key it lacks has the shipped or code default)."""
        return self.scope is not HadoopScope.SPARK

    def is_set(self, key: str) -> bool:
        return current_name(key) in self.properties

    def raw(self, key: str) -> str | None:
        """Configuration.getRaw(): the value before substitution, defaults included."""
        key = current_name(key)
        prop = self.properties.get(key)
        if prop is not None:
            return prop.value
        if self.uses_defaults:
            return hadoop_default(key)
        return None

    def get(self, key: str) -> Value | None:
        """Configuration.get(): the substituted value, None when unset and without default
        (Hadoop trims the name asked for, as here)."""
        key = current_name(key.strip())
        prop = self.properties.get(key)
        if prop is None:
            default = hadoop_default(key) if self.uses_defaults else None
            if default is None:
                return None
            text, unresolved = self.substitute(default)
            return Value(key, text, self.origin, templated=unresolved, default=True, raw=default)
        assert prop.value is not None
        text, unresolved = self.substitute(prop.value)
        return Value(
            key,
            text,
            prop.location,
            templated=unresolved or prop.templated,
            final=prop.final,
            exposed=prop.exposed,
            raw=prop.value,
        )

    def text(self, key: str) -> str | None:
        """The trimmed effective value when known and literal, else None."""
        v = self.get(key)
        if v is None or v.templated or v.text is None:
            return None
        return v.text.strip()

    def flag(self, key: str) -> bool | None:
        """A boolean as Configuration.getBoolean() reads it; None when unset without default,
        templated, or not a boolean."""
        v = self.get(key)
        if v is None or v.templated or v.text is None:
            return None
        word = v.text.strip().lower()
        if word == "true":
            return True
        if word == "false":
            return False
        return None

    def where(self, key: str) -> Location:
        prop = self.properties.get(current_name(key))
        return prop.location if prop else self.origin

    def names(self, prefix: str = "") -> list[str]:
        return [k for k in self.properties if k.startswith(prefix)]

    def substitute(self, expr: str) -> tuple[str, bool]:
        """Configuration.substituteVars(): the expanded value and whether a variable stayed
        unresolved (Hadoop then returns the expression as it stands)."""
        value = expr
        for _ in range(MAX_SUBSTITUTIONS):
            bounds = _find_variable(value)
            if bounds is None:
                return value, False
            start, end = bounds
            var = value[start:end]
            replacement = self._lookup(var)
            if replacement is None:
                return value, True
            ref = value[start - 2 : end + 1]
            if ref in replacement:
                return expr, True  # self-reference: Hadoop gives up and returns the original
            value = value[: start - 2] + replacement + value[end + 1 :]
        return expr, True  # Hadoop throws "Variable substitution depth too large"

    def _lookup(self, var: str) -> str | None:
        if var.startswith("env.") and len(var) > 4:
            if self.environment is None:
                return None  # the daemon's environment is not part of any input
            value = _env_lookup(var[4:], self.environment)
        else:
            value = self.system_properties.get(var)
        return self.raw(var) if value is None else value


def _env_lookup(spec: str, environment: dict[str, str]) -> str | None:
    """`${env.NAME}`, `${env.NAME:-default}` (default when unset or empty) and
    `${env.NAME-default}` (default when unset), as Configuration.substituteVars reads them."""
    for i, c in enumerate(spec):
        if c == ":" and i < len(spec) - 1 and spec[i + 1] == "-":
            value = environment.get(spec[:i])
            return value if value else spec[i + 2 :]
        if c == "-":
            value = environment.get(spec[:i])
            return spec[i + 1 :] if value is None else value
    return environment.get(spec)


def _find_variable(text: str) -> tuple[int, int] | None:
    """Configuration.findSubVariable(): the bounds of the first `${name}` (name without
    spaces, `$` or `}`), scanning as Hadoop does."""
    match_start = 1
    while True:
        left = text.find("{", match_start)
        if left <= 0 or left + 2 >= len(text):
            return None
        if text[left - 1] != "$":
            match_start = left + 1
            continue
        sub_start = left + 1
        restart = None
        for i in range(sub_start, len(text)):
            c = text[i]
            if c == "}" and i > sub_start:
                return sub_start, i
            if c in "} $":
                restart = i + 1
                break
        if restart is None:
            return None
        match_start = restart


@cache
def _defaults() -> dict[str, str]:
    data = resources.files("triplock").joinpath("data/hadoop-defaults.json").read_text("utf-8")
    table: dict[str, dict[str, str]] = json.loads(data)["defaults"]
    return {key: entry["value"] for key, entry in table.items()}


@cache
def deprecations() -> dict[str, tuple[str, ...]]:
    """Hadoop's deprecated names and their current ones (data/hadoop-deprecations.json, as
    Configuration.dumpDeprecatedKeys() prints them with HDFS's table loaded)."""
    data = resources.files("triplock").joinpath("data/hadoop-deprecations.json").read_text("utf-8")
    table: dict[str, list[str]] = json.loads(data)["deprecations"]
    return {old: tuple(new) for old, new in table.items()}


def current_name(key: str) -> str:
    """The name Hadoop stores a key under: a deprecated name's (last) replacement."""
    renamed = deprecations().get(key)
    return renamed[-1] if renamed else key


def hadoop_default(key: str) -> str | None:
    """Hadoop's shipped default for a key the rules read (data/hadoop-defaults.json)."""
    return _defaults().get(key)
