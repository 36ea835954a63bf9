"""Which Spark version a SparkApp runs, for version-aware advice.

In order: the user's --spark-version, the version a source read (SparkApp.spark_version), the tag
of the container image (apache/spark:3.5.1-scala2.12-java17). None when nothing says: rules then
give advice that holds for every version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from triplock.facts.spark import SparkApp

_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?(?=$|[-+_a-zA-Z])")
_IMAGE_KEYS = (
    "spark.kubernetes.container.image",
    "spark.kubernetes.driver.container.image",
    "spark.kubernetes.executor.container.image",
)


@dataclass(frozen=True, slots=True)
class SparkVersion:
    major: int
    minor: int
    patch: int
    source: str = ""

    def at_least(self, major: int, minor: int, patch: int = 0) -> bool:
        return (self.major, self.minor, self.patch) >= (major, minor, patch)

    def line(self) -> tuple[int, int]:
        return (self.major, self.minor)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    def cited(self) -> str:
        """The version and where it was read, for messages whose advice depends on it."""
        return f"{self} (from {self.source})" if self.source else str(self)


def parse_version(text: str, source: str = "") -> SparkVersion | None:
    """`3.5.1`, `v4.0`, `3.5.1-scala2.12-java17`, `4.0.1-preview`; None when not a version."""
    m = _VERSION.match(text.strip())
    if not m:
        return None
    return SparkVersion(int(m[1]), int(m[2]), int(m[3] or 0), source)


def image_tag(image: str) -> str | None:
    """The tag of a Spark image (`spark-3.5.1` or `3.5.1-...`), ignoring a registry port and a
    digest. None for other images: the tag of a platform image built on Spark (BigDL's
    bigdl-ppml-...:2.4.0) is that platform's version, not Spark's."""
    name = image.strip().split("@", 1)[0]
    repo, _, tag = name.rsplit("/", 1)[-1].partition(":")
    if not tag or "spark" not in repo.lower():
        return None
    return tag.removeprefix("spark-").removeprefix("spark")


def spark_version(app: SparkApp, option: str | None) -> SparkVersion | None:
    if option:
        return parse_version(option, "--spark-version")
    if app.spark_version:
        return parse_version(app.spark_version, app.spark_version_source or "the application")
    for key in _IMAGE_KEYS:
        setting = app.get(key)
        if setting is None or setting.templated:
            continue
        tag = image_tag(setting.value)
        version = parse_version(tag, f"the image tag of {key}") if tag else None
        if version:
            return version
    return None
