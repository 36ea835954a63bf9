"""The interoperability farm: real TLS servers with known settings on 127.0.0.1 free ports.

A small PKI (root CA, intermediate CA, RSA, ECDSA and expired leaves) is made with
`cryptography`; each server is an `openssl s_server` variant or nginx. Used by the tests
(conftest.py) and by benchmarks/tls_vs_peers.py.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = dt.datetime.now(dt.UTC)


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _launch(
    command: Callable[[int], list[str]], tries: int = 3
) -> tuple[int, subprocess.Popen[bytes]]:
    """Start a server on a free port and wait until it listens. The port is free when chosen but
    may be taken before the server binds it (by another server, or a client's ephemeral port
    during a parallel scan): then the server exits and is started again on another port."""
    for attempt in range(tries):
        port = free_port()
        process = subprocess.Popen(
            command(port), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_listening(port, process)
        except RuntimeError:
            process.kill()
            process.wait()
            if attempt == tries - 1:
                raise
        else:
            return port, process
    raise AssertionError("unreachable")


def wait_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(
    subject: str,
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    issuer: tuple[str, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey] | None,
    ca: bool,
    days: tuple[int, int] = (-1, 90),
) -> x509.Certificate:
    issuer_name, issuer_key = issuer if issuer else (subject, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW + dt.timedelta(days=days[0]))
        .not_valid_after(NOW + dt.timedelta(days=days[1]))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


# RFC 2409 Oakley group 2: the shared 1024-bit MODP group that Logjam precomputation targets.
OAKLEY_GROUP2 = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A0879"
    "8E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B"
    "0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF",
    16,
)


def _oakley_group2() -> bytes:
    from cryptography.hazmat.primitives.asymmetric import dh

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cryptography deprecates FFDH: that is the point here
        params = dh.DHParameterNumbers(OAKLEY_GROUP2, 2).parameters()
    return params.parameter_bytes(serialization.Encoding.PEM, serialization.ParameterFormat.PKCS3)


@dataclass
class Pki:
    root: Path
    files: dict[str, Path]
    leaf_key: rsa.RSAPrivateKey
    leaf: x509.Certificate
    intermediate: x509.Certificate


def make_pki(directory: Path) -> Pki:
    """Root -> intermediate -> leaves; files by role name, keys mode 0600."""
    directory.mkdir(parents=True, exist_ok=True)
    root_key = rsa.generate_private_key(65537, 2048)
    root = _cert("triplock test root", root_key, None, ca=True, days=(-1, 3650))
    mid_key = rsa.generate_private_key(65537, 2048)
    mid = _cert("triplock test intermediate", mid_key, ("triplock test root", root_key), True)
    issuer = ("triplock test intermediate", mid_key)
    rsa_key = rsa.generate_private_key(65537, 2048)
    rsa_leaf = _cert("localhost", rsa_key, issuer, ca=False)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_leaf = _cert("localhost", ec_key, issuer, ca=False)
    old_key = rsa.generate_private_key(65537, 2048)
    expired = _cert("localhost", old_key, issuer, ca=False, days=(-100, -10))
    blobs = {
        "root.pem": _pem(root),
        "chain.pem": _pem(mid),
        "rsa.pem": _pem(rsa_leaf),
        "rsa.key": _key_pem(rsa_key),
        "ec.pem": _pem(ec_leaf),
        "ec.key": _key_pem(ec_key),
        "expired.pem": _pem(expired),
        "expired.key": _key_pem(old_key),
        "rsa-full.pem": _pem(rsa_leaf) + _pem(mid),
    }
    files = {}
    for name, data in blobs.items():
        path = directory / name
        path.write_bytes(data)
        if name.endswith(".key"):
            path.chmod(0o600)
        files[name] = path
    (directory / "dh1024.pem").write_bytes(_oakley_group2())
    files["dh1024.pem"] = directory / "dh1024.pem"
    return Pki(directory, files, rsa_key, rsa_leaf, mid)


def s_server_variants(pki: Pki) -> dict[str, list[str]]:
    """Each openssl s_server variant of the farm by name: its arguments beyond -accept."""
    f = {k: str(v) for k, v in pki.files.items()}
    rsa_full = ["-cert", f["rsa.pem"], "-key", f["rsa.key"], "-cert_chain", f["chain.pem"]]
    return {
        "defaults": rsa_full,
        "tls13-only": [*rsa_full, "-tls1_3"],
        "static-rsa": [*rsa_full, "-no_tls1_3", "-cipher", "kRSA"],
        "legacy-tls10-11": [
            *rsa_full, "-min_protocol", "TLSv1", "-max_protocol", "TLSv1.1",
            "-cipher", "ALL:@SECLEVEL=0",
        ],
        "dhe-1024": [
            *rsa_full, "-no_tls1_3", "-dhparam", f["dh1024.pem"],
            "-cipher", "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:@SECLEVEL=0",
        ],
        "ecdsa-full-chain": ["-cert", f["ec.pem"], "-key", f["ec.key"], "-cert_chain",
                             f["chain.pem"]],
        "leaf-only": ["-cert", f["rsa.pem"], "-key", f["rsa.key"]],
        "expired": ["-cert", f["expired.pem"], "-key", f["expired.key"], "-cert_chain",
                    f["chain.pem"]],
        "client-cert": [*rsa_full, "-Verify", "1", "-CAfile", f["root.pem"]],
        "server-preference": [
            *rsa_full, "-serverpref",
            "-cipher", "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA",
        ],
        "groups-x25519-p224": [*rsa_full, "-no_tls1_3", "-serverpref", "-groups", "X25519:P-224"],
        "groups-many": [
            *rsa_full, "-no_tls1_3", "-serverpref",
            "-groups", "brainpoolP256r1:secp521r1:X448:P-256:X25519:secp256k1:P-384",
        ],
        "chacha20-only": [
            *rsa_full, "-cipher", "ECDHE-RSA-CHACHA20-POLY1305",
            "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256",
        ],
    }  # fmt: skip


MOZILLA_CIPHERS = (
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
)
NGINX_CONF = """
worker_processes 1;
daemon off;
master_process off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name localhost;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        # Mozilla intermediate (guidelines 5.7, without DHE as in 6.0)
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_ecdh_curve X25519:prime256v1:secp384r1;
        ssl_ciphers {ciphers};
        ssl_prefer_server_ciphers off;
        ssl_session_timeout 1d;
        ssl_session_cache shared:MozSSL:10m;
        ssl_session_tickets off;
        add_header Strict-Transport-Security "max-age=63072000" always;
        location / {{ return 200 "ok\\n"; }}
    }}
}}
"""


@contextmanager
def farm(directory: Path, names: list[str] | None = None) -> Iterator[dict[str, Server]]:
    """Start the farm's servers (all, or those named); stop them all on exit."""
    pki = make_pki(directory / "pki")
    servers: dict[str, Server] = {}
    try:
        for name, args in s_server_variants(pki).items():
            if names is not None and name not in names:
                continue
            port, process = _launch(
                lambda port, args=args: ["openssl", "s_server", "-accept", f"127.0.0.1:{port}",
                                         "-www", "-quiet", *args]
            )  # fmt: skip
            servers[name] = Server(name, port, process)
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if (names is None or "nginx-intermediate" in names) and os.path.exists(nginx):
            conf_dir = directory / "nginx"
            conf_dir.mkdir(parents=True, exist_ok=True)
            conf = conf_dir / "nginx.conf"

            def nginx_command(port: int) -> list[str]:
                conf.write_text(
                    NGINX_CONF.format(
                        dir=conf_dir, port=port, cert=pki.files["rsa-full.pem"],
                        key=pki.files["rsa.key"], ciphers=MOZILLA_CIPHERS,
                    )
                )  # fmt: skip
                return [
                    nginx,
                    "-p",
                    str(conf_dir),
                    "-c",
                    str(conf),
                    "-e",
                    str(conf_dir / "error.log"),
                ]

            port, process = _launch(nginx_command)
            servers["nginx-intermediate"] = Server("nginx-intermediate", port, process)
        yield servers
    finally:
        for server in servers.values():
            server.process.terminate()
        for server in servers.values():
            try:
                server.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                server.process.kill()
