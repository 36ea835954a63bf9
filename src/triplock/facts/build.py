"""Facts from the files a deployment is built with: the Spark version they pin."""

from __future__ import annotations

from dataclasses import dataclass

from triplock.model import Location


@dataclass(frozen=True, slots=True)
class SparkVersionPin:
    """A Spark version a build file names: `ARG SPARK_VERSION=3.5.1`, `FROM apache/spark:3.5.1`,
    `pyspark==3.5.1`. `what` says which, for messages citing where the version came from."""

    version: str
    location: Location
    what: str
