"""Batches: one result per prompt, malformed lines reported, interrupted runs resume without loss or duplicates."""

from __future__ import annotations

import doctest
import json
from pathlib import Path

import pytest

from tunesmith.agent import batch as batch_module
from tunesmith.agent.batch import EXIT_FAILED, EXIT_MODEL_UNAVAILABLE, EXIT_OK, folder_name, read_results, run_batch
from tunesmith.agent.errors import AgentError
from tunesmith.agent.session import Resources
from tunesmith.tokenization.files import read_song, write_song

import agent_fakes as fakes
from tunes import down_tune


NO_MODEL = Resources(None)


def test_doctests() -> None:
    assert doctest.testmod(batch_module).failed == 0


def write_lines(path: Path, lines: list) -> Path:
    path.write_text("\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n")
    return path


def scripts(**by_id):
    """A chat model factory: each item id gets its own scripted model."""
    return lambda item: fakes.scripted(*by_id.get(item.id, []))


STYLE_SCRIPTS = {f"p{i}": [("set_style", {"tempo": 80 + i}), f"Tempo {80 + i}."] for i in range(1, 6)}


def five_prompts(tmp_path: Path) -> Path:
    return write_lines(tmp_path / "prompts.jsonl", [{"id": f"p{i}", "prompt": f"tempo {80 + i}"} for i in range(1, 6)])


def result_set(out: Path) -> list[tuple]:
    rows = read_results(out / "results.jsonl")
    return sorted((r["id"], r["ok"], r["replies"] and r["replies"][-1], json.dumps(r["tool_calls"], sort_keys=True))
                  for r in rows)


def test_one_result_per_prompt(tmp_path: Path) -> None:
    summary = run_batch(five_prompts(tmp_path), tmp_path / "out", model="scripted", resources=NO_MODEL,
                        chat_model_factory=scripts(**STYLE_SCRIPTS))
    assert (summary.ok, summary.failed, summary.malformed, summary.exit_code) == (5, 0, 0, EXIT_OK)
    rows = read_results(tmp_path / "out" / "results.jsonl")
    assert [r["id"] for r in rows] == ["p1", "p2", "p3", "p4", "p5"]
    first = rows[0]
    assert first["replies"] == ["Tempo 81."] and first["prompts"] == ["tempo 81"] and first["error"] is None
    assert first["tool_calls"] == [{"name": "set_style", "args": {"tempo": 81}, "ok": True, "turn": 1,
                                    "content": "Settings now: tempo 81 bpm (used by the next melody)."}]


def test_malformed_lines_are_reported_and_skipped(tmp_path: Path) -> None:
    lines = [{"id": "a", "prompt": "tempo 81"}, "{not json", {"prompt": "no id"}, {"id": "b"},
             {"id": "a", "prompt": "again"}, "", "# a comment", [1, 2],
             {"id": "c", "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hello."},
                                      {"role": "user", "content": "tempo 82"}]},
             {"id": "d", "messages": [{"role": "robot", "content": "x"}]}]
    path = write_lines(tmp_path / "mixed.jsonl", lines)
    models = {"a": ["ok"], "c": ["Hi!", ("set_style", {"tempo": 82}), "Done."]}
    summary = run_batch(path, tmp_path / "out", model="scripted", resources=NO_MODEL,
                        chat_model_factory=scripts(**models))
    assert (summary.ok, summary.malformed, summary.exit_code) == (2, 6, EXIT_FAILED)
    rows = read_results(tmp_path / "out" / "results.jsonl")
    errors = [r["error"] for r in rows if r["id"] is None]
    assert errors == ["line 2: not JSON (Expecting property name enclosed in double quotes at column 2)",
                      "line 3: no id (a non-empty string or number)",
                      "line 4: no prompt (a non-empty string) or messages (a list)",
                      "line 5: duplicate id 'a' (first on line 1)", "line 8: not a JSON object",
                      'line 10: each message must be {"role": "user" or "assistant", "content": "text"}']
    c = next(r for r in rows if r["id"] == "c")
    assert c["replies"] == ["Hi!", "Done."] and c["prompts"] == ["hi", "tempo 82"]
    again = run_batch(path, tmp_path / "out", model="scripted", resources=NO_MODEL, chat_model_factory=scripts())
    assert (again.skipped, again.ok) == (2, 0)
    assert len(read_results(tmp_path / "out" / "results.jsonl")) == len(rows)  # malformed lines not repeated


def test_interrupted_batch_resumes_to_the_same_result_set(tmp_path: Path) -> None:
    path = five_prompts(tmp_path)
    run_batch(path, tmp_path / "whole", model="scripted", resources=NO_MODEL, chat_model_factory=scripts(**STYLE_SCRIPTS))
    out = tmp_path / "cut"
    broken = dict(STYLE_SCRIPTS, p3=[("set_style", {"tempo": 83}), KeyboardInterrupt])
    with pytest.raises(KeyboardInterrupt):
        run_batch(path, out, model="scripted", resources=NO_MODEL, chat_model_factory=scripts(**broken))
    assert [r["id"] for r in read_results(out / "results.jsonl")] == ["p1", "p2"]
    (out / "p3").mkdir(exist_ok=True)
    (out / "p3" / "half-written.mid").write_bytes(b"MThd")
    with (out / "results.jsonl").open("a") as handle:  # a crash in the middle of writing a line
        handle.write('{"id": "p4", "ok": tr')
    summary = run_batch(path, out, model="scripted", resources=NO_MODEL, chat_model_factory=scripts(**STYLE_SCRIPTS))
    assert (summary.skipped, summary.ok, summary.exit_code) == (2, 3, EXIT_OK)
    assert result_set(out) == result_set(tmp_path / "whole")
    assert not (out / folder_name("p3") / "half-written.mid").exists()
    assert run_batch(path, out, model="scripted", resources=NO_MODEL, chat_model_factory=scripts()).skipped == 5
    assert result_set(out) == result_set(tmp_path / "whole")


def test_two_jobs_give_the_same_results(tmp_path: Path) -> None:
    path = five_prompts(tmp_path)
    run_batch(path, tmp_path / "one", model="scripted", resources=NO_MODEL, chat_model_factory=scripts(**STYLE_SCRIPTS))
    summary = run_batch(path, tmp_path / "two", jobs=2, model="scripted", resources=NO_MODEL,
                        chat_model_factory=scripts(**STYLE_SCRIPTS))
    assert summary.ok == 5 and result_set(tmp_path / "two") == result_set(tmp_path / "one")


def test_an_unavailable_model_stops_the_batch(tmp_path: Path) -> None:
    path = five_prompts(tmp_path)
    down = dict(STYLE_SCRIPTS, p2=[ConnectionRefusedError(111, "Connection refused")])
    summary = run_batch(path, tmp_path / "out", model="ollama:x@http://127.0.0.1:9", resources=NO_MODEL,
                        chat_model_factory=scripts(**down))
    assert summary.exit_code == EXIT_MODEL_UNAVAILABLE and summary.ok == 1
    assert summary.stopped == "cannot reach the chat model at http://127.0.0.1:9 (x): is the server running?"
    assert [r["id"] for r in read_results(tmp_path / "out" / "results.jsonl")] == ["p1"]


def test_a_melody_per_prompt_and_its_files(tmp_path: Path) -> None:
    (tmp_path / "tunes").mkdir()
    write_song(down_tune(), tmp_path / "tunes", stem="down")
    path = write_lines(tmp_path / "harmonize.jsonl", [{"id": "h/1", "prompt": "harmonize this", "melody": "tunes/down.mid"},
                                                      {"id": "h2", "prompt": "harmonize", "melody": "tunes/none.mid"}])
    models = {"h/1": [("recommend_chords", {"per": "bar"}), ("check_theory", {}), "Chords added."]}
    summary = run_batch(path, tmp_path / "out", model="scripted", resources=NO_MODEL,
                        chat_model_factory=scripts(**models))
    assert (summary.ok, summary.failed) == (1, 1)
    rows = {r["id"]: r for r in read_results(tmp_path / "out" / "results.jsonl")}
    good = rows["h/1"]
    assert [c["name"] for c in good["tool_calls"]] == ["recommend_chords", "check_theory"] and good["ok"]
    assert sorted(Path(f).suffix for f in good["files"]) == [".abc", ".mid", ".musicxml"]
    assert all((tmp_path / "out" / f).is_file() and f.startswith("h-1-") for f in good["files"])
    assert good["findings"] and {"code", "severity", "message"} <= set(good["findings"][0])
    assert "none.mid" in rows["h2"]["error"] and not rows["h2"]["ok"]



def test_folder_names_cannot_collide_or_take_the_results_name(tmp_path: Path) -> None:
    import hashlib

    old_collision = "a-b-" + hashlib.sha1(b"a b").hexdigest()[:6]  # the name "a b" used to get
    ids = ["a b", old_collision, "results.jsonl", ".hidden", "..", "a1"]
    names = [folder_name(i) for i in ids]
    assert len(set(names)) == len(ids) and "results.jsonl" not in names
    assert not any(n.startswith(".") for n in names)
    (tmp_path / "tunes").mkdir()
    write_song(down_tune(), tmp_path / "tunes", stem="down")
    path = write_lines(tmp_path / "ids.jsonl", [{"id": i, "prompt": "export abc", "melody": "tunes/down.mid"}
                                                for i in ids[:3]])
    export = [("export_song", {"format": "abc"}), "Done."]
    summary = run_batch(path, tmp_path / "out", model="scripted", resources=NO_MODEL,
                        chat_model_factory=scripts(**{i: export for i in ids[:3]}))
    assert (summary.ok, summary.failed) == (3, 0)
    rows = read_results(tmp_path / "out" / "results.jsonl")
    files = [f for r in rows for f in r["files"]]
    assert len(files) == 9 == len(set(files)) and all((tmp_path / "out" / f).is_file() for f in files)
    again = run_batch(path, tmp_path / "out", model="scripted", resources=NO_MODEL, chat_model_factory=scripts())
    assert again.skipped == 3 and again.exit_code == EXIT_OK


def test_links_inside_the_output_folder_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("mine")
    out = tmp_path / "out"
    out.mkdir()
    (out / folder_name("p1")).symlink_to(outside, target_is_directory=True)
    summary = run_batch(five_prompts(tmp_path), out, model="scripted", resources=NO_MODEL,
                        chat_model_factory=scripts(**STYLE_SCRIPTS))
    assert (summary.ok, summary.failed) == (4, 1) and "symbolic link" in summary.errors[0]
    assert (outside / "keep.txt").read_text() == "mine" and len(list(outside.iterdir())) == 1
    second = tmp_path / "second"
    second.mkdir()
    (second / "results.jsonl").symlink_to(outside / "stolen.jsonl")
    with pytest.raises(AgentError, match="symbolic link"):
        run_batch(five_prompts(tmp_path), second, model="scripted", resources=NO_MODEL,
                  chat_model_factory=scripts(**STYLE_SCRIPTS))
    assert not (outside / "stolen.jsonl").exists()


def test_overlong_prompts_and_ids_are_malformed_lines(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "long.jsonl", [{"id": "p1", "prompt": "x" * 4001}, {"id": "i" * 101, "prompt": "hi"},
                                                 {"id": "p3", "prompt": "tempo 83"}])
    summary = run_batch(path, tmp_path / "out", model="scripted", resources=NO_MODEL,
                        chat_model_factory=scripts(p3=[("set_style", {"tempo": 83}), "ok"]))
    assert (summary.ok, summary.malformed) == (1, 2)
    assert "a prompt is 4001 characters long; at most 4000" in summary.errors[0]
    assert "the id is 101 characters long; at most 100" in summary.errors[1]


def test_each_user_turn_has_its_reply_calls_and_song(tmp_path: Path) -> None:
    from tunesmith.tools.actions.state import SongState, with_song
    from tunesmith.tools.facts import song_digest

    (tmp_path / "tunes").mkdir()
    write_song(down_tune(), tmp_path / "tunes", stem="down")
    path = write_lines(tmp_path / "talk.jsonl", [{"id": "t", "melody": "tunes/down.mid", "messages": [
        {"role": "user", "content": "chords please"}, {"role": "assistant", "content": "Here you go."},
        {"role": "user", "content": "what key is it in?"}, {"role": "user", "content": "tempo 90"}]}])
    models = {"t": [("recommend_chords", {"per": "bar"}), "Chords added.", "It is in C major.",
                    ("set_style", {"tempo": 90}), "Tempo set."]}
    summary = run_batch(path, tmp_path / "out", model="scripted", resources=NO_MODEL, chat_model_factory=scripts(**models))
    assert summary.ok == 1
    row = read_results(tmp_path / "out" / "results.jsonl")[0]
    turns = row["turns"]
    assert [t["reply"] for t in turns] == ["Chords added.", "It is in C major.", "Tempo set."] == row["replies"]
    assert [t["tool_calls"] for t in turns] == [[{"name": "recommend_chords", "args": {"per": "bar"}, "ok": True}], [],
                                                [{"name": "set_style", "args": {"tempo": 90}, "ok": True}]]
    assert [c["turn"] for c in row["tool_calls"]] == [turns[0]["turn"], turns[2]["turn"]]
    loaded = song_digest(with_song(SongState(), read_song(tmp_path / "tunes" / "down.mid")))
    first, second, third = (t["state"] for t in turns)
    assert loaded["chords"] == {} and first["chords"] and first["melody"] == loaded["melody"]
    assert second == first and third == first  # a question and a setting for the next melody leave the song
    assert first["bars"] == down_tune().melody.bars and first["key"] == loaded["key"]
