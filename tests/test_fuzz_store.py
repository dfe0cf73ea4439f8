"""The fast subset of the store concurrency check (eval/fuzz/store.py), through the real command line
with the scripted chat model: two first-time `run`s at once, and two `chat -c` at once on one session."""

from __future__ import annotations

from tunesmith.eval.fuzz import store


def test_two_first_runs_on_a_fresh_home_both_work() -> None:
    found = store.first_runs(source=None, rounds=1, timeout=120)
    assert found["rounds_failed"] == 0 and found["tracebacks"] == 0, found


def test_two_chat_continues_on_one_session_keep_both_turns() -> None:
    found = store.chat_continue(source=None, rounds=1, timeout=120)
    assert found["turns_lost"] == 0 and found["tracebacks"] == 0 and found["turns_stored"] == 3, found
