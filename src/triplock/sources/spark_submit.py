"""Spark launch command lines -> SparkApp facts.

Public for every source that meets a command line: shell scripts (shell.py) and container
command/args in Kubernetes manifests. Settings from a command line carry exposed=True: anyone
who can see the process list, the pod spec or a trace sees them.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from triplock.facts.shell import Arg
from triplock.facts.spark import SparkApp, SparkOrigin
from triplock.inventory import Setting, is_templated, shared
from triplock.model import Location

_Put = Callable[[str, str, Arg], None]

# spark-submit options that take a value, and the configuration key some of them set.
_OPTION_KEYS: dict[str, str | None] = {
    "--master": "spark.master",
    "--deploy-mode": "spark.submit.deployMode",
    "--name": "spark.app.name",
    "--principal": "spark.kerberos.principal",
    "--keytab": "spark.kerberos.keytab",
    "--driver-java-options": "spark.driver.extraJavaOptions",
    "--driver-memory": "spark.driver.memory",
    "--executor-memory": "spark.executor.memory",
    "--driver-cores": "spark.driver.cores",
    "--executor-cores": "spark.executor.cores",
    "--num-executors": "spark.executor.instances",
    "--queue": "spark.yarn.queue",
    "--jars": "spark.jars",
    "--packages": "spark.jars.packages",
    "--py-files": "spark.submit.pyFiles",
    "--files": "spark.files",
    "--archives": "spark.archives",
    "--proxy-user": None,
    "--class": None,
    "--exclude-packages": None,
    "--repositories": None,
    "--driver-library-path": None,
    "--driver-class-path": None,
    "--total-executor-cores": None,
    "--kill": None,
    "--status": None,
    "--properties-file": None,
    "--conf": None,
    "-c": None,
}
_FLAGS = frozenset({"--verbose", "-v", "--supervise", "--help", "-h", "--version", "--usage-error"})


def spark_app_from_argv(
    args: list[Arg],
    start: int,
    path: str,
    program_line: int | None,
    obj: str | None = None,
    wrapper: bool = False,
) -> SparkApp:
    """The SparkApp a launch command describes; `start` is what launch_start() returned. A
    wrapper's own options (`--sgx-enabled true`) are passed over, with their value."""
    program = posixpath.basename(args[0].text)
    app = SparkApp(
        name=f"{path}:{program_line}" if program_line else path,
        origin=Location(path=path, line=program_line, object=obj or program),
        kind=SparkOrigin.SUBMIT_COMMAND,
    )

    def put(key: str, value: str, arg: Arg) -> None:
        # The object names the setting, so that a waiver file can target one key of a launch.
        templated = arg.templated or is_templated(value)
        named = shared(f"{obj or program} {key}")
        where = Location(path=path, line=arg.line, object=named)
        app.set(Setting.at(shared(key), shared(value), where, templated, exposed=True))

    # JVM system properties before the SparkSubmit class (-Dspark.x=y) are Spark settings too.
    for arg in args[1:start]:
        _java_property(arg, put)
    i = start
    while i < len(args):
        arg = args[i]
        opt, eq, inline = arg.text.partition("=")
        if arg.text in _FLAGS:
            i += 1
            continue
        if opt in _OPTION_KEYS and (eq or i + 1 < len(args)):
            value_arg = Arg(inline, arg.line, arg.templated) if eq else args[i + 1]
            i += 1 if eq else 2
            _option(opt, value_arg, app, put)
            continue
        if wrapper and arg.text.startswith("--"):
            takes_value = not eq and i + 1 < len(args) and not args[i + 1].text.startswith("-")
            i += 2 if takes_value else 1
            continue
        break  # the primary resource: everything after it belongs to the application
    return app


def _option(opt: str, value: Arg, app: SparkApp, put: _Put) -> None:
    if opt in ("--conf", "-c"):
        key, eq, val = value.text.partition("=")
        if eq and key:
            put(key.strip(), val, value)
    elif opt == "--properties-file":
        given = Setting.at(
            "--properties-file",
            value.text,
            Location(path=app.origin.path, line=value.line, object=app.origin.object),
            templated=value.templated or is_templated(value.text),
        )
        app.properties_files = (*app.properties_files, given)
    elif opt == "--driver-java-options":
        put("spark.driver.extraJavaOptions", value.text, value)
        for piece in value.text.split():
            _java_property(Arg(piece, value.line, value.templated), put)
    elif mapped := _OPTION_KEYS.get(opt):
        put(mapped, value.text, value)


def _java_property(arg: Arg, put: _Put) -> None:
    if arg.text.startswith("-Dspark."):
        key, eq, val = arg.text[2:].partition("=")
        if eq:
            put(key, val, arg)
