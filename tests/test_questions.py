"""The question tools and the knowledge behind them: every style has a card whose numbers agree with
styles.toml and whose example tunes are in the data; topics are found in English, Chinese, with small
typos and as comparisons; describe_song and explain_choice read the song and never change the state."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest
from tunes import c_major_tune

from tunesmith.tokenization.files import read_song
from tunesmith.tokenization.music import ChordEvent
from tunesmith.tokenization.styles import STYLE_NAMES, STYLES, get_style
from tunesmith.tokenization.view import chord_chart, tempo_text
from tunesmith.tools.actions import actions
from tunesmith.tools.actions.base import Context
from tunesmith.tools.actions.models import Models
from tunesmith.tools.actions.questions import lyric_lines, song_description
from tunesmith.tools.actions.state import SongState
from tunesmith.tools.errors import ToolError
from tunesmith.tools.knowledge import find_topic, library
from tunesmith.tools.knowledge.render import FACETS

ROOT = Path(__file__).resolve().parents[1]
NOTTINGHAM = ROOT.parent / "shared" / "data" / "nottingham"
JIG = """X:1
T:Test Jig
M:6/8
L:1/8
K:D
A|dfa afd|cBA GFE|DFA dcd|e3 e2A|dfa afd|cBA GFE|DFA Bcd|d3 d2|]
"""
REQUIRED = ("meter", "pace", "form", "melody", "rhythm", "instruments")
HAN = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture
def ctx(tmp_path: Path) -> Context:
    return Context(models=Models(None), out_dir=tmp_path)


@pytest.fixture
def jig(tmp_path: Path):
    path = tmp_path / "jig.abc"
    path.write_text(JIG, encoding="utf-8")
    return read_song(path)


def _harmonized(song, ctx, **lyrics):
    state = actions()["recommend_chords"](SongState(song=song), ctx).state
    if lyrics:
        state = actions()["write_lyrics"](state, ctx, drafter="rules", **lyrics).state
    return state


# ----------------------------------------------------------------------------- the cards

def test_every_style_has_a_card_in_both_languages() -> None:
    cards = library().cards
    missing = [name for name in STYLE_NAMES if name not in cards]
    assert not missing, f"styles without a card in tools/knowledge/cards.toml: {missing}"
    assert set(cards) <= set(STYLE_NAMES)
    for name, card in cards.items():
        for lang in ("en", "zh"):
            text = card.text[lang]
            assert all(text.get(f) for f in REQUIRED), (name, lang)
            assert set(text) <= set(FACETS) | {"pace"}, (name, lang)
            assert all(bool(HAN.search(line)) == (lang == "zh") for f, line in text.items() if f != "pace"), (name, lang)
            assert card.title[lang]
        assert 2 <= len(card.examples) <= 4, name


def test_card_numbers_agree_with_the_styles_table() -> None:
    for style in STYLES:
        card = library().cards[style.name]
        assert style.meter in card.meters, style.name
        if card.tempo_range:
            low, high = card.tempo_range
            assert low <= style.beat_tempo <= high, f"{style.name}: styles.toml tempo {style.beat_tempo} outside {low}-{high}"
        else:
            assert "{low}" not in card.text["en"]["pace"] and "{high}" not in card.text["zh"]["pace"], style.name
        for lang in ("en", "zh"):
            tempo = next(line for line in find_topic(style.name, lang).lines if line.startswith(("Tempo", "速度")))
            assert re.search(rf"(= |\b){style.beat_tempo}\b", tempo), (style.name, tempo)
            assert "{" not in tempo
    reel = find_topic("irish-reel").text()
    assert "half = 112" in reel and "tunesmith writes it in 2/2" in reel
    assert "附点四分音符 = 116" in find_topic("irish-jig", "zh").text()


def _plain(text: str) -> str:
    """A title to compare: no accents or punctuation, umlauts as the Essen files write them, no 'the'."""
    text = text.lower().translate(str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "’": "", "'": ""}))
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    return " ".join(words[1:] if words[:1] == ["the"] else words)


def _examples():
    return [pytest.param(card.style, e, id=f"{card.style}:{e.title}") for card in library().cards.values()
            for e in card.examples]


@pytest.mark.parametrize(("style", "example"), _examples())
def test_example_tunes_are_in_the_data(style, example) -> None:
    from tunesmith.finetune.corpus.abc import read_abc_text, split_abc

    card = library().cards[style]
    wanted = _plain(example.title)
    if example.source == "nottingham":
        path = NOTTINGHAM / example.path
        if not path.is_file():
            pytest.skip(f"{path} is not here")
        tunes = [t for t in split_abc(path.read_text(encoding="utf-8"))
                 if any(wanted in _plain(title) for title in t.fields.get("T", []))]
        assert tunes, f"no tune {example.title!r} in {path.name}"
        assert any(t.meters & set(card.meters) for t in tunes), (example.title, [t.meters for t in tunes])
        return
    assert example.source == "music21", example.file
    from tunesmith.finetune.corpus.sources import _DIRS, chorale_title, label_tune, music21_corpus_root

    try:
        root = music21_corpus_root()
    except Exception:
        pytest.skip("music21 is not installed")
    folder, name = example.path.split("/", 1)
    if folder == "bach":
        assert any((root / "bach" / f"{name}{ext}").is_file() for ext in (".mxl", ".xml", ".krn")), example.file
        assert wanted in _plain(chorale_title(name) or ""), (example.title, chorale_title(name))
        return
    source = next(s for s, d in _DIRS.items() if d == folder)
    path = root / folder / name
    if not path.is_file():
        pytest.skip(f"{path} is not here")
    found = [(t, label_tune(source, path.stem, t.fields)) for t in split_abc(read_abc_text(path, source=source))]
    matching = [(t, labels) for t, labels in found if wanted in _plain(labels.title)]
    assert matching, f"no tune {example.title!r} in {example.path}"
    assert any(style in labels.styles and t.meters & set(card.meters) for t, labels in matching), \
        (example.title, [(labels.styles, t.meters) for t, labels in matching])


def test_card_figures_about_the_data_hold() -> None:
    """Spot checks of what the cards say about the collections: the Han songs are mostly 2/4,
    O'Neill's writes reels in 2/2 and Ryan's mostly in 2/4, and the jigs are mostly in G, D and A."""
    from collections import Counter

    from tunesmith.finetune.corpus.abc import read_abc_text, split_abc
    from tunesmith.finetune.corpus.sources import default_sources, label_tune

    try:
        sources = default_sources(["essen", "oneill", "ryan"])
    except Exception:
        pytest.skip("music21's corpus is not here")
    meters: dict[tuple[str, str], Counter] = {}
    keys: Counter = Counter()
    for source in sources:
        for path in source.files:
            if source.name == "essen" and not path.stem.startswith("han"):
                continue
            for tune in split_abc(read_abc_text(path, source=source.name)):
                labels = label_tune(source.name, path.stem, tune.fields)
                for style in labels.styles:
                    meters.setdefault((source.name, style), Counter()).update(tune.meters)
                if "irish-jig" in labels.styles:
                    keys[(tune.fields.get("K") or [""])[0].strip()] += 1
    han = meters[("essen", "chinese-han")]
    assert 0.75 <= han["2/4"] / sum(han.values()) <= 0.85
    assert meters[("oneill", "irish-reel")].most_common(1)[0][0] == "2/2"
    assert meters[("ryan", "irish-reel")].most_common(1)[0][0] == "2/4"
    assert [k for k, _ in keys.most_common(3)] == ["G", "D", "A"]


# ----------------------------------------------------------------------------- finding topics

def test_theory_notes_cover_the_topics_in_both_languages() -> None:
    notes = library().notes
    assert len(notes) >= 15
    for key in ("chord function", "cadence", "major and minor", "relative and parallel keys", "modes",
                "seventh chords", "ii-V-I", "pickup", "harmonic rhythm", "syncopation", "swing", "melodic range",
                "steps and leaps", "rhyme scheme", "jig vs reel"):
        note = notes[key]
        assert note.lines["en"] and len(note.lines["en"]) == len(note.lines["zh"]), key
        assert any(HAN.search(a) for a in note.aliases) and any(not HAN.search(a) for a in note.aliases), key


def test_every_word_finds_its_own_topic() -> None:
    """No alias of a note or a style is taken by another topic, in either language."""
    for note in library().notes.values():
        for alias in note.aliases:
            assert find_topic(alias).topic == note.key, (alias, find_topic(alias).topic)
    for style in STYLES:
        for word in (style.name, *style.aliases, *style.en, *style.zh, *library().cards[style.name].aliases):
            assert find_topic(word).topic == style.name, (word, find_topic(word).topic)


@pytest.mark.parametrize(("text", "topic"), [
    ("What is a plagal cadence?", "cadence"), ("dorain", "modes"), ("hornpip", "irish-hornpipe"),
    ("strathspy", "scottish-strathspey"), ("tell me about reels", "irish-reel"), ("什么是属和弦", "chord function"),
    ("吉格", "irish-jig"), ("slip-jig", "irish-slip-jig"), ("what's the tempo of a jig", "irish-jig"),
    ("anacrusis", "pickup"), ("二五一", "ii-V-I"), ("Dong fang hong", "chinese-han"),
])
def test_free_topics_are_found(text, topic) -> None:
    assert find_topic(text).topic == topic


def test_jig_vs_reel_puts_both_cards_side_by_side() -> None:
    for text in ("jig vs reel", "the difference between a jig and a reel", "reel or jig?"):
        answer = find_topic(text)
        assert answer.kind == "compare" and answer.topic == "jig vs reel", text
        body = answer.text()
        assert "groups of three" in body and "6/8" in body and "2/2" in body
        assert "dotted quarter = 116" in body and "half = 112" in body
        assert any(line.startswith("Tempo: ") and "|" in line for line in answer.lines)
    zh = find_topic("吉格和里尔的区别")
    assert zh.lang == "zh" and zh.topic == "jig vs reel" and "附点四分音符 = 116" in zh.text() and "二分音符 = 112" in zh.text()
    other = find_topic("how does a hornpipe differ from a reel")
    assert other.kind == "compare" and other.topic == "irish-hornpipe vs irish-reel"
    assert "96 bpm" in other.text() and "half = 112" in other.text()


def test_the_language_follows_the_topic_unless_asked() -> None:
    assert find_topic("cadence").lang == "en" and find_topic("终止式").lang == "zh"
    assert HAN.search(find_topic("cadence", "zh").text()) and not HAN.search(find_topic("终止式", "en").text())
    assert "{" not in find_topic("modes").text() + find_topic("range", "zh").text()
    assert "dorian" in find_topic("modes").text().splitlines()[-1]
    with pytest.raises(ToolError, match="lang"):
        find_topic("cadence", "fr")


@pytest.mark.parametrize("text", ["xyzzy plover", "卷舞", "", "   "])
def test_an_unknown_topic_names_known_ones(text) -> None:
    with pytest.raises(ToolError) as err:
        find_topic(text)
    message = str(err.value)
    assert "\n" not in message and ("cadence" in message.lower() or "终止式" in message)


# ----------------------------------------------------------------------------- the actions

def test_music_knowledge_answers_without_a_song_and_keeps_the_state(ctx) -> None:
    state = SongState(style="irish-jig")
    outcome = actions()["music_knowledge"](state, ctx, topic="jig vs reel")
    assert outcome.state is state and outcome.summary == find_topic("jig vs reel").text()
    assert outcome.artifact["kind"] == "compare" and not outcome.files
    assert actions()["music_knowledge"](state, ctx, topic="号笛舞曲").artifact["lang"] == "zh"
    assert actions()["music_knowledge"](state, ctx, topic="hornpipe", lang="zh").summary.startswith("号笛舞曲")


def test_describe_song_without_a_song_gives_the_settings(ctx) -> None:
    state = SongState(style="irish-reel", tempo=112)
    text = actions()["describe_song"](state, ctx).summary
    assert text.startswith("No melody yet") and "style irish-reel" in text and "112" in text


def test_describe_song_reads_the_whole_song(ctx, jig) -> None:
    state = _harmonized(jig, ctx, theme="the sea", seed=3)
    outcome = actions()["describe_song"](state, ctx)
    text, song = outcome.summary, state.song
    assert outcome.state is state and len(text) < 600, len(text)
    assert text.startswith("Test Jig: D major, 6/8, ") and tempo_text(song.melody) in text
    assert "8 bars after a 1/8 pickup" in text and "Range D4-A5 (19 semitones)" in text
    assert chord_chart(song, bars_per_line=song.melody.bars) in text
    lines = lyric_lines(song)
    assert len(lines) >= 2 and "Lyrics: 1. " + lines[0] + " / 2. " + lines[1] in text
    assert "music21 check: ok" in text and "Files: " in text and str(ctx.out_dir) in text


def test_lyric_lines_are_the_lines_write_lyrics_wrote(ctx, jig) -> None:
    state = _harmonized(jig, ctx)
    outcome = actions()["write_lyrics"](state, ctx, theme="home", drafter="rules", seed=5)
    assert lyric_lines(outcome.state.song) == [line.text for line in outcome.detail.lines]


def test_describe_song_of_chords_only(ctx) -> None:
    state = actions()["recommend_chords"](SongState(), ctx, key="A minor").state
    text = song_description(state)
    assert text.startswith("No melody yet; 8 bars of chords in A minor") and "| " in text


def test_explain_choice_gives_the_recommenders_reasons(ctx) -> None:
    state = _harmonized(c_major_tune(), ctx)
    outcome = actions()["explain_choice"](state, ctx, bar=2)
    text = outcome.summary
    assert outcome.state is state
    assert text.startswith("Bar 2: G7, V7 in C major: pulling home (dominant).")
    assert "Melody G A G F: chord tones G F; not in the chord: A (neighbour note)." in text
    assert "After C (I)" in text and "leads to C (I)" in text and "resolving home" in text
    assert "chose it too" in text and re.search(r"alternatives: \w+ \w+ \(score 0\.\d\d: ", text)
    last = actions()["explain_choice"](state, ctx, bar=4).summary
    assert "Bar 4 beat 3: C, I in C major: home chord to end on." in last and "authentic cadence" in last


def test_explain_choice_explains_a_chord_set_by_hand(ctx) -> None:
    state = _harmonized(c_major_tune(), ctx)
    song = state.song
    chords = tuple(c for c in song.chords if not 4 <= c.onset < 8) + (ChordEvent("Em", 4.0, 4.0),)
    state = replace(state, song=replace(song, chords=tuple(sorted(chords, key=lambda c: c.onset))))
    text = actions()["explain_choice"](state, ctx, bar=2).summary
    assert text.startswith("Bar 2: Em, iii in C major: stand-in for home (tonic family).")
    assert "chord tones G; not in the chord: A" in text
    assert "would pick G7 (V7" in text and "set by hand" in text


def test_explain_choice_counts_bars_from_the_first_full_bar(ctx, jig) -> None:
    state = _harmonized(jig, ctx)
    assert actions()["explain_choice"](state, ctx, bar=0).summary.startswith("Bar 0: D, I in D major")
    half = actions()["explain_choice"](state, ctx, bar=4).summary
    assert half.startswith("Bar 4: A7, V7 in D major: half cadence") and "Melody E E A" in half
    with pytest.raises(ToolError, match="there is no bar 9: the song has 8 bars"):
        actions()["explain_choice"](state, ctx, bar=9)
    with pytest.raises(ToolError, match="has no chords yet"):
        actions()["explain_choice"](SongState(song=jig), ctx, bar=1)
    with pytest.raises(ToolError, match="no bar 0: the song has 4 bars"):
        actions()["explain_choice"](SongState(song=c_major_tune()), ctx, bar=0)


def test_doctests() -> None:
    import doctest

    from tunesmith.tools.actions import questions
    from tunesmith.tools.knowledge import lookup

    for module in (questions, lookup):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0, module.__name__
