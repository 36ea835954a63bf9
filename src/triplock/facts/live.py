"""Facts observed on running Spark services by `triplock verify` (never judged there)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from triplock.model import Location


class ServiceKind(enum.Enum):
    APPLICATION_UI = "Spark application UI"
    HISTORY_SERVER = "Spark history server"
    MASTER_UI = "Spark standalone master UI"
    WORKER_UI = "Spark standalone worker UI"
    REST_SUBMISSION = "Spark REST submission server"
    SPARK_RPC = "Spark RPC"
    LOCKED_HTTP = "HTTP service that refused every anonymous request"
    OTHER = "not a Spark service"


@dataclass(frozen=True, slots=True)
class PageAnswer:
    """What one anonymous request for `path` got: `open` (200), or refused (401/403 or a
    redirect to a login page)."""

    path: str
    status: int
    open: bool


@dataclass
class SparkService:
    """What one target showed to a client without credentials. None means "not observed"."""

    target: str
    location: Location
    kind: ServiceKind
    tls: bool | None = None
    pages: list[PageAnswer] = field(default_factory=list)
    # The REST submission server answered a status request for a submission that does not
    # exist (True) or refused it (False).
    rest_answers_anonymous: PageAnswer | None = None
    rpc_demands_auth: bool | None = None
    rpc_answer: str | None = None  # what the RPC port said to a message sent without auth
    redirects_to_https: bool | None = None
    hsts: bool | None = None
    error: str | None = None

    @property
    def name(self) -> str:
        return self.target

    @property
    def http(self) -> bool:
        return self.kind not in (ServiceKind.SPARK_RPC, ServiceKind.OTHER)

    def at(self, path: str | None = None) -> Location:
        base = self.location.url or self.target
        return Location(url=base.rstrip("/") + path if path else base)
