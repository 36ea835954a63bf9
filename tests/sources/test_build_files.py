"""The Spark version a deployment is built with: Dockerfile ARG/ENV SPARK_VERSION, a Spark
base image's tag, a pyspark pin; each application takes the nearest one."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import ROOT, findings_of, run_cli, write
from triplock.facts.build import SparkVersionPin
from triplock.facts.spark import SparkApp
from triplock.inventory import Inventory
from triplock.sources import all_sources
from triplock.sources.discovery import discover

BUILD = ROOT / "tests" / "fixtures" / "build"


def inventory_of(path: Path) -> Inventory:
    inv = Inventory()
    discover([str(path)], all_sources(), inv)
    return inv


@pytest.mark.parametrize(
    ("name", "text", "version"),
    [
        ("Dockerfile", "ARG SPARK_VERSION=3.5.1\nFROM x\n", "3.5.1"),
        ("Dockerfile.spark", "ENV SPARK_VERSION 3.4.3\n", "3.4.3"),
        ("spark.Dockerfile", "FROM apache/spark:3.5.1-scala2.12-java17-ubuntu\n", "3.5.1"),
        ("Dockerfile", "FROM --platform=linux/amd64 bitnami/spark:3.5\n", "3.5"),
        ("requirements.txt", "pyspark[sql]==4.0.1\n", "4.0.1"),
        ("pyproject.toml", '[project]\ndependencies = ["pyspark~=3.5.2"]\n', "3.5.2"),
    ],
)
def test_pins_are_read(tmp_path: Path, name: str, text: str, version: str) -> None:
    write(tmp_path, name, text)
    (pin,) = inventory_of(tmp_path).of(SparkVersionPin)
    assert pin.version == version


def test_not_a_pin(tmp_path: Path) -> None:
    write(tmp_path, "requirements.txt", "pyspark-stubs==3.0.0\npyspark>=3.0\n")
    write(tmp_path, "Dockerfile", "FROM python:3.11\n")
    assert not inventory_of(tmp_path).of(SparkVersionPin)


def test_each_application_takes_the_nearest_pin() -> None:
    apps = {a.name: a for a in inventory_of(BUILD).of(SparkApp)}
    top = apps[str(BUILD / "spark-defaults.conf")]
    job = apps[str(BUILD / "job" / "spark-defaults.conf")]
    assert top.spark_version == "3.4.1" and job.spark_version == "3.5.1"
    assert job.spark_version_source is not None and "requirements.txt:4" in job.spark_version_source


def test_advice_follows_the_pinned_version() -> None:
    result = run_cli("audit", str(BUILD), "--format", "json")
    gcm = findings_of(result, "SPARK-011", "fail")
    # 3.4.1 ignores AES/GCM (added in 3.4.4); 3.5.1 has it (with the message-drop bug).
    assert any("3.4.1" in f["message"] and "Dockerfile" in f["message"] for f in gcm)
