"""Music knowledge lives once: note names and scales in tokenization/pitch.py, styles and moods in
tokenization/styles.toml.  The first tests read every module of the source tree and fail on a
note-name or scale table anywhere else; the others check that the chat, the tools and the agent
take their styles, aliases and moods from the one table."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

from tunesmith.finetune.chat import mentions
from tunesmith.finetune.chat import slots as chat_slots
from tunesmith.finetune.chat.format import FieldValues
from tunesmith.tokenization import pitch, styles
from tunesmith.tools.chords.progressions import MOODS as PROGRESSION_MOODS

ROOT = Path(__file__).resolve().parents[1]
SOURCE_DIRS = ("prompts", "tokenization", "finetune", "tools", "agent", "eval")
PITCH_MODULE = Path("tokenization") / "pitch.py"
_NOTE = re.compile(r"^[A-G](#|b|♯|♭|-)?$")


def _note_names(nodes) -> int:
    return sum(isinstance(n, ast.Constant) and isinstance(n.value, str) and bool(_NOTE.match(n.value)) for n in nodes)


def _is_scale(nodes) -> bool:
    """Steps of a scale: 5-8 whole numbers from 0 up to 11, rising by 1-3 semitones, never two semitones running."""
    if not all(isinstance(n, ast.Constant) and type(n.value) is int for n in nodes):
        return False
    values = [n.value for n in nodes]
    if not 5 <= len(values) <= 8 or values[0] != 0 or values[-1] > 11:
        return False
    steps = [b - a for a, b in zip(values, values[1:])]
    return all(1 <= s <= 3 for s in steps) and not any(a == b == 1 for a, b in zip(steps, steps[1:]))


def knowledge_tables(source: str) -> list[tuple[int, str]]:
    """(line, what) for each note-name table (5+ names, as items or keys), letter string
    ("CDEFGAB" in any order) or scale-step table in Python source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            if _note_names(node.elts) >= 5:
                found.append((node.lineno, "a note-name table"))
            if _is_scale(node.elts):
                found.append((node.lineno, "a scale table"))
        elif isinstance(node, ast.Dict) and _note_names([k for k in node.keys if k is not None]) >= 5:
            found.append((node.lineno, "a table keyed by note names"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) == 7 \
                and set(node.value) == set(pitch.LETTERS):
            found.append((node.lineno, "a string of the note letters"))
    return found


def _toml_lists(data) -> list[list]:
    if isinstance(data, dict):
        return [found for value in data.values() for found in _toml_lists(value)]
    if isinstance(data, list):
        return [data] + [found for value in data for found in _toml_lists(value)]
    return []


def _source_files(root: Path, suffix: str) -> list[Path]:
    return sorted(p for d in SOURCE_DIRS for p in (root / d).rglob(f"*{suffix}") if p.is_file())


def tree_offenders(root: Path) -> list[str]:
    """Every note-name or scale table outside the pitch module (Python and TOML files)."""
    offenders = []
    for path in _source_files(root, ".py"):
        if path.relative_to(root) == PITCH_MODULE:
            continue
        offenders += [f"{path.relative_to(root)}:{line}: {what}"
                      for line, what in knowledge_tables(path.read_text(encoding="utf-8"))]
    for path in _source_files(root, ".toml"):
        for items in _toml_lists(tomllib.loads(path.read_text(encoding="utf-8"))):
            if sum(isinstance(i, str) and bool(_NOTE.match(i)) for i in items) >= 5:
                offenders.append(f"{path.relative_to(root)}: a note-name list")
    return offenders


def test_no_note_name_or_scale_table_outside_the_pitch_module() -> None:
    offenders = tree_offenders(ROOT)
    assert not offenders, "import these from tokenization/pitch.py instead:\n" + "\n".join(offenders)


@pytest.mark.parametrize("planted", [
    'NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")',
    'FLATS = ["C", "Db", "D", "Eb", "E"]',
    'PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}',
    'MAJOR = (0, 2, 4, 5, 7, 9, 11)',
    'SCALES = {"minor": frozenset({0, 2, 3, 5, 7, 8, 10, 11})}',
    'PENTATONIC = [0, 2, 4, 7, 9]',
    'LETTERS = "CDEFGAB"',
    'ORDER = "FCGDAEB"',
])
def test_the_scan_finds_a_planted_table(planted: str) -> None:
    assert knowledge_tables(planted)


@pytest.mark.parametrize("harmless", [
    'CONSONANT = (0, 3, 4, 7, 8, 9)',  # intervals, two semitone steps running: no scale
    'WEIGHTS = (9, 3, 2, 9, 1, 5)',
    'RANGE = (60, 62, 64, 65, 67)',
    'KEYS = ("C", "G", "D", "A")',
    'TEXT = "a chord of C, E and G"',
])
def test_the_scan_passes_what_is_no_table(harmless: str) -> None:
    assert not knowledge_tables(harmless)


def test_a_planted_copy_in_the_tree_fails(tmp_path: Path) -> None:
    for name in SOURCE_DIRS:
        (tmp_path / name).mkdir()
    (tmp_path / "tokenization" / "pitch.py").write_text('SHARPS = ("C", "C#", "D", "D#", "E", "F")\n')
    (tmp_path / "tools" / "ok.py").write_text("from tunesmith.tokenization.pitch import SHARP_NAMES\n")
    assert tree_offenders(tmp_path) == []
    (tmp_path / "tools" / "copy.py").write_text('NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#")\nSTEPS = (0, 2, 3, 5, 7, 8, 10)\n')
    (tmp_path / "prompts" / "t.toml").write_text('[fields.key]\nenum = ["C", "D", "E", "F", "G"]\n')
    assert tree_offenders(tmp_path) == ["tools/copy.py:1: a note-name table", "tools/copy.py:2: a scale table",
                                        "prompts/t.toml: a note-name list"]


def test_pitch_spellings_are_consistent() -> None:
    for names in (pitch.SHARP_NAMES, pitch.FLAT_NAMES, pitch.PLAIN_NAMES, pitch.NOTE_NAMES, pitch.MAJOR_KEY_NAMES):
        assert [pitch.name_pitch_class(n) for n in names] == list(range(12))
    assert set(pitch.TONICS) == set(pitch.SHARP_NAMES) | set(pitch.FLAT_NAMES) and len(pitch.TONICS) == 17
    for mode in pitch.MODES:
        assert len(pitch.SCALE_STEPS[mode]) == 7
        assert pitch.scale_pitch_classes(pitch.KeySpec(pitch.spell_pitch_class(0, mode=mode), mode)) == frozenset(
            step for step in pitch.SCALE_STEPS[mode])
        for pc in range(12):  # a mode's tonic spelling shares the signature of its relative major
            tonic = pitch.spell_pitch_class(pc, mode=mode)
            major = pitch.spell_pitch_class((pc + pitch.relative_major(mode)) % 12)
            assert pitch.key_fifths(pitch.KeySpec(tonic, mode)) == pitch.key_fifths(pitch.KeySpec(major))


# ---- styles and moods: one table ---------------------------------------------------------------

def test_the_table_ships_as_package_data() -> None:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "*.toml" in data["tool"]["setuptools"]["package-data"]["tunesmith.tokenization"]
    assert (ROOT / "tokenization" / styles.TABLE_FILE).is_file()


def test_every_style_alias_and_mood_the_chat_uses_is_in_the_table() -> None:
    by_name = {s.name: s for s in styles.STYLES}
    chord_styles = {s.name: s for s in styles.CHORD_STYLES}
    moods = {m.name: m for m in styles.MOODS}
    for table, field in ((chat_slots.STYLE_EN, "en"), (chat_slots.STYLE_ZH, "zh"), (chat_slots.GENRE_EN, "en"),
                         (chat_slots.GENRE_ZH, "zh")):
        for slug, words in table.items():
            assert slug in by_name and words and words == getattr(by_name[slug], field), slug
    for table, field in ((chat_slots.CHORD_STYLE_EN, "en"), (chat_slots.CHORD_STYLE_ZH, "zh")):
        for slug, words in table.items():
            assert slug in chord_styles and words == getattr(chord_styles[slug], field), slug
    assert tuple(chat_slots.CHORD_STYLES) == styles.CHORD_STYLE_NAMES
    for table, field in ((chat_slots.MOOD_EN, "en"), (chat_slots.MOOD_ZH, "zh")):
        assert tuple(table) == tuple(chat_slots.MOODS)
        for mood, words in table.items():
            assert mood in moods and words and words == getattr(moods[mood], field), mood
    assert set(chat_slots.MOODS) == {m.name for m in styles.MOODS if m.in_chat}
    assert set(chat_slots.CHORD_MOODS) <= set(chat_slots.MOODS) and set(chat_slots.CHORD_MOODS) <= set(PROGRESSION_MOODS)
    # the chat's own message patterns name table entries only
    assert set(mentions._STYLES) <= set(styles.STYLE_NAMES) | set(styles.CHORD_STYLE_NAMES)
    assert set(mentions._MOODS) <= set(chat_slots.MOODS)
    values = FieldValues.default(moods=styles.CHAT_MOODS, chord_styles=styles.CHORD_STYLE_NAMES).table
    assert set(values["style"]) == set(styles.STYLE_NAMES) | set(styles.CHORD_STYLE_NAMES)
    assert set(values["mood"]) == set(chat_slots.MOODS) and set(values["key"]) == set(pitch.TONICS)


def test_the_table_is_well_formed() -> None:
    names = [s.name for s in styles.STYLES]
    assert len(set(names)) == len(names) and all(re.fullmatch(r"[a-z]+(-[a-z]+)*", n) for n in names)
    aliases = [a for s in styles.STYLES for a in s.aliases]
    assert len(set(aliases)) == len(aliases) and not set(aliases) & set(names)
    for style in styles.STYLES:
        assert style.parent is None or style.parent in names
        assert all(styles.get_style(a) == style for a in (style.name, *style.aliases))
        assert style.en and style.zh, f"{style.name} has no chat words"
    ranks = [s.chat_rank for s in styles.CHAT_STYLES]
    assert ranks == sorted(set(ranks)) and not {s.name for s in styles.CHAT_STYLES} & {g.name for g in styles.GENRES}
    moods = [m.name for m in styles.MOODS]
    assert len(set(moods)) == len(moods)
    for mood in styles.MOODS:
        assert mood.mode in (None, *pitch.MODES) and mood.chord in (None, "bright", "dark", "tense", "calm")
        assert 0.5 <= mood.tempo <= 1.5, mood
    assert styles.mood_of("no such mood") == styles.Mood("no such mood")


def test_style_tempos_are_the_musicians_beat_converted_once() -> None:
    from fractions import Fraction

    from tunesmith.tokenization.music import parse_meter
    from tunesmith.tools.melody.request import build_request

    reel, jig, hornpipe = (styles.get_style(n) for n in ("reel", "jig", "hornpipe"))
    assert (reel.beat, reel.beat_tempo, reel.tempo) == ("1/2", 112, 224)  # half note 112, not 56
    assert (jig.beat, jig.beat_tempo, jig.tempo) == ("3/8", 116, 174)  # dotted quarter 116, not 77
    assert (hornpipe.beat, hornpipe.tempo) == ("1/4", 96)
    for style in styles.STYLES:
        assert style.tempo == round(style.beat_tempo * Fraction(style.beat) * 4) and 20 <= style.tempo <= 400
        assert Fraction(style.beat) * 4 == Fraction(parse_meter(style.meter).beat_length), style.name  # the meter's beat
        assert styles.model_tempo(style.name, style.tempo) == style.label_tempo  # the model is asked as trained
    assert build_request(style="reel", key="D", seed=1).tempo == 224
    happy = styles.model_tempo("reel", round(224 * styles.mood_of("happy").tempo))
    assert happy == round(112 * styles.mood_of("happy").tempo) and styles.model_tempo("mine", 90) == 90
    with pytest.raises(styles.MusicValueError, match="beat"):
        styles._style({"name": "x", "tempo": 100, "beat": "three"})


def test_the_agent_and_the_tools_read_the_moods() -> None:
    from tunesmith.tools.actions.state import SongState, melody_controls

    for mood in styles.MOODS:
        controls = melody_controls(SongState(style="irish-air", mood=mood.name))
        assert controls["mode"] == mood.mode
        assert controls["tempo"] == (None if mood.tempo == 1.0 else round(styles.get_style("irish-air").tempo * mood.tempo))
        assert PROGRESSION_MOODS.get(mood.name) == mood.chord
