"""The fast subset of the bad-argument fuzz (eval/fuzz/args.py): the cases that must stop at the edge,
each in its own capped process against this tree; none may give a traceback, hang or use memory."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from tunesmith.eval.fuzz import args as fuzz
from tunesmith.eval.fuzz.runner import classify, environment, run_case

EDGE = [("melody", "--seed", "-1"), ("melody", "--tempo", "0"), ("melody", "--key", "DM"), ("melody", "--key", ""),
        ("melody", "--bars", "1000000000"), ("chords", "--k", "100000000000000000000"), ("chords", "--k", "1000000"),
        ("chords", "--seed", "-1"), ("lyrics", "--theme", "a" * 10000), ("batch", "--jobs", "17")]


def _edge_cases() -> list[dict]:
    chosen = []
    for command, option, value in EDGE:
        match = next(c for c in fuzz.cases() if c["argv"][:1] == [command] and c["argv"][-2:] == [option, value])
        chosen.append(match)
    return chosen + [c for c in fuzz.cases() if c["argv"] in (["melody", "--bars", "1", "--out", "~"], ["--version"])]


def test_the_generator_covers_every_command_with_enough_cases() -> None:
    found = fuzz.cases()
    assert len(found) >= 300
    assert {c["argv"][0] for c in found if c["argv"]} >= {"melody", "chords", "lyrics", "analyze", "tool", "run",
                                                          "chat", "batch"}


def test_classify() -> None:
    assert classify(1, "", "error: x", peak_rss=0, timed_out=False) == "clean error"
    assert classify(1, "", "Traceback (most recent call last):\n", peak_rss=0, timed_out=False) == "traceback"
    assert classify(1, "", "MemoryError", peak_rss=0, timed_out=False) == "memory"
    assert classify(0, "", "", peak_rss=3 << 30, timed_out=False) == "memory"
    assert classify(None, "", "", peak_rss=0, timed_out=True) == "hang"
    assert classify(-11, "", "", peak_rss=0, timed_out=False) == "crash"


@pytest.mark.parametrize("case", _edge_cases(), ids=lambda c: " ".join(c["argv"])[:40])
def test_bad_arguments_end_as_one_clean_line(case: dict) -> None:
    work = Path(tempfile.mkdtemp(prefix="fuzz-test-"))
    try:
        fuzz._workspace(work)
        ran = run_case([str(fuzz.LAUNCHER), *case["argv"]], env=environment(home=work / "home", source=None),
                       cwd=work, timeout=60, stdin=case["stdin"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    expected = "success" if case["argv"] == ["--version"] else "clean error"
    assert ran.kind == expected, ran
    assert ran.seconds < 30 and ran.peak_rss < 1 << 30 and not ran.escapes
