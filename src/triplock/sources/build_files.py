"""Dockerfiles and Python requirements: the Spark version a deployment is built with.

`ARG`/`ENV SPARK_VERSION=3.5.1`, `FROM apache/spark:3.5.1` (or any image whose name holds
`spark`), `pyspark==3.5.1` (requirements*.txt, pyproject.toml, setup.py, Pipfile). After every
input is read, each Spark application without a version of its own and without an image takes
the version pinned nearest to it: in its directory or the closest one above it.
"""

from __future__ import annotations

import os
import re
from typing import ClassVar

from triplock.facts.build import SparkVersionPin
from triplock.facts.spark import SparkApp
from triplock.inventory import Inventory
from triplock.model import Location
from triplock.sources.interface import BUILD, InputFile

_DOCKERFILE = re.compile(r"^(?:Dockerfile|Containerfile)(?:[.-][\w.-]+)?$|\.[Dd]ockerfile$")
_REQUIREMENTS = re.compile(r"^(?:requirements[\w.-]*\.txt|pyproject\.toml|setup\.py|Pipfile)$")
_VERSION = r"v?(\d+\.\d+(?:\.\d+)?)"
# [^\S\n]*, not \s*: a line-start \s* ran across every blank line (quadratic in them).
_ARG = re.compile(rf"^[^\S\n]*(?:ARG|ENV)\s+SPARK_VERSION[=\s]+[\"']?{_VERSION}", re.MULTILINE)
_FROM = re.compile(
    rf"^[^\S\n]*FROM\s+(?:--\S+\s+)*\S*spark[^\s:]*:(?:spark-)?{_VERSION}", re.MULTILINE | re.I
)
_PYSPARK = re.compile(rf"(?<![\w-])pyspark(?:\[[\w,]+\])?\s*(?:==|===|~=)\s*{_VERSION}", re.I)
_IMAGE_KEYS = ("spark.kubernetes.container.image", "spark.kubernetes.driver.container.image")


class BuildFilesSource:
    kind: ClassVar[str] = "build-file"
    # Before the shell source (a Dockerfile with a spark-submit line is also handed to it
    # below), after the sources whose link() makes SparkApps (env files).
    priority: ClassVar[int] = BUILD

    def claims(self, file: InputFile) -> bool:
        if file.is_binary:
            return False
        if _DOCKERFILE.search(file.name):
            return True
        return bool(_REQUIREMENTS.match(file.name)) and "pyspark" in file.text.lower()

    def parse(self, file: InputFile, inventory: Inventory) -> None:
        from triplock.sources.shell import SOURCE as SHELL

        if _DOCKERFILE.search(file.name) and SHELL.claims(file):
            SHELL.parse(file, inventory)  # its RUN/CMD spark-submit lines, as before
        text = file.text
        for pattern, what in (
            (_ARG, "SPARK_VERSION"),
            (_FROM, "the base image"),
            (_PYSPARK, "pyspark"),
        ):
            for m in pattern.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                where = Location(path=file.path, line=line, object=what)
                inventory.add(SparkVersionPin(m.group(1), where, f"{what} in {file.path}:{line}"))

    def link(self, inventory: Inventory) -> None:
        pins = inventory.of(SparkVersionPin)
        if not pins:
            return
        for app in inventory.of(SparkApp):
            if app.spark_version or any(app.get(k) is not None for k in _IMAGE_KEYS):
                continue
            pin = nearest(pins, app.origin.path)
            if pin is not None:
                app.spark_version = pin.version
                app.spark_version_source = pin.what
                inventory.changed(app)


def nearest(pins: list[SparkVersionPin], path: str | None) -> SparkVersionPin | None:
    """The pin in the closest directory at or above `path`'s; several there must agree."""
    directory = os.path.dirname(os.path.abspath(path or "."))
    by_dir: dict[str, list[SparkVersionPin]] = {}
    for pin in pins:
        by_dir.setdefault(os.path.dirname(os.path.abspath(pin.location.path or ".")), []).append(
            pin
        )
    while True:
        found = by_dir.get(directory)
        if found:
            versions = {p.version for p in found}
            return found[0] if len(versions) == 1 else None
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


SOURCE = BuildFilesSource()
