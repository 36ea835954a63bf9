"""Facts about Spark applications: the effective configuration of one conf file or one launch."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field

from triplock.booleans import Dialect, flag_of
from triplock.inventory import Setting
from triplock.model import Location


class SparkOrigin(enum.Enum):
    DEFAULTS_FILE = "defaults-file"  # spark-defaults.conf or a --properties-file
    SUBMIT_COMMAND = "submit-command"  # spark-submit / pyspark / spark-sql in a script
    KUBERNETES = "kubernetes"  # SparkApplication / SparkCluster resources
    LIVE = "live"  # a running application's environment, read from its REST API


# Keys a history server reads: its own, the TLS, UI, ACL and redaction settings it shares with
# applications, UI filter parameters and the Hadoop settings of its log directory.
_HISTORY_SERVER_KEY = re.compile(
    r"spark\.(?:history\.|ssl\.|ui\.|acls\.|admin\.acls|modify\.acls|user\.groups\.mapping|"
    r"redaction\.|eventLog\.|hadoop\.|[\w$.]+\.param\.)"
)


# spark.kubernetes.{driver,executor}.secrets.NAME=/dir: a Secret Spark mounts in the pods it
# builds.
SECRET_MOUNT_PREFIXES = ("spark.kubernetes.driver.secrets.", "spark.kubernetes.executor.secrets.")


@dataclass(slots=True)
class SparkApp:
    """The effective Spark settings of one application as far as the inputs show them.

    `settings` maps a key to its last assignment (later wins, as in spark-submit). For a submit
    command, `base` names the properties file its settings were layered on.
    """

    name: str
    origin: Location
    kind: SparkOrigin
    settings: dict[str, Setting] = field(default_factory=dict)
    base: str | None = None
    spark_version: str | None = None
    properties_files: tuple[Setting, ...] = ()
    # Some settings come from an input triplock could not read (a --properties-file outside the
    # tree): an unset key may be set there, so flag() answers None instead of the default.
    partial: bool = False
    # Assignments a later one overrides (a --conf over the properties file): no longer
    # effective, but a literal secret written there is still exposed where it is written.
    shadowed: tuple[Setting, ...] = ()
    # The operator that creates a service account for each application (Stackable's), when
    # the resource has no driver service account field: the driver does not run as `default`.
    account_per_app: str | None = None
    # Where spark_version was read when not from the application itself (a Dockerfile ARG,
    # a pyspark pin), for messages that cite it.
    spark_version_source: str | None = None

    def get(self, key: str) -> Setting | None:
        return self.settings.get(key)

    def set(self, setting: Setting) -> None:
        self.settings[setting.key] = setting

    def flag(self, key: str, default: bool) -> bool | None:
        """A boolean setting as Spark reads it: its value, the default when unset, None when
        templated or not a boolean."""
        return flag_of(self.settings.get(key), default, Dialect.SPARK, self.partial)

    def value(self, key: str) -> str | None:
        s = self.settings.get(key)
        return None if s is None else s.value.strip()

    def assignments(self) -> list[Setting]:
        """Every assignment that is written somewhere: effective ones and shadowed ones."""
        return [*self.settings.values(), *self.shadowed]

    def matching(self, prefix: str | tuple[str, ...]) -> list[Setting]:
        return [s for k, s in self.settings.items() if k.startswith(prefix)]

    @property
    def master(self) -> str | None:
        return self.value("spark.master")

    @property
    def on_kubernetes(self) -> bool:
        if self.kind is SparkOrigin.KUBERNETES:
            return True
        m = self.master
        return bool(m) and m is not None and m.startswith("k8s://")

    @property
    def history_server_only(self) -> bool:
        """A defaults file that configures a history server and nothing an application reads:
        spark.history.* settings, and only keys a history server reads too."""
        return (
            self.kind is SparkOrigin.DEFAULTS_FILE
            and any(key.startswith("spark.history.") for key in self.settings)
            and all(_HISTORY_SERVER_KEY.match(key) for key in self.settings)
        )

    def where(self, key: str) -> Location:
        """Where a finding about `key` should point: its assignment, else the app's origin."""
        s = self.settings.get(key)
        return s.location if s else self.origin
