"""Helm chart rules: what a chart's values file gives every install by default."""

from __future__ import annotations

import re
from collections.abc import Iterator

from triplock.facts.helm import HelmValues, ValueEntry
from triplock.model import Evidence, Fix, FixAction, Severity
from triplock.rules.registry import Context, Outcome, fail, passed, rule
from triplock.secret_classifier import literal_secret

HELM_VALUES_DOC = "https://helm.sh/docs/chart_best_practices/values/"


def builtin_secret(entry: ValueEntry) -> str | None:
    """Why a values entry is a built-in secret, or None (the one call into the classifier)."""
    if not isinstance(entry.value, str):
        return None
    verdict = literal_secret(entry.path, entry.value)
    return None if verdict is None else verdict.describe()


@rule(
    id="HELM-001",
    slug="helm-builtin-secret",
    title="A chart ships a built-in secret that every install shares",
    control="keys.management",
    severity=Severity.CRITICAL,
    target=HelmValues,
    rationale="A secret written in a chart's values file is the same in every release of the "
    "chart that does not override it, and public to anyone who can read the chart: an attacker "
    "who knows the chart knows the secret of every such install.",
    remediation="Leave the value empty so that the chart generates one per install, or have "
    "it reference an existing Secret (existingSecret); never ship a working default.",
    references=(HELM_VALUES_DOC,),
)
def chart_builtin_secret(values: HelmValues, ctx: Context) -> Iterator[Outcome]:
    found = False
    for entry in values.entries:
        why = builtin_secret(entry)
        if why is None:
            continue
        found = True
        scope = "every install of the chart" if values.defaults else "every install using it"
        yield fail(
            f"{entry.path} is a built-in secret ({why}): {scope} gets the same value",
            values.at(entry.line),
            Evidence.of(entry.path, str(entry.value)),
            fix=Fix(FixAction.SET, entry.path, '""', values.path),
        )
    if not found:
        yield passed("no built-in secret among the chart's values", values.at())


def _switched_off(values: HelmValues, leaf: re.Pattern[str], what: str) -> Iterator[Outcome]:
    for entry in values.entries:
        dotted = entry.path.lower()
        if entry.value is False and leaf.search(dotted):
            scope = "every install of the chart" if values.defaults else "installs using it"
            yield fail(
                f"{entry.path}: false: {what} is off by default for {scope}",
                values.at(entry.line),
                Evidence.of(entry.path, "false"),
                fix=Fix(FixAction.SET, entry.path, "true", values.path),
            )


@rule(
    id="HELM-002",
    slug="helm-default-auth-off",
    title="A chart's defaults switch authentication off",
    control="spark.authentication",
    severity=Severity.HIGH,
    target=HelmValues,
    rationale="What a chart does by default is what most installs run: `auth.enabled: false` "
    "or `rpc.authenticationEnabled: false` in values.yaml leaves every such install open to "
    "anyone who reaches its ports.",
    remediation="Turn authentication on in the chart's values (and give it a per-install "
    "secret), or override it in every release's values.",
    references=(HELM_VALUES_DOC,),
)
def chart_auth_off(values: HelmValues, ctx: Context) -> Iterator[Outcome]:
    return _switched_off(
        values,
        re.compile(r"(^|\.)(auth(entication)?\.enabled|auth(entication)?enabled)$"),
        "authentication",
    )


@rule(
    id="HELM-003",
    slug="helm-default-tls-off",
    title="A chart's defaults switch TLS off",
    control="transit.tls",
    severity=Severity.MEDIUM,
    target=HelmValues,
    rationale="`tls.enabled: false` / `ssl.enabled: false` in values.yaml makes plain-text "
    "traffic what every install runs unless someone overrides it.",
    remediation="Enable TLS in the chart's values, with certificates from a Secret.",
    references=(HELM_VALUES_DOC,),
)
def chart_tls_off(values: HelmValues, ctx: Context) -> Iterator[Outcome]:
    return _switched_off(values, re.compile(r"(^|\.)((tls|ssl)\.enabled|(tls|ssl)enabled)$"), "TLS")


@rule(
    id="HELM-004",
    slug="helm-default-encryption-off",
    title="A chart's defaults switch encryption off",
    control="spark.encryption",
    severity=Severity.MEDIUM,
    target=HelmValues,
    rationale="`rpc.encryptionEnabled: false` or `storageEncryptionEnabled: false` in "
    "values.yaml leaves network or local-disk data in the clear on every install that keeps "
    "the default.",
    remediation="Enable the chart's encryption settings by default.",
    references=(HELM_VALUES_DOC,),
)
def chart_encryption_off(values: HelmValues, ctx: Context) -> Iterator[Outcome]:
    return _switched_off(
        values, re.compile(r"(^|\.)(encryption\.enabled|\w*encryptionenabled)$"), "encryption"
    )
