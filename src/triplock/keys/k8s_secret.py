"""A Kubernetes Secret manifest from files: how keys and passwords reach pods as volumes."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import yaml

from triplock.keys.files import write_secret

# Secret data keys: alphanumerics, '-', '_' and '.' (Kubernetes validation).
_DATA_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
# A namespace is an RFC 1123 label: lower-case alphanumerics and inner hyphens, at most 63.
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class ManifestError(Exception):
    """A name or file that cannot go into a Secret."""


def manifest(
    name: str,
    files: dict[str, Path],
    namespace: str | None = None,
    secret_type: str = "Opaque",
    labels: dict[str, str] | None = None,
) -> str:
    """The YAML of a Secret whose `data` holds each file base64-encoded under its key."""
    data: dict[str, bytes] = {}
    for key, path in files.items():
        try:
            data[key] = Path(path).read_bytes()
        except OSError as e:
            raise ManifestError(f"cannot read {path}: {e.strerror}") from e
    return manifest_of(name, data, namespace, secret_type, labels)


def manifest_of(
    name: str,
    files: dict[str, bytes],
    namespace: str | None = None,
    secret_type: str = "Opaque",
    labels: dict[str, str] | None = None,
) -> str:
    """The YAML of a Secret whose `data` holds each content base64-encoded under its key."""
    if not _NAME.fullmatch(name) or len(name) > 253:
        raise ManifestError(f"{name!r} is not a valid Kubernetes object name")
    if namespace is not None and (not _LABEL.fullmatch(namespace) or len(namespace) > 63):
        raise ManifestError(
            f"{namespace!r} is not a valid namespace (an RFC 1123 label: lower-case letters, "
            "digits and inner hyphens, at most 63 characters)"
        )
    data: dict[str, str] = {}
    for key, content in files.items():
        if not _DATA_KEY.match(key):
            raise ManifestError(f"{key!r} is not a valid Secret data key")
        data[key] = base64.b64encode(content).decode()
    metadata: dict[str, object] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    metadata["labels"] = {"app.kubernetes.io/managed-by": "triplock", **(labels or {})}
    doc = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata,
        "type": secret_type,
        # Immutable Secrets cannot be changed by accident and spare the API server watches.
        "immutable": True,
        "data": data,
    }
    text: str = yaml.safe_dump(doc, sort_keys=False)
    return text


def parse_file_args(items: list[str]) -> dict[str, Path]:
    """`KEY=PATH` or `PATH` (key = file name), as for kubectl create secret --from-file."""
    files: dict[str, Path] = {}
    for item in items:
        key, sep, path = item.partition("=")
        if not sep:
            key, path = Path(item).name, item
        if key in files:
            raise ManifestError(f"the key {key!r} is given twice")
        files[key] = Path(path)
    return files


def write_manifest(out: Path, text: str, force: bool = False) -> Path:
    # The manifest carries the secret values (base64 is no protection): a 0600 file.
    return write_secret(Path(out), text.encode(), force=force)
