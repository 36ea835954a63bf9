"""Redaction and secret classification are linear in their input: each hostile shape is timed
at 1, 2, 4 and 8 MiB (plus a 9 MB line) through redact.show, redact.show_command and
secret_classifier.literal_secret; the ratio column is time(2n)/time(n), about 2 when linear.
The `old-url-regex` row times, for comparison, the URL-credential regex redact.py used before
(it is quadratic: it is run at 25k, 50k and 100k characters only).

    python benchmarks/redact_linear.py
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable

from triplock.redact import show, show_command
from triplock.secret_classifier import literal_secret

MIB = 1 << 20
SHAPES: dict[str, Callable[[int], str]] = {
    "letters (no ://)": lambda n: "a" * n,
    "repeated ://": lambda n: "://" * (n // 3),
    "scheme://user:pw chains": lambda n: "x://a:b" * (n // 7),
    "@ and : without //": lambda n: "a:b@" * (n // 4),
    "${ runs": lambda n: "${" * (n // 2),
    "quotes": lambda n: '"' * n,
    'JSON "password": pairs': lambda n: '"password":"x",' * (n // 16),
    "form password=x&": lambda n: "password=x&" * (n // 11),
    "oracle:thin: chains": lambda n: "oracle:thin:a/" * (n // 14),
}
OLD_URL_CREDENTIALS = re.compile(
    r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]+):[^@/\s]+@"
)


def seconds(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def one_shape(text: str) -> float:
    return (
        seconds(lambda: show("spark.eventLog.dir", text))
        + seconds(lambda: show_command(["curl", "-d", text, text]))
        + seconds(lambda: literal_secret("spark.eventLog.dir", text))
    )


def main() -> None:
    sizes = [MIB, 2 * MIB, 4 * MIB, 8 * MIB]
    print(f"{'shape':28} " + " ".join(f"{s // MIB:>6} MiB" for s in sizes) + "   9 MB  ratio")
    for name, make in SHAPES.items():
        times = [one_shape(make(size)) for size in sizes]
        nine = one_shape(make(9_000_000))
        ratio = max(b / a for a, b in itertools.pairwise(times) if a > 0)
        cells = " ".join(f"{t:8.3f} s" for t in times)
        print(f"{name:28} {cells} {nine:6.3f} s  {ratio:4.1f}")
    lengths = (25_000, 50_000, 100_000)
    old = [seconds(lambda n=n: OLD_URL_CREDENTIALS.sub("", "a" * n)) for n in lengths]
    print(
        "old-url-regex on letters: "
        + ", ".join(f"{n // 1000}k {t:.2f} s" for n, t in zip(lengths, old, strict=True))
    )


if __name__ == "__main__":
    main()
