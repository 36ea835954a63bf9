"""What etcd showed about Kubernetes Secrets at rest (live/etcd.py): per namespace, how many
values each encryption provider wrote, `plaintext` for unencrypted ones. No value is kept."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from triplock.model import Location


@dataclass
class EtcdSecrets:
    url: str
    location: Location
    by_namespace: dict[str, Counter[str]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.url
