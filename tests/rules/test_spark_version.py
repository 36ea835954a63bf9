"""Which Spark version an application runs (rules/_spark_version.py)."""

from __future__ import annotations

import pytest

from tests.helpers.spark_rules import (
    make_app,
)
from triplock.rules._spark_version import image_tag, parse_version, spark_version


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.5.1", (3, 5, 1)),
        ("v4.0", (4, 0, 0)),
        ("3.5.1-scala2.12-java17-python3-ubuntu", (3, 5, 1)),
        ("4.0.0-preview2", (4, 0, 0)),
        ("latest", None),
        ("3", None),
    ],
)
def test_parse_version(text: str, expected: tuple[int, int, int] | None) -> None:
    v = parse_version(text)
    assert (None if v is None else (v.major, v.minor, v.patch)) == expected


@pytest.mark.parametrize(
    ("image", "tag"),
    [
        ("apache/spark:3.5.1-scala2.12-java17", "3.5.1-scala2.12-java17"),
        ("registry.local:5000/team/spark:4.0.2@sha256:abcd", "4.0.2"),
        ("gcr.io/spark-operator/spark:v3.1.1", "v3.1.1"),
        ("myrepo/spark-py:spark-3.4.4", "3.4.4"),
        ("intelanalytics/bigdl-ppml-trusted-big-data-ml-python-gramine:2.4.0", None),
        ("apache/spark", None),
    ],
)
def test_image_tag(image: str, tag: str | None) -> None:
    assert image_tag(image) == tag


def test_version_precedence() -> None:
    app = make_app(
        {"spark.kubernetes.container.image": "apache/spark:3.5.1"}, spark_version="3.4.4"
    )
    assert str(spark_version(app, "4.0.1")) == "4.0.1"
    assert str(spark_version(app, None)) == "3.4.4"
    app.spark_version = None
    assert str(spark_version(app, None)) == "3.5.1"
    templated = make_app({"spark.kubernetes.container.image": "apache/spark:${TAG}"})
    assert spark_version(templated, None) is None
