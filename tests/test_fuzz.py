"""A fuzzer over every input kind: mutated deployments through the whole audit, every format.

Seeds are the canary corpus (Spark confs, submit scripts, Hadoop XML with includes, Kubernetes
YAML, keystores, PEM, Gramine and Occlum manifests, ... each planting secrets that contain
CANARY), plus a probe report, a Kubernetes JSON list and a configuration file. Each example
copies one seed directory, mutates one file in it (bytes replaced, inserted, deleted,
duplicated, repeated or cut; fragments of every syntax spliced in; the file renamed to another
kind's name) and runs `triplock audit` in-process with every format at once. It holds when:
- no exception escapes, and the exit code is 0, 1 or 2;
- no CANARY reaches any output, for every secret whose lines (and the lines just above them,
  where YAML and XML put the key) the mutation left as they were: a mutation that rewrites
  `password:` into `passwXrd:` makes its value an ordinary one, which a report may show.

The normal suite runs a few hundred derandomized examples; `make fuzz` runs many more, with a
new random seed each time (TRIPLOCK_FUZZ_EXAMPLES).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import ROOT, run_cli
from triplock import formats

CANARY = b"CANARY"
CORPUS = ROOT / "tests" / "fixtures" / "canary"
_LONG_RUN = int(os.environ.get("TRIPLOCK_FUZZ_EXAMPLES", "0"))
# A per-input deadline that only a hang reaches: the linear-time work on the parsers (issue 12
# item 4) owns the inputs that are merely slow.
_DEADLINE = timedelta(seconds=120)

# Fragments of every syntax triplock reads, spliced in at random places.
_FRAGMENTS = [
    *(b"\x00", b"\xff\xfe", b"\x1b]8;;http://x\x1b\\", b"\x1b[31m", b"\r", b"\r\n", b"\t"),
    *(b"\\u0000", b"\\", b"\\\n", b"'", b'"', b"`", b"$(", b"${", b"{{ .Values.x }}", b"{%"),
    *(b": ", b"- ", b"&a ", b"*a", b"<<: *a", b"!!binary ", b"? ", b"---\n", b"...\n", b"|\n"),
    *(b"[", b"]", b"{", b"}", b",", b"1e999", b"-0", b"9" * 5000, b"null", b"true", b"[[", b"]]"),
    *(b"<!--", b"-->", b"<![CDATA[", b"]]>", b"&amp;", b"<!DOCTYPE x>", b"<property>"),
    *(b'<xi:include href="core-site.xml"/>', b'<xi:include href="/dev/zero"/>', b"</value>"),
    *(b"-----BEGIN CERTIFICATE-----\n", b"-----END PRIVATE KEY-----\n", b"MIIB", b"=="),
    *(b"spark.authenticate ", b"spark.ssl.keyStore ", b"--conf ", b"spark-submit ", b"<<EOF\n"),
    *(b"privileged: true\n", b"kind: List\n", b"items:\n", b"hostNetwork: true\n"),
    *(b"sgx.debug = true\n", b"loader.env.X = ", b'"hosts": 5', b'"devices": 7', b"# triplock:"),
]
# Names that make another source claim the mutated file.
_NAMES = [
    *("spark-defaults.conf", "app.conf", "submit.sh", "job.properties", "core-site.xml"),
    *("ssl-server.xml", "conf.xml", "pod.yaml", "list.json", "Occlum.json", "app.manifest"),
    *("app.manifest.template", "probe.json", "probes.jsonl", "server.pem", "ks.jks", "ks.p12"),
    *("tls.crt", "tls.key", "README.md", "caf\udce9.conf", "\x1b]8;;x\x1b\\.yaml"),
]


@dataclass(frozen=True)
class _Group:
    """A seed directory: its files' bytes by relative path."""

    name: str
    files: dict[str, bytes] = field(repr=False)  # a failing case names the group only


def _groups() -> list[_Group]:
    dirs = sorted({p.parent for p in CORPUS.rglob("*") if p.is_file()})
    groups = [
        _Group(
            str(d.relative_to(CORPUS)),
            {p.name: p.read_bytes() for p in sorted(d.iterdir()) if p.is_file()},
        )
        for d in dirs
    ]
    return [*groups, _extra_seeds()]


def _extra_seeds() -> _Group:
    """Input kinds the canary corpus does not hold: a probe report and a Kubernetes JSON
    list (an Occlum, Gramine and config file are in the corpus or the config test)."""
    from triplock.probe.host import probe_host
    from triplock.probe.report import render_json

    hosts = ROOT / "tests" / "fixtures" / "tee" / "hosts"
    report = render_json([probe_host(str(hosts / h)) for h in ("sgx", "tdx")])
    return _Group(
        "extra",
        {
            "probe.json": report.encode(),
            "list.json": (ROOT / "tests" / "fixtures" / "kube" / "list.json").read_bytes(),
        },
    )


GROUPS = _groups()

_position = st.integers(min_value=0, max_value=1 << 16)
_insert = st.one_of(st.sampled_from(_FRAGMENTS), st.binary(min_size=1, max_size=12))
_MUTATIONS = st.one_of(
    st.tuples(st.just("replace"), _position, st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("insert"), _position, _insert),
    st.tuples(st.just("delete"), _position, st.integers(1, 64)),
    st.tuples(st.just("duplicate"), _position, st.integers(1, 256), _position),
    st.tuples(st.just("repeat"), _position, _insert, st.integers(2, 300)),
    st.tuples(st.just("cut"), _position),
)


def _mutate(data: bytes, mutation: tuple[object, ...]) -> bytes:
    kind, at, *rest = mutation
    assert isinstance(at, int)
    at = at % (len(data) + 1)
    if kind == "replace":
        (chunk,) = rest
        assert isinstance(chunk, bytes)
        return data[:at] + chunk + data[at + len(chunk) :]
    if kind == "insert":
        (chunk,) = rest
        assert isinstance(chunk, bytes)
        return data[:at] + chunk + data[at:]
    if kind == "delete":
        (length,) = rest
        assert isinstance(length, int)
        return data[:at] + data[at + length :]
    if kind == "duplicate":
        length, to = rest
        assert isinstance(length, int) and isinstance(to, int)
        to = to % (len(data) + 1)
        return data[:to] + data[at : at + length] + data[to:]
    if kind == "repeat":
        chunk, times = rest
        assert isinstance(chunk, bytes) and isinstance(times, int)
        return data[:at] + chunk * times + data[at:]
    return data[:at]  # cut


@dataclass(frozen=True)
class _Case:
    group: _Group
    target: str  # the seed file mutated
    name: str  # its name in the mutated tree
    data: bytes


@st.composite
def _cases(draw: st.DrawFn) -> _Case:
    group = draw(st.sampled_from(GROUPS))
    target = draw(st.sampled_from(sorted(group.files)))
    data = group.files[target]
    for mutation in draw(st.lists(_MUTATIONS, min_size=1, max_size=6)):
        data = _mutate(data, mutation)
    name = draw(st.one_of(st.just(target), st.sampled_from(_NAMES)))
    return _Case(group, target, name, data)


def _windows(data: bytes, above: int = 3) -> set[bytes]:
    """Each line that holds a canary, with the lines just above it (its key, its parents)."""
    lines = data.split(b"\n")
    return {
        b"\n".join(lines[max(0, i - above) : i + 1])
        for i, line in enumerate(lines)
        if CANARY in line
    }


def _secrets_intact(case: _Case) -> bool:
    """Whether every canary of the mutated file sits as it did in the seed, and the file
    kept its name (a spark-defaults.conf renamed README.md is no longer a conf)."""
    if case.name != case.target:
        return False
    return _windows(case.data) <= _windows(case.group.files[case.target])


def _write_tree(root: Path, case: _Case) -> None:
    for name, data in case.group.files.items():
        if name != case.target:
            (root / name).write_bytes(data)
    (root / case.name).write_bytes(case.data)


def _audit_every_format(root: Path, out: Path) -> tuple[int, list[str]]:
    names = formats.names()
    args = ["audit", str(root), "--fail-on", "high"]
    for name in names:
        args += ["--format", name, "-o", str(out / f"report.{name}")]
    args[-1] = "-"  # the last format to stdout: the CLI's own path to a terminal or pipe
    result = run_cli(*args)
    texts = [result.out, result.err]
    texts += [(out / f"report.{n}").read_text(encoding="utf-8") for n in names[:-1]]
    return result.code, texts


@settings(
    max_examples=_LONG_RUN or 300,
    derandomize=not _LONG_RUN,
    deadline=_DEADLINE,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(_cases())
def test_mutated_inputs_never_crash_or_leak(case: _Case) -> None:
    with tempfile.TemporaryDirectory(prefix="triplock-fuzz-") as tmp:
        root, out = Path(tmp) / "tree", Path(tmp) / "out"
        root.mkdir()
        out.mkdir()
        _write_tree(root, case)
        code, texts = _audit_every_format(root, out)
        assert code in (0, 1, 2), texts[1]
        assert "Traceback" not in texts[1]
        if _secrets_intact(case):
            leaked = [t for t in texts if CANARY.decode() in t]
            assert not leaked, f"a secret of {case.group.name}/{case.target} leaked"
        shutil.rmtree(out)


_CONFIG_SEEDS = {
    ".triplock.yaml": b"fail-on: medium\nformats: [json]\noutputs: ['-']\n"
    b"disable: [SPARK-020]\ninline-waivers: false\nwaivers:\n  - rule: SPARK-001\n"
    b"    path: 'deploy/**'\n    reason: lab\n    expires: 2030-12-31\n"
    b"  - control: k8s.rbac\n    reason: r\n",
    "pyproject.toml": b'[tool.triplock]\nfail-on = "medium"\ndisable = ["SPARK-020"]\n'
    b'[[tool.triplock.waivers]]\nrule = "SPARK-001"\nreason = "lab"\nexpires = 2030-12-31\n',
}


@settings(
    max_examples=_LONG_RUN or 200,
    derandomize=not _LONG_RUN,
    deadline=_DEADLINE,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(_MUTATIONS, min_size=1, max_size=6), st.sampled_from(sorted(_CONFIG_SEEDS)))
def test_mutated_config_files_are_usage_errors_or_apply(
    mutations: list[tuple[object, ...]], name: str
) -> None:
    data = _CONFIG_SEEDS[name]
    for mutation in mutations:
        data = _mutate(data, mutation)
    with tempfile.TemporaryDirectory(prefix="triplock-fuzz-") as tmp:
        config = Path(tmp) / name
        config.write_bytes(data)
        conf = Path(tmp) / "spark-defaults.conf"
        conf.write_text("spark.authenticate false\n")
        result = run_cli("audit", str(conf), "--config", str(config), "--format", "json")
        assert result.code in (0, 1, 2), result.err
        assert "Traceback" not in result.err
        if result.code == 2:
            assert result.err.startswith(f"triplock: error: {config}"), result.err
