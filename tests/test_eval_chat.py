"""The chat evaluation: the shipped conversations and routing prompts have the documented shape, each
expectation is scored from song digests, and one run through the real `tunesmith batch` with a
scripted chat model (tests/fake_cli.py) catches a wrong effect and a reply that contradicts the song."""

from __future__ import annotations

import doctest
import json
import shutil
import sys
from pathlib import Path

import pytest

from tunesmith.eval import eval_chat as ec
from tunesmith.eval import eval_routing as er
from tunesmith.tokenization.contract import contract

LAUNCHER = Path(__file__).resolve().parent / "fake_cli.py"
NEW_TOOLS = ("change_chord", "reharmonize_bars", "rewrite_lyric_line", "transpose", "change_mode", "change_tempo",
             "undo", "describe_song", "explain_choice", "music_knowledge")


def test_doctests() -> None:
    assert doctest.testmod(ec).failed == 0


# ---------------------------------------------------------------- the data files

def test_the_conversations_have_the_documented_shape() -> None:
    rows = ec.load_conversations()  # raises on an unknown expectation, part, bad chord or missing melody file
    assert len(rows) >= 32 and sum(r["lang"] == "en" for r in rows) >= 20 and sum(r["lang"] == "zh" for r in rows) >= 12
    assert all(8 <= len(r["turns"]) <= 12 for r in rows)
    names = set(contract().names)
    tools = {t for r in rows for turn in r["turns"] for t in ([turn["expect"].get("tool")] if isinstance(
        turn["expect"].get("tool"), str) else turn["expect"].get("tool") or [])}
    assert tools <= names and set(NEW_TOOLS) - {"describe_song", "explain_choice", "music_knowledge"} <= tools
    kinds = {k for r in rows for turn in r["turns"] for k in turn["expect"]}
    assert kinds == set(ec.KINDS)
    for row in rows:  # no turn can be right by accident from the start: same_as names an earlier turn
        for number, turn in enumerate(row["turns"], 1):
            assert turn["expect"].get("same_as", 0) < number
    start = ec.start_digest(next(r for r in rows if r.get("melody")))
    assert start["key"] == "D major" and start["bars"] == 8 and start["chords"]["6"] == ["G", "A"]


def test_a_malformed_conversation_is_refused(tmp_path: Path) -> None:
    bad = [{"id": "a", "lang": "en", "turns": [{"user": "hi", "expect": {"unchanged": ["tune"], "colour": "red"}}]},
           {"id": "a", "lang": "fr", "melody": "none.abc", "turns": [{"user": "x", "expect": {"same_as": 1}}]}]
    problems = ec.check_conversations(bad, base=tmp_path)
    assert problems == ["a turn 1: unknown expectation 'colour'", "a turn 1: unchanged: unknown part 'tune'",
                        "missing or repeated id 'a'", "a: lang must be en or zh", "a: no melody file none.abc",
                        "a turn 1: same_as must name an earlier turn (0 = the start)"]


def test_heldout_e_has_the_documented_shape() -> None:
    rows = er.load_prompts("heldout-e")
    tools = contract().tools
    assert len(rows) == 100 and len({r["id"] for r in rows}) == 100
    assert sum(r["lang"] == "en" for r in rows) == 60 and sum(r["lang"] == "zh" for r in rows) == 40
    for row in rows:
        expect = row["expect"]
        tool = expect.get("tool")
        if tool:
            assert tool in NEW_TOOLS and tools[tool].task == expect["task"], row["id"]
            allowed = {a.name: a for a in tools[tool].args}
        else:
            assert expect["task"] in set(er.TOOL_TASKS.values()) | {"chat"}, row["id"]
            allowed = {a.name: a for t in tools.values() if t.task == expect["task"] for a in t.args}
        for name, value in expect["args"].items():
            arg = allowed[name]
            if arg.is_int:
                assert type(value) is int and arg.low <= value <= arg.high, (row["id"], name)
            elif arg.enum:
                assert value in arg.enum, (row["id"], name)
            else:
                assert isinstance(value, str) and value.strip() == value, (row["id"], name)
    named = [r["expect"]["tool"] for r in rows if r["expect"].get("tool")]
    assert len(named) >= 40 and all(named.count(t) >= 2 for t in NEW_TOOLS)
    assert {r["expect"]["task"] for r in rows} == set(er.TOOL_TASKS.values()) | {"chat"}
    if er.SET_FILES["dev"].is_file():
        assert not {r["prompt"] for r in er.load_prompts("dev")} & {r["prompt"] for r in rows}


def test_the_routing_score_counts_a_named_tool() -> None:
    prompt = {"id": "p", "lang": "en", "prompt": "x", "set": "t",
              "expect": {"task": "edit", "tool": "change_chord", "args": {"bar": 3, "chord": "F"}}}
    line = {"id": "p", "ok": True, "turn_seconds": [1.0], "tool_calls": [
        {"name": "transpose", "args": {"bar": 3, "chord": "F"}, "ok": True, "turn": 1, "content": ""}]}
    wrong = er.score(prompt, line)
    assert wrong["task_ok"] and wrong["tool_ok"] is False and not wrong["args_ok"]
    line["tool_calls"][0]["name"] = "change_chord"
    right = er.score(prompt, line)
    assert right["tool_ok"] and right["args_ok"]
    report = er.summarise([wrong, right])
    assert report["named_tools"] == {"n": 2, "right_tool": 1, "by_tool": {"change_chord": {"n": 2, "right_tool": 1}}}


# ---------------------------------------------------------------- scoring turns (pure)

BEFORE = {"title": "T", "key": "D major", "mode": "major", "meter": "4/4", "tempo": 100, "bars": 8, "pickup": False,
          "chords": {"1": ["D"], "2": ["G"], "3": ["D"], "4": ["A7"]}, "lyrics": ["the sea is wide", "and I am far",
                                                                               "beneath the moon", "the night is cold"],
          "melody": "m1", "rhythm": "r1", "notes": 30}


def after(**changes) -> dict:
    return {**BEFORE, **changes}


def check(expect: dict, new: dict, *, reply: str = "ok", calls: list | None = None,
          history: list | None = None) -> dict:
    calls = [{"name": "x", "args": {}, "ok": True}] if calls is None else calls
    return ec.check_turn(expect, before=BEFORE, after=new, reply=reply, calls=calls, history=history or [BEFORE])


def test_right_effects_pass() -> None:
    changed = after(chords={**BEFORE["chords"], "3": ["F"]})
    expect = {"tool": "change_chord", "chords": {"3": "F"}, "unchanged": ["melody", "lyrics", "other_chords"]}
    assert check(expect, changed, calls=[{"name": "change_chord", "ok": True}]) == dict.fromkeys(expect)
    moved = after(key="G major", melody="m2", chords={"1": ["G"], "2": ["C"], "3": ["G"], "4": ["D7"]})
    assert set(check({"key": "G", "changed": ["melody"], "unchanged": ["rhythm", "lyrics", "bars"]},
                     moved).values()) == {None}
    rewritten = after(lyrics=["the sea is wide", "and I am far", "beneath the moon", "a falling star"])
    assert set(check({"lyric_line_changed": 4, "rhymes": [2, 4], "unchanged": ["other_lyrics"]},
                     rewritten).values()) == {None}
    assert check({"chords": {"4": "A7 D"}}, after(chords={**BEFORE["chords"], "4": ["A7", "D"]})) == {"chords": None}
    assert check({"same_as": 0, "tool": ["undo", "change_mode"]}, dict(BEFORE),
                 calls=[{"name": "undo", "ok": True}]) == {"same_as": None, "tool": None}
    assert check({"reply_lang": "zh", "tempo": 140}, after(tempo=140), reply="好的，速度改成了140。") == {
        "reply_lang": None, "tempo": None}


def test_wrong_effects_are_caught() -> None:
    found = check({"tool": "change_chord", "chords": {"3": "F"}, "unchanged": ["melody", "other_chords"]},
                  after(chords={**BEFORE["chords"], "3": ["G"], "4": ["E"]}, melody="m2"),
                  calls=[{"name": "change_chord", "ok": False}])
    assert found == {"tool": "no successful call to change_chord (calls: ['change_chord'])",
                     "chords": "bar 3 has G, not F",
                     "unchanged": "unchanged expected, but not for: melody, other_chords"}
    assert check({"key": "G major"}, after(key="G minor")) == {"key": "key is G minor, not G major"}
    assert check({"has": ["lyrics", "chords"]}, after(lyrics=[], chords={})) == {
        "has": "the song has no lyrics, chords"}
    assert check({"chords_changed": "3-4"}, dict(BEFORE)) == {"chords_changed": "no chord of bars 3-4 changed"}
    assert check({"lyric_line_changed": 2, "rhymes": [2, 4]}, dict(BEFORE))["lyric_line_changed"] is not None
    assert check({"rhymes": [1, 2]}, dict(BEFORE))["rhymes"].startswith("lines 1 and 2 do not rhyme")
    assert check({"same_as": 0}, after(tempo=90)) == {"same_as": "the song is not as it was after turn 0"}
    assert check({"changed": ["melody"]}, dict(BEFORE)) == {"changed": "changed expected, but not for: melody"}
    assert check({"reply_lang": "zh"}, dict(BEFORE), reply="Done!") == {"reply_lang": "the reply is in en, not zh"}
    assert check({"meter": "3/4", "bars": 16}, dict(BEFORE)) == {"meter": "meter is 4/4, not 3/4",
                                                                 "bars": "bars is 8, not 16"}


def test_a_conversation_that_ends_early_fails_its_remaining_turns() -> None:
    conv = {"id": "c", "lang": "en", "turns": [{"user": "hi", "expect": {"unchanged": ["song"]}},
                                               {"user": "tempo 90", "expect": {"tempo": 90}}]}
    result = {"id": "c", "ok": False, "error": "boom", "turn_seconds": [0.5],
              "tool_calls": [], "turns": [{"turn": 1, "reply": "Hello! It's 8 bars in C major.", "tool_calls": [],
                                           "state": BEFORE}]}
    rows = ec.score_conversation(conv, result, start=BEFORE)
    assert [r["right"] for r in rows] == [True, False]
    assert rows[1]["checks"] == {"tempo": "no result for this turn (boom)"}
    assert rows[0]["contradictions"] == ['says "C major", but the song is in D major']
    report = ec.summarise(rows)
    assert report["overall"] == {"n": 2, "right": 1, "rate": 0.5}
    assert report["contradictions"] == {"replies": 1, "contradicting": 1, "rate": 1.0, "by_lang": {"en": 1}}
    assert report["by_kind"] == {"tempo": {"n": 1, "right": 0, "rate": 0.0},
                                 "unchanged": {"n": 1, "right": 1, "rate": 1.0}}
    assert [f["turn"] for f in report["failures"]] == [2] and report["turn_s"]["n"] == 1


# ---------------------------------------------------------------- end to end through `tunesmith batch`

def test_end_to_end_with_a_scripted_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(ec.CONVERSATIONS.parent / "chat_tune.abc", tmp_path / "chat_tune.abc")
    turns = [("add chords please", {"tool": "recommend_chords", "has": ["chords"], "unchanged": ["melody"]}),
             ("what key is it in?", {"unchanged": ["song"], "reply_lang": "en"}),
             ("transpose it to G", {"tool": "transpose", "key": "G major"}),  # the model only says it did
             ("thanks!", {"unchanged": ["song"]})]
    conversations = tmp_path / "talks.jsonl"
    conversations.write_text(json.dumps({"id": "t1", "lang": "en", "melody": "chat_tune.abc",
                                         "turns": [{"user": u, "expect": e} for u, e in turns]}) + "\n")
    script = [["recommend_chords", {"per": "bar"}], "Here are the chords.", "It's in D major, 8 bars.",
              "Done, it's in G major now.", "You're welcome!"]
    monkeypatch.setenv("FUZZ_FAKE_STEPS", json.dumps(script))
    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(er, "tunesmith_command", lambda: [sys.executable, str(LAUNCHER)])
    out = tmp_path / "chat.json"
    ec.main(["--model", "embedded", "--conversations", str(conversations), "--out", str(out),
             "--work", str(tmp_path / "work")])
    report = json.loads(out.read_text())
    assert report["overall"] == {"n": 4, "right": 3, "rate": 0.75}
    assert [(f["turn"], sorted(f["failed"])) for f in report["failures"]] == [(3, ["key", "tool"])]
    assert report["contradictions"]["contradicting"] == 1
    assert report["contradicting_replies"][0]["contradictions"] == ['says "G major", but the song is in D major']
    assert report["by_kind"]["tool"] == {"n": 2, "right": 1, "rate": 0.5} and report["turn_s"]["n"] == 4
    first = report["rows"][0]
    assert first["tool_calls"] == [{"name": "recommend_chords", "args": {"per": "bar"}, "ok": True}]
