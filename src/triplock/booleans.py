"""The one boolean reader: what each product itself accepts as true and false.

- SPARK: `true` / `false` in any case, trimmed; anything else stops the application.
  `ConfigBuilder.booleanConf` reads with `ConfigHelpers.toBoolean`: `s.trim.toBoolean`.
- HADOOP: `true` / `false` in any case, trimmed; anything else logs a warning and gives the
  key's default. `Configuration.getBoolean`: `getTrimmed`, then `equalsIgnoreCase`.
- GRAMINE: the TOML booleans `true` / `false` only, no strings, no 1/0; anything else rejects
  the manifest. `toml_bool_in` reads with tomlc99's `toml_rtob`.
- GRAPHENE: `true` / `false`, and `1` / `0` as its manifest syntax wrote them
  (`sgx.debug=[1|0]`, integers in its early TOML manifests).
- OCCLUM: the JSON booleans `true` / `false`; Occlum.json is read into `bool` fields by serde.
- CEPH: `true` / `false` in any ASCII case, or a decimal integer (non-zero is true); anything
  else (`yes`, `on`) is refused and the option keeps its default. `Option::parse_value`:
  `strcasecmp`, then `strict_strtol(val, 10)`.

"Trimmed" is Java's `String.trim()` (every char up to U+0020, no other space) and "any case"
is Java's `equalsIgnoreCase` (char by char, so `falſe` with a long s is false);
tests/test_booleans.py compares both with the real Spark and Hadoop methods. Whatever the
product does with a non-boolean, the reader answers None: the rule says `unknown` and shows
the value rather than judging what a typo falls back to. Sources turn TOML and JSON booleans
into the text `true`/`false`, so a quoted "true" reads as true too (a string would be refused).
"""

from __future__ import annotations

import enum
import re

from triplock.inventory import Setting


class Dialect(enum.Enum):
    SPARK = "spark"
    HADOOP = "hadoop"
    GRAMINE = "gramine"
    GRAPHENE = "graphene"
    OCCLUM = "occlum"
    CEPH = "ceph"


_JAVA_TRIM = "".join(chr(c) for c in range(0x21))
_EXACT = {"true": True, "false": False}
_C_INT = re.compile(r"[ \t\n\v\f\r]*[+-]?[0-9]+")
_INT_RANGE = range(-(2**31), 2**31)
_GRAPHENE = {**_EXACT, "1": True, "0": False}


def parse_bool(text: str, dialect: Dialect) -> bool | None:
    """True or False as `dialect` reads `text`; None when the product would not take it."""
    if dialect is Dialect.SPARK or dialect is Dialect.HADOOP:
        word = text.strip(_JAVA_TRIM)
        if _java_equals_ignore_case(word, "true"):
            return True
        return False if _java_equals_ignore_case(word, "false") else None
    if dialect is Dialect.CEPH:
        return _ceph_bool(text)
    return (_GRAPHENE if dialect is Dialect.GRAPHENE else _EXACT).get(text)


def flag_of(
    setting: Setting | None, default: bool | None, dialect: Dialect, partial: bool = False
) -> bool | None:
    """A boolean setting: its value, `default` when unset, None when templated or not a
    boolean, or unset where the inputs are `partial` (it may be set where we cannot see)."""
    if setting is None:
        return None if partial else default
    if setting.templated:
        return None
    return parse_bool(setting.value, dialect)


def _ceph_bool(text: str) -> bool | None:
    if text.isascii() and text.lower() in _EXACT:
        return _EXACT[text.lower()]
    if _C_INT.fullmatch(text) and int(text) in _INT_RANGE:
        return int(text) != 0
    return None


def _java_equals_ignore_case(text: str, word: str) -> bool:
    """String.equalsIgnoreCase against an ASCII word: per char, equal upper or lower case."""
    return len(text) == len(word) and all(
        c == w or c.upper() == w.upper() or c.lower() == w.lower()
        for c, w in zip(text, word, strict=True)
    )
