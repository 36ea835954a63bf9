from collections.abc import Callable

from triplock.secret_classifier.remembered import SHORT_CHARS, forget, remembered_for_short


def _counting() -> tuple[list[tuple[str | None, str, bool]], Callable[..., str]]:
    calls: list[tuple[str | None, str, bool]] = []

    @remembered_for_short
    def answer(key: str | None, value: str, flag: bool = False) -> str:
        calls.append((key, value, flag))
        return f"{key}={value}:{flag}"

    return calls, answer


def test_a_short_value_is_worked_out_once_per_arguments() -> None:
    calls, answer = _counting()
    assert answer("k", "v") == answer("k", "v") == "k=v:False"
    assert answer("k", "v", flag=True) == "k=v:True"
    assert answer("other", "v") == "other=v:False"
    assert calls == [("k", "v", False), ("k", "v", True), ("other", "v", False)]


def test_a_long_value_is_worked_out_every_time() -> None:
    calls, answer = _counting()
    long = "x" * (SHORT_CHARS + 1)
    answer("k", long)
    answer("k", long)
    assert len(calls) == 2


def test_forget_drops_what_was_remembered() -> None:
    calls, answer = _counting()
    answer("k", "v")
    forget()
    answer("k", "v")
    assert len(calls) == 2
