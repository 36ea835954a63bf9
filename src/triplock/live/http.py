"""One bounded HTTP/1.0 exchange: standard library only, no redirect followed (a redirect is
itself an observation), a deadline on the whole exchange and a cap on what is read, so that a
slow, silent or garbage-speaking server costs at most `timeout` seconds and a clear error.
"""

from __future__ import annotations

import socket
import ssl
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

MAX_REPLY_BYTES = 8 * 1024 * 1024


class HttpError(Exception):
    """The exchange failed: refused, timed out, TLS failed, or the reply is not HTTP."""


class Unreachable(HttpError):
    """Nothing listens there (or the network does not lead there)."""


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]  # names lower-cased; a repeated header keeps its last value
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class Client:
    """How to talk to live endpoints: a per-exchange deadline and, for https, a TLS context
    (certificate checks on by default; `insecure_context()` observes without them)."""

    timeout: float = 5.0
    tls: ssl.SSLContext = field(default_factory=ssl.create_default_context)

    def get(self, url: str, headers: dict[str, str] | None = None) -> Reply:
        return self.request("GET", url, headers=headers)

    def request(
        self,
        method: str,
        url: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise HttpError(f"not an http(s) URL: {url}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        lines = [f"{method} {target} HTTP/1.0", f"Host: {parts.netloc}", "User-Agent: triplock"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")
        deadline = time.monotonic() + self.timeout
        context = self.tls if parts.scheme == "https" else None
        data = exchange(parts.hostname, port, raw, deadline, context)
        return parse_reply(data)


def insecure_context() -> ssl.SSLContext:
    """TLS without certificate checks: for observing a service, never for sending a secret."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def exchange(
    host: str,
    port: int,
    request: bytes,
    deadline: float,
    tls: ssl.SSLContext | None = None,
    max_bytes: int = MAX_REPLY_BYTES,
) -> bytes:
    """Send `request`, read until the server closes, the deadline passes or `max_bytes`."""
    try:
        sock = socket.create_connection((host, port), timeout=time_left(deadline))
    except OSError as e:
        raise Unreachable(f"cannot connect to {host}:{port}: {reason_of(e)}") from None
    try:
        if tls is not None:
            sock.settimeout(time_left(deadline))
            sock = tls.wrap_socket(sock, server_hostname=host)
        sock.settimeout(time_left(deadline))
        sock.sendall(request)
        chunks: list[bytes] = []
        size = 0
        while size < max_bytes:
            sock.settimeout(time_left(deadline))
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    except TimeoutError:
        raise HttpError(f"{host}:{port} did not answer in time") from None
    except ssl.SSLError as e:
        raise HttpError(f"TLS with {host}:{port} failed: {reason_of(e)}") from None
    except OSError as e:
        raise HttpError(f"{host}:{port}: {reason_of(e)}") from None
    finally:
        sock.close()


def parse_reply(data: bytes) -> Reply:
    head, sep, body = data.partition(b"\r\n\r\n")
    lines = head.decode("iso-8859-1").split("\r\n")
    status_line = lines[0].split(" ", 2)
    if not sep or len(status_line) < 2 or not status_line[0].startswith("HTTP/"):
        raise HttpError("the reply is not HTTP" if data else "the server closed without a reply")
    if not status_line[1].isdigit():
        raise HttpError("the reply is not HTTP (no status code)")
    headers = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    return Reply(int(status_line[1]), headers, body)


def time_left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    return left


def reason_of(e: BaseException) -> str:
    return getattr(e, "reason", None) or getattr(e, "strerror", None) or str(e) or type(e).__name__
