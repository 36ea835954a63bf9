"""What the common Hadoop and Spark images make of their environment.

big-data-europe's Hadoop images (bde2020/hadoop-*) write every `CORE_CONF_x`, `HDFS_CONF_x`,
`YARN_CONF_x`... variable into the matching `*-site.xml`, the name spelled with `___` for `-`,
`__` for `_` and `_` for `.` (their entrypoint.sh). Bitnami's Spark image writes its
`SPARK_RPC_*`, `SPARK_SSL_*` and `SPARK_LOCAL_STORAGE_*` variables into spark-defaults.conf,
`yes`/`no` for true/false (its libspark.sh).
"""

from __future__ import annotations

from collections.abc import Iterable

from triplock.facts.compose import EnvEntry
from triplock.facts.hadoop import HadoopConf, HadoopProperty, HadoopScope, Role
from triplock.facts.spark import SparkApp, SparkOrigin
from triplock.inventory import Setting
from triplock.model import Location

# Variable prefix -> the file the image writes it to.
HADOOP_PREFIXES: dict[str, Role] = {
    "CORE_CONF_": Role.CORE,
    "HDFS_CONF_": Role.HDFS,
    "KMS_CONF_": Role.KMS,
    "YARN_CONF_": Role.OTHER,
    "HTTPFS_CONF_": Role.OTHER,
    "MAPRED_CONF_": Role.OTHER,
    "HIVE_SITE_CONF_": Role.OTHER,
}

# Bitnami Spark variable -> (Spark key, whether the value is yes/no).
BITNAMI_SPARK: dict[str, tuple[str, bool]] = {
    "SPARK_RPC_AUTHENTICATION_ENABLED": ("spark.authenticate", True),
    "SPARK_RPC_AUTHENTICATION_SECRET": ("spark.authenticate.secret", False),
    "SPARK_RPC_ENCRYPTION_ENABLED": ("spark.network.crypto.enabled", True),
    "SPARK_LOCAL_STORAGE_ENCRYPTION_ENABLED": ("spark.io.encryption.enabled", True),
    "SPARK_SSL_ENABLED": ("spark.ssl.enabled", True),
    "SPARK_SSL_KEY_PASSWORD": ("spark.ssl.keyPassword", False),
    "SPARK_SSL_KEYSTORE_PASSWORD": ("spark.ssl.keyStorePassword", False),
    "SPARK_SSL_KEYSTORE_FILE": ("spark.ssl.keyStore", False),
    "SPARK_SSL_TRUSTSTORE_PASSWORD": ("spark.ssl.trustStorePassword", False),
    "SPARK_SSL_TRUSTSTORE_FILE": ("spark.ssl.trustStore", False),
    "SPARK_SSL_NEED_CLIENT_AUTH": ("spark.ssl.needClientAuth", True),
    "SPARK_SSL_PROTOCOL": ("spark.ssl.protocol", False),
}
_YES_NO = {"yes": "true", "no": "false", "true": "true", "false": "false"}


def hadoop_key(variable: str) -> tuple[Role, str] | None:
    """The (file role, Hadoop key) a bde2020 image makes of an environment variable."""
    for prefix, role in HADOOP_PREFIXES.items():
        if variable.startswith(prefix) and len(variable) > len(prefix):
            name = variable[len(prefix) :]
            key = name.replace("___", "-").replace("__", "\0").replace("_", ".").replace("\0", "_")
            return role, key
    return None


def hadoop_conf(name: str, origin: Location, entries: Iterable[EnvEntry]) -> HadoopConf | None:
    """The configuration a bde2020 Hadoop container reads, or None without CONF variables.
    Unset keys take Hadoop's defaults: the images ship no other site settings."""
    conf = HadoopConf(name=name, origin=origin, scope=HadoopScope.DIRECTORY)
    for e in entries:
        found = hadoop_key(e.name)
        if found is None or e.value is None:
            continue
        role, key = found
        conf.roles.add(role)
        conf.add(HadoopProperty(key, e.value, e.location, templated=e.templated))
        if e.location.path and e.location.path not in conf.files:
            conf.files.append(e.location.path)  # where a missing key would be added
    if not conf.properties:
        return None
    conf.roles.add(Role.CORE)
    return conf


def bitnami_spark(
    name: str, origin: Location, entries: Iterable[EnvEntry], image: str | None = None
) -> SparkApp | None:
    """The spark-defaults.conf a Bitnami Spark container writes, or None when neither its
    variables nor its image are there (the image's defaults switch every protection off)."""
    app = SparkApp(name=name, origin=origin, kind=SparkOrigin.DEFAULTS_FILE)
    for e in entries:
        mapped = BITNAMI_SPARK.get(e.name)
        if mapped is None or e.value is None:
            continue
        key, yes_no = mapped
        value = _YES_NO.get(e.value.strip().lower(), e.value) if yes_no else e.value
        app.set(Setting.at(key, value, e.location, templated=e.templated))
    return app if app.settings or is_bitnami_spark(image) else None


def is_bitnami_spark(image: str | None) -> bool:
    return image is not None and "bitnami/spark" in image
