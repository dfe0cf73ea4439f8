"""The chat model on the pretrained base: transcript format, synthetic data, the constrained decoder
(every call valid, every value one the person stated), the argument checker of every provider, undo."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tunesmith.agent.call_space import absolute_tempo, checked_call, phrases, ready, said, space_for
from tunesmith.finetune.lm.chat_data import samples
from tunesmith.finetune.lm.chat_decode import ChatDecoder, Space
from tunesmith.finetune.lm.chat_format import Call, Exchange, Pieces, Transcript, render, target_ids
from tunesmith.tokenization.contract import contract
from tunesmith.tools.actions.state import SongState, with_song
from tunesmith.tools.errors import ToolError

from .tunes import down_tune


@pytest.fixture(scope="module")
def tokenizer():
    """A small byte-level BPE tokenizer trained here on the kind of text the chat reads."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import PreTrainedTokenizerFast

    texts = [render(s.transcript) for s in samples(seed=3, count=300)]
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(texts, vocab_size=600, min_frequency=2, special_tokens=["<pad>", "<bos>", "<eos>"])
    return PreTrainedTokenizerFast(tokenizer_object=bpe._tokenizer, bos_token="<bos>", eos_token="<eos>",
                                   pad_token="<pad>")


def decoder(tokenizer, seed: int = 0) -> ChatDecoder:
    from tunesmith.finetune.lm.lean import LeanLM

    from .tiny_lm import tiny_gemma

    lean = LeanLM(tiny_gemma(len(tokenizer), seed=seed), tokenizer, threads=1)
    rows = frozenset(tokenizer.encode(" It is in D major, 8 bars. 好的。", add_special_tokens=False))
    return ChatDecoder(lean, reply_rows=rows, max_reply=12)


def test_transcript_and_call_pieces(tokenizer) -> None:
    call = Call("change_chord", (("bar", "3"), ("chord", "F")))
    assert call.text() == "change_chord bar=3; chord=F;"
    t = Transcript(song="8 bars in D major", settings="nothing set yet",
                   history=(Exchange("add chords", ((Call("recommend_chords"), "Chords in D major: | D |"),), "Done."),),
                   person="change the chord in bar 3 to F")
    text = render(t)
    assert text.splitlines()[1] == "Song: 8 bars in D major. Settings: nothing set yet."
    assert "Call: recommend_chords\nResult: Chords in D major: | D |\nReply: Done.\nPerson: change the chord" in text
    pieces = Pieces(tokenizer)
    assert target_ids(pieces, call)[-1] == pieces.ids("\n")[-1] and tokenizer.decode(pieces.call(call)).strip() \
        == "Call: change_chord bar=3; chord=F;"


def test_training_samples_are_seeded_mixed_and_reachable_by_the_grammar() -> None:
    """Every value a training call carries is one the run-time grammar offers for its message."""
    first, again = samples(seed=5, count=400), samples(seed=5, count=400)
    assert [render(s.transcript) for s in first] == [render(s.transcript) for s in again]
    kinds = {s.kind for s in first}
    assert kinds == {"call", "reply", "result"} and {s.lang for s in first} == {"en", "zh"}
    tools = {s.target.name for s in first if isinstance(s.target, Call)}
    assert {"change_chord", "transpose", "describe_song", "music_knowledge", "generate_melody"} <= tools
    missed = []
    for s in first:
        if isinstance(s.target, Call):
            space = space_for(s.transcript.person, earlier=[e.person for e in s.transcript.history],
                              state=SongState(tempo=100), tools=[s.target.name])
            missed += [(s.transcript.person, k, v) for k, v in s.target.args
                       if v.casefold() not in {x.casefold() for x in space.values.get(k, ())}]
    assert len(missed) <= 2, missed  # a typo the value finder cannot read ("tree bars") may slip through


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_decoded_call_is_valid_and_stated(tokenizer, seed: int) -> None:
    """An untrained model still writes only calls of offered tools, with offered values only."""
    dec = decoder(tokenizer, seed)
    song = with_song(SongState(), down_tune())
    rng = random.Random(seed)
    for text in ("change the chord in bar 3 to F", "transpose to G major", "a jig in D, 16 bars", "what's a reel?",
                 "把第2小节换成Am", "faster please"):
        tools = rng.sample(contract().names, 6)
        space = space_for(text, earlier=[], state=song, tools=tools)
        transcript = Transcript(song="3 bars in C major", settings="nothing set yet", person=text)
        [line, *_] = dec.next_line(transcript, space)
        if line.call is None:
            assert isinstance(line.reply, str)
            continue
        assert line.call.name in tools
        given = dict(line.call.args)
        assert set(space.required.get(line.call.name, ())) <= set(given)
        for name, value in given.items():
            assert value in space.values[name], (text, name, value)


def test_a_reply_when_no_tool_is_offered(tokenizer) -> None:
    lines = decoder(tokenizer).next_line(Transcript(song="no melody yet", settings="nothing set yet", person="hi"),
                                         Space(tools={}))
    assert lines[0].call is None and isinstance(lines[0].reply, str)


def test_values_the_person_states() -> None:
    heard = said("change bars 5 to 8 and put F#m7 in bar 3, then Bb/D", ["make bar 2 a G7"])
    assert heard.spans == ("5-8",) and {"F#m7", "Bb/D", "G7"} <= set(heard.chords) and 3 in heard.numbers
    assert "my grandfather's farm" in phrases("lyrics about my grandfather's farm")
    assert "故乡" in phrases("写一段关于故乡的歌词") and "first love" in phrases("主题是first love的歌词")
    song = with_song(SongState(), down_tune())
    space = space_for("a bit faster, and move it down 2 semitones", earlier=[], state=song,
                      tools=["change_tempo", "transpose"])
    assert "+15%" in space.values["tempo"] and space.values["semitones"] == ("-2",)
    space = space_for("move it 3 semitones", earlier=[], state=song, tools=["transpose"])
    assert set(space.values["semitones"]) == {"3", "-3"}  # no word for the way: the model chooses
    assert space_for("升高两个半音", earlier=[], state=song, tools=["transpose"]).values["semitones"] == ("2",)
    assert absolute_tempo("+15%", song) == round(song.song.melody.tempo * 1.15)
    space = space_for("keep the first 4 bars, rewrite the rest", earlier=[], state=song, tools=["regenerate_bars"])
    assert "1-4" in space.values["keep"]


def test_a_stated_value_is_carried_and_melody_tools_wait_for_a_melody() -> None:
    """'an irish jig in D, 16 bars' must pass key and bars (not only the style); before there is a melody
    the tools that edit one are not offered at all, so a first request cannot go to write_lyrics."""
    space = space_for("can you write me an irish jig in D? 16 bars", earlier=[], state=SongState(),
                      tools=["generate_melody", "set_style"])
    assert set(space.required["generate_melody"]) == {"style", "key", "bars"}
    assert space.required["set_style"] == ("style", "key")  # set_style has no bars
    assert space_for("write a melody", earlier=[], state=SongState(), tools=["generate_melody"]).required == {
        "generate_melody": ()}
    names = ["generate_melody", "write_lyrics", "change_tempo", "recommend_chords", "music_knowledge"]
    assert ready(names, SongState()) == ["generate_melody", "recommend_chords", "music_knowledge"]
    assert ready(names, with_song(SongState(), down_tune())) == names


def test_one_checker_for_every_providers_calls() -> None:
    song = with_song(SongState(), down_tune())
    kept, notes = checked_call("generate_melody", {"style": "jig", "key": "D", "bars": 32, "mood": "sad"},
                               text="a jig in D please", earlier=[], state=song)
    assert kept == {"style": "jig", "key": "D"} and len(notes) == 2 and any("bars=32" in n for n in notes)
    with pytest.raises(ToolError, match="not a key|unknown key"):
        checked_call("set_style", {"key": "H major"}, text="in H major", earlier=[], state=song)
    with pytest.raises(ToolError, match="needs chord"):
        checked_call("change_chord", {"bar": 3, "chord": "F"}, text="change bar 3", earlier=[], state=song)
    kept, _ = checked_call("change_chord", {"bar": 4, "chord": "F"}, text="and bar 4 too",
                           earlier=["change the chord in bar 3 to F"], state=song)
    assert kept == {"bar": 4, "chord": "F"}
    kept, _ = checked_call("write_lyrics", {"theme": "the sea"}, text="lyrics about the sea", earlier=[], state=song)
    assert kept == {"theme": "the sea"}


def test_undo_goes_back_over_the_changes_not_the_questions(tmp_path: Path, tiny_checkpoint) -> None:
    from tunesmith.agent.session import Resources, command_turn, new_session, respond

    from . import agent_fakes as fakes

    model = fakes.scripted(("recommend_chords", {"per": "bar"}), "Chords.",
                           ("describe_song", {}), "It is in C major.",
                           ("transpose", {"key": "D"}), "Now in D.",
                           ("undo", {}), "Back in C.",
                           ("undo", {}), "No chords again.",
                           ("undo", {}), "No song.",
                           ("undo", {}), "Nothing left.")
    session = new_session(model="scripted", out_dir=tmp_path, resources=Resources(tiny_checkpoint), chat_model=model)
    session.state = with_song(session.state, down_tune())
    command_turn(session, "/load down.mid", reply="loaded")
    start = session.state
    for text in ("chords, one per bar", "what key is it in?", "transpose to D", "undo", "undo", "undo", "undo"):
        respond(session, text)
    turns = session.turns[1:]
    calls = [t.tool_calls[0] for t in turns]
    assert [c.ok for c in calls] == [True, True, True, True, True, True, False]
    assert "nothing to undo" in calls[-1].content and session.state.song is None  # the load was undone too
    assert str(turns[2].state.song.melody.key) == "D major"
    assert turns[3].state.song == turns[1].state.song  # the chords are back, in C
    assert turns[4].state.song == start.song  # no chords


def test_reply_rows_are_kept_beside_the_adapter(tokenizer, tmp_path: Path) -> None:
    """Training writes the rows its replies used; the decoder reads them back (None for an older adapter)."""
    from tunesmith.finetune.lm.chat_decode import load_reply_rows
    from tunesmith.finetune.lm.train_chat import save_reply_rows

    items = samples(seed=4, count=60)
    count = save_reply_rows(tmp_path, tokenizer, items)
    rows = load_reply_rows(tmp_path)
    expected = {t for s in items if isinstance(s.target, str) for t in tokenizer.encode(" " + s.target, add_special_tokens=False)}
    assert rows == frozenset(expected) and count == len(expected) > 0
    assert load_reply_rows(tmp_path / "older") is None


def test_a_reply_that_contradicts_the_song_is_corrected_not_kept() -> None:
    """With no tool result to fall back on, a wrong claim gives way to what the song holds, in the
    person's language; a clean candidate is kept as written."""
    from tunesmith.agent.chat_gemma import GemmaChat
    from tunesmith.finetune.lm.chat_decode import Line
    from tunesmith.tools.facts import song_digest

    state = with_song(SongState(), down_tune())
    bars = song_digest(state)["bars"]
    chat = GemmaChat(decoder=None)
    wrong = [Line(None, f"Changed bar {bars + 20} to C.", 0.0)]
    said = Transcript(song="", settings="", person="and bar 30")
    message = chat._checked_reply(wrong, said, state)
    assert message.response_metadata["fact_check"] == "corrected"
    assert message.content.startswith("To be exact: ") and f"{bars + 20}" not in message.content
    zh = chat._checked_reply(wrong, Transcript(song="", settings="", person="第30小节呢"), state)
    assert zh.content.startswith("更正：")
    fine = chat._checked_reply([Line(None, "Sure.", 0.0)], said, state)
    assert fine.content == "Sure." and fine.response_metadata["fact_check"] == "ok"


def test_a_reply_stuck_on_one_piece_is_not_said() -> None:
    """'拜拜拜拜…' after a failed call gives way to the result's own facts."""
    from tunesmith.agent.chat_gemma import GemmaChat, _stuck
    from tunesmith.finetune.lm.chat_decode import Line

    assert _stuck("拜" * 30) and _stuck("no no no no no no no") and not _stuck("Bar 3 is now F; bar 4 is G.")
    assert not _stuck("Chords: | G | G | G | G | G | G | G | G |") and not _stuck("| - | - | - | - | - | - | - |")
    state = with_song(SongState(), down_tune())
    done = ((Call("change_chord", (("bar", "16"), ("chord", "G"))), "change_chord failed: there is no bar 16"),)
    said = Transcript(song="", settings="", person="那改第16小节吧", done=done)
    message = GemmaChat(decoder=None)._checked_reply([Line(None, "拜" * 30, 0.0)], said, state)
    assert message.content == "change_chord failed: there is no bar 16" and message.response_metadata["fact_check"] == "replaced"


def test_a_stuck_reply_with_no_result_is_not_turned_into_a_correction() -> None:
    """Repetition is no claim about the song: with nothing to fall back on, nothing is said for it."""
    from tunesmith.agent.chat_gemma import GemmaChat
    from tunesmith.finetune.lm.chat_decode import Line

    state = with_song(SongState(), down_tune())
    message = GemmaChat(decoder=None)._checked_reply([Line(None, "拜" * 30, 0.0)],
                                                     Transcript(song="", settings="", person="谢谢"), state)
    assert message.content == "" and message.response_metadata["fact_check"] == "unchecked"
