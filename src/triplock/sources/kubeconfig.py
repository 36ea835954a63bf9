"""kubeconfig files (`kind: Config`: admin.conf, ~/.kube/config, CI kubeconfigs): each user's
embedded credentials and the identity its client certificate names, each cluster's server and
whether TLS verification is skipped."""

from __future__ import annotations

import base64
import binascii
import re
from typing import ClassVar

from triplock.facts.kube import YMap
from triplock.facts.kubeconfig import (
    Kubeconfig,
    KubeconfigCluster,
    KubeconfigCredential,
    KubeconfigUser,
)
from triplock.inventory import Inventory, is_templated
from triplock.sources.interface import TOOL_KEYS, InputFile, SourceError
from triplock.sources.kube_load import load_documents

_KIND_CONFIG = re.compile(r"^[\"']?kind[\"']?\s*:\s*[\"']?Config[\"']?\s*$", re.MULTILINE)
_SECTIONS = re.compile(r"^(?:users|clusters|contexts)\s*:", re.MULTILINE)
_CREDENTIAL_FIELDS = ("client-key-data", "token", "password")
# OIDC / cloud auth-provider tokens kept in the kubeconfig (auth-provider.config).
_PROVIDER_FIELDS = ("id-token", "refresh-token", "access-token", "client-secret")


class KubeconfigSource:
    kind: ClassVar[str] = "kubeconfig"
    priority: ClassVar[int] = TOOL_KEYS

    def claims(self, file: InputFile) -> bool:
        if file.is_binary or len(file.data) > 4 * 1024 * 1024:
            return False
        text = file.text
        # `in` first: a multi-line regex tries every position of every YAML file offered.
        return "Config" in text and bool(_KIND_CONFIG.search(text) and _SECTIONS.search(text))

    def parse(self, file: InputFile, inventory: Inventory) -> None:
        docs = [d for d in load_documents(file.text) if d.get("kind") == "Config"]
        if not docs:
            raise SourceError("no `kind: Config` mapping")
        for doc in docs:
            inventory.add(
                Kubeconfig(
                    file.path,
                    tuple(_user(u) for u in doc.list("users").maps()),
                    tuple(_cluster(c) for c in doc.list("clusters").maps()),
                )
            )

    def link(self, inventory: Inventory) -> None:
        pass


def _user(entry: YMap) -> KubeconfigUser:
    body = entry.map("user") or YMap(entry.line)
    credentials = tuple(
        KubeconfigCredential(name, value, body.line_of(name))
        for name in _CREDENTIAL_FIELDS
        if (value := body.text(name)) and not is_templated(value)
    )
    provider = body.map("auth-provider")
    config = provider.map("config") if provider is not None else None
    if config is not None:
        credentials += tuple(
            KubeconfigCredential(f"auth-provider.{name}", value, config.line_of(name))
            for name in _PROVIDER_FIELDS
            if (value := config.text(name)) and not is_templated(value)
        )
    user, groups = _identity(body.text("client-certificate-data"))
    return KubeconfigUser(entry.text("name") or "<unnamed>", entry.line, credentials, user, groups)


def _cluster(entry: YMap) -> KubeconfigCluster:
    body = entry.map("cluster") or YMap(entry.line)
    insecure = body.get("insecure-skip-tls-verify") is True
    return KubeconfigCluster(
        entry.text("name") or "<unnamed>",
        body.text("server"),
        entry.line,
        body.line_of("insecure-skip-tls-verify") if insecure else None,
    )


def _identity(cert_data: str | None) -> tuple[str | None, tuple[str, ...]]:
    """The CN and O values of an embedded client certificate (who the API server sees)."""
    if not cert_data:
        return None, ()
    try:
        pem = base64.b64decode(cert_data, validate=True)
    except (binascii.Error, ValueError):
        return None, ()
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    try:
        cert = x509.load_pem_x509_certificate(pem)
    except ValueError:
        return None, ()
    names = cert.subject
    cn = [str(a.value) for a in names.get_attributes_for_oid(NameOID.COMMON_NAME)]
    orgs = [str(a.value) for a in names.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
    return (cn[0] if cn else None), tuple(orgs)


SOURCE = KubeconfigSource()
