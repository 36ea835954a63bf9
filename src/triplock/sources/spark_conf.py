"""spark-defaults.conf and other Java properties files that hold Spark settings."""

from __future__ import annotations

import re
from typing import ClassVar

from triplock.facts.spark import SparkApp, SparkOrigin
from triplock.inventory import Inventory, Setting
from triplock.model import Location
from triplock.sources.interface import PROPERTIES, InputFile, SourceError
from triplock.sources.properties import MalformedProperties, parse_properties

_SPARK_KEY_LINE = re.compile(r"^[ \t\f]*spark\.[\w.\-]+[ \t\f]*[=: \t\f]", re.MULTILINE)
_PROPERTIES_SUFFIXES = (".conf", ".properties", ".conf.template")


def read_spark_properties(file: InputFile) -> SparkApp:
    """The SparkApp a properties file describes (Spark trims values, as here)."""
    try:
        entries = parse_properties(file.text)
    except MalformedProperties as e:
        raise SourceError(str(e)) from e
    app = SparkApp(name=file.path, origin=Location(path=file.path), kind=SparkOrigin.DEFAULTS_FILE)
    for entry in entries:
        app.set(
            Setting.literal_or_templated(
                entry.key, entry.value.strip(), Location(path=file.path, line=entry.line)
            )
        )
    return app


class SparkConfSource:
    kind: ClassVar[str] = "spark-conf"
    priority: ClassVar[int] = PROPERTIES

    def claims(self, file: InputFile) -> bool:
        name = file.name
        if name.startswith("spark-defaults.conf"):
            return True
        if not name.endswith(_PROPERTIES_SUFFIXES) or file.is_binary:
            return False
        return bool(_SPARK_KEY_LINE.search(file.text))

    def parse(self, file: InputFile, inventory: Inventory) -> None:
        inventory.add(read_spark_properties(file))

    def link(self, inventory: Inventory) -> None:
        pass


SOURCE = SparkConfSource()
