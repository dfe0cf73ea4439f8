"""The embedded chat model's output grammar: every path through it is a reply or a valid call."""

from __future__ import annotations

import doctest
import random

import pytest
from langchain_core.tools import StructuredTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from tunesmith.agent import tool_args, toolkit
from tunesmith.finetune.chat import format as cf
from tunesmith.finetune.errors import ModelError
from tunesmith.finetune.text.adapter import END


def _schemas() -> list[dict]:
    return [convert_to_openai_tool(StructuredTool.from_function(lambda **k: None, name=name, description=name,
                                                                args_schema=schema))
            for name, (_, schema) in toolkit.TOOLS.items()]


@pytest.fixture(scope="module")
def specs() -> dict[str, cf.ToolSpec]:
    return cf.tool_specs(_schemas(), cf.FieldValues.default(moods=("sad", "happy"), chord_styles=("folk",)))


def _walk(grammar: cf.CallGrammar, rng: random.Random, limit: int = 300, start: bytes = b"") -> str:
    out = start
    for _ in range(limit):
        options = sorted(grammar(out))
        assert options, f"dead end after {out!r}"
        pick = rng.choice(options)
        if pick == END:
            return out.decode()
        out += bytes([pick])
    return out.decode("utf-8", errors="replace")


def test_random_walks_parse_and_validate(specs) -> None:
    message = "write lyrics about leaving home, rhyme ABAB, range C4-A5 | keep it short"
    grammar = cf.CallGrammar(specs, message=message)
    rng = random.Random(0)
    calls = 0
    for index in range(400):
        text = _walk(grammar, rng, start=b"@" if index % 4 else b"")
        if not text.startswith("@"):
            continue
        name, args = cf.parse_call(text, specs)
        calls += 1
        schema = toolkit.TOOLS[name][1]
        schema(**args)  # pydantic accepts every argument the grammar lets through
        for field in ("theme", "rhyme", "range"):
            if field in args:
                assert args[field] in message and "|" not in args[field]
    assert calls >= 300


def test_enums_ints_and_required_fields(specs) -> None:
    grammar = cf.CallGrammar(specs, message="D or F#, 80 or 120?")
    assert set(grammar(b"@g|k=")) == {ord("D"), ord("F")} and set(grammar(b"@g|k=F")) == {ord("#")}
    assert set(grammar(b"@g|b=")) == {ord("8"), ord("1")}  # only the numbers the message names
    assert END in grammar(b"@g|b=120") and END not in grammar(b"@g|b=12") and ord("5") not in grammar(b"@g|b=12")
    assert ord("n") not in grammar(b"@g|") and ord("d") not in grammar(b"@g|")  # bars, seed: only when stated
    silent = cf.CallGrammar(specs, message="a gentle tune")
    assert not {ord("k"), ord("n")} & set(silent(b"@g|"))  # no key, no bars: none was named
    assert END not in grammar(b"@l")  # write_lyrics needs its theme
    assert set(grammar(b"@g|b=80|")) == set()  # after the tempo: no bars, range or seed was stated
    seeded = cf.CallGrammar(specs, message="a jig, 16 bars, seed 7")
    assert set(seeded(b"@g|s=irish-jig|n=16|")) == set(b"d") and END in seeded(b"@g|s=irish-jig|n=16|d=7")
    assert cf.parse_call("@g|k=D|n=8", specs) == ("generate_melody", {"key": "D", "bars": 8})


def test_reply_only_after_a_tool_result(specs) -> None:
    grammar = cf.CallGrammar(specs, message="a jig", reply_only=True)
    assert ord("@") not in grammar(b"")
    rng = random.Random(1)
    assert all(not _walk(grammar, rng).startswith("@") for _ in range(20))


def test_copy_fields_follow_the_message_across_utf8(specs) -> None:
    grammar = cf.CallGrammar(specs, message="为这段旋律写歌词，主题是思乡。")
    start = grammar(b"@l|h=")
    assert all(not 0x80 <= b < 0xC0 for b in start)
    prefix = "@l|h=思".encode()
    assert set(grammar(prefix)) == {"乡".encode()[0]}  # 思 then 乡: a theme ends at a phrase edge
    assert set(grammar("@l|h=思乡".encode())) == {END}  # nothing else stated: no rhyme, no language


def test_copy_fields_take_whole_latin_words() -> None:
    source = b"lyrics about a summer road trip"
    assert cf._copy_next(b"", source)[0] == set(b"lasrt")  # a span starts where a word starts
    assert not cf._copy_next(b"summer ro", source)[1] and cf._copy_next(b"summer road", source)[1]
    assert cf._copy_next(b"mer", source) == (set(), False)  # "mer" is inside "summer"


def test_themes_are_phrases_of_the_message(specs) -> None:
    grammar = cf.CallGrammar(specs, message="Could you write some lyrics about the ocean in English?")
    assert set(grammar(b"@l|h=")) == {ord("t")}  # after "about" ("Could you ..." is no theme)
    assert not {END, ord("|")} & set(grammar(b"@l|h=the")) and set(grammar(b"@l|h=the ocean")) == {ord("|")}
    # ("the ocean in English" is no theme: a theme does not end on a language, nor on "in")
    assert set(grammar(b"@l|h=the ocean|")) == {ord("l")} and END in grammar(b"@l|h=the ocean|l=en")  # English


def test_stated_values_must_be_passed(specs) -> None:
    grammar = cf.CallGrammar(specs, message="a slow Irish air in E minor, sadder, 6/8 at 70 bpm, 16 bars")
    assert set(grammar(b"@g|")) == {ord("s")}  # style first: it was stated, so it cannot be skipped
    assert set(grammar(b"@g|s=")) == {ord("i")} and END not in grammar(b"@g|s=irish-air")
    call = b"@g|s=irish-air|o=sad|k=E|m=minor|t=6/8|b=70|n=16"
    assert END in grammar(call) and END not in grammar(call[:-5])  # bars 16 stated: no end without it
    assert set(grammar(b"@g|s=irish-air|o=")) == {ord("s")}  # sadder -> sad, nothing else
    silent = cf.CallGrammar(specs, message="write me a tune")
    assert not {ord("s"), ord("o"), ord("m"), ord("t")} & set(silent(b"@g|"))  # nothing stated, nothing invented
    chords = cf.CallGrammar(specs, message="每小节两个和弦，给我三个方案")
    assert cf.parse_call("@h|e=half|x=3", specs) and END in chords(b"@h|e=half|x=3") and END not in chords(b"@h|e=half")
    assert set(chords(b"@h|e=")) == {ord("h")}


def test_only_restricts_the_tools(specs) -> None:
    grammar = cf.CallGrammar(specs, message="a jig", only=["generate_melody", "continue_melody"])
    assert set(grammar(b"")) == {ord("@")} and set(grammar(b"@")) == {ord("g"), ord("c")}


def test_parse_call_errors(specs) -> None:
    with pytest.raises(ModelError):
        cf.parse_call("@nope|a=1", specs)
    with pytest.raises(ModelError):
        cf.parse_call("@l|l=en", specs)
    assert cf.parse_call("Sure thing.", specs) is None


# The codes the shipped chat adapter (checkpoints/default/adapters/chat) was trained on: the contract may
# add tools and arguments, but a code that changes meaning breaks that adapter.
SHIPPED_TOOL_CODES = {"set_style": "s", "generate_melody": "g", "continue_melody": "c", "regenerate_bars": "r",
                      "vary_melody": "v", "recommend_chords": "h", "write_lyrics": "l", "check_theory": "t",
                      "analyze_melody": "a", "export_song": "e"}
SHIPPED_FIELD_CODES = {"style": "s", "mood": "o", "key": "k", "mode": "m", "meter": "t", "tempo": "b", "bars": "n",
                       "range": "r", "seed": "d", "keep": "p", "per": "e", "k": "x", "theme": "h", "lang": "l",
                       "rhyme": "y", "voice": "v", "format": "f"}


def test_grammar_tables_are_the_contracts_and_keep_the_shipped_codes() -> None:
    from tunesmith.tokenization.contract import contract

    assert cf.TOOL_CODES == contract().tool_codes() and cf.FIELD_CODES == contract().field_codes()
    assert cf.STATED_ONLY == contract().stated_fields()
    assert SHIPPED_TOOL_CODES.items() <= cf.TOOL_CODES.items() and SHIPPED_FIELD_CODES.items() <= cf.FIELD_CODES.items()
    for table in (cf.TOOL_CODES, cf.FIELD_CODES):  # one code, one meaning: parse_call reads them back
        assert len(set(table.values())) == len(table)
        assert all(c and "|" not in c and "=" not in c for c in table.values())
    for name, (_, schema) in toolkit.TOOLS.items():  # the argument models hold every stated field by name
        assert {f for f in schema.model_fields if f in cf.STATED_ONLY} == \
            {a.name for a in contract().tool(name).args if a.stated}, name


def test_field_values_are_the_contracts_vocabularies() -> None:
    from tunesmith.tokenization import pitch, styles, vocab
    from tunesmith.tokenization.contract import contract, vocabulary

    table = cf.FieldValues.default(moods=("sad",), chord_styles=("folk",), styles=("mine",)).table
    assert table["key"] == tuple(pitch.TONICS) and table["meter"] == tuple(vocab.METERS)
    assert table["mode"] == tuple(pitch.MODES) and table["keep"] == vocabulary("spans")
    assert table["style"] == (*styles.STYLE_NAMES, "folk", "mine") and table["mood"] == ("sad",)
    for tool in contract().tools.values():  # an enum listed here is the schema's own, in its order
        for arg in tool.args:
            if arg.enum:
                assert table[arg.name] == arg.enum, (tool.name, arg.name)
            elif arg.vocab and arg.name not in ("style", "mood"):
                assert table[arg.name] == vocabulary(arg.vocab), (tool.name, arg.name)


def test_doctests() -> None:
    assert doctest.testmod(cf).failed == 0
