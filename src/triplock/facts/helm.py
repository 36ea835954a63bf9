"""Facts about Helm charts: the defaults a chart's values file gives every install."""

from __future__ import annotations

from dataclasses import dataclass

from triplock.model import Location


@dataclass(frozen=True, slots=True)
class ValueEntry:
    """One scalar of a values file, by its dotted path (`security.rpc.authenticationEnabled`,
    `auth.users[0].password`)."""

    path: str
    value: str | bool | None
    line: int

    @property
    def leaf(self) -> str:
        return self.path.rsplit(".", 1)[-1].split("[", 1)[0]


@dataclass(frozen=True, slots=True)
class HelmValues:
    """A chart's values file. `defaults`: the chart's own values.yaml, which every install gets
    unless it overrides a key; other values files are profiles someone chooses."""

    path: str
    chart: str
    defaults: bool
    entries: tuple[ValueEntry, ...]

    def at(self, line: int | None = None) -> Location:
        return Location(path=self.path, line=line, object=f"chart {self.chart}")
