"""Shipped data files: every package-data file is tracked by git and loads; the generated tables
(chord counts, form maps) and the chat wording have their expected shape, and the commands that
derive them write files the loaders read back."""

from __future__ import annotations

import json
import subprocess
import tomllib
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tunesmith.finetune.chat import replies as chat_replies
from tunesmith.finetune.chat import templates as chat_templates
from tunesmith.tokenization.vocab import CHORD_QUALITIES
from tunesmith.tools.chords import tables as chord_tables
from tunesmith.tools.melody import form

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# The data files this test knows the shape of, as (package, file name).
GENERATED = [("tunesmith.tools.chords", "chorale_counts.json"), ("tunesmith.tools.melody", "form_maps.json"),
             ("tunesmith.finetune.chat", "templates.toml"), ("tunesmith.finetune.chat", "replies.toml")]


def _package_folder(package: str) -> Path:
    """The source folder of a tunesmith.* package (pyproject's package-dir mapping)."""
    mapping = PYPROJECT["tool"]["setuptools"]["package-dir"]
    top = next(name for name in mapping if package == name or package.startswith(name + "."))
    return ROOT / mapping[top] / package[len(top):].lstrip(".").replace(".", "/")


def _shipped() -> list[Path]:
    """Every file the package-data globs match, in the source tree."""
    files = []
    for package, patterns in PYPROJECT["tool"]["setuptools"]["package-data"].items():
        for pattern in patterns:
            files.extend(sorted(_package_folder(package).glob(pattern)))
    return files


def test_every_shipped_data_file_is_tracked_and_loads() -> None:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    tracked = set(listed.decode("utf-8").split("\0"))
    files = _shipped()
    assert {(p.parent, p.name) for p in files} >= {(_package_folder(k), n) for k, n in GENERATED}
    for path in files:
        assert path.relative_to(ROOT).as_posix() in tracked, f"{path.relative_to(ROOT)} is not in git"
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            json.loads(text)
        elif path.suffix == ".toml":
            tomllib.loads(text)
        elif path.suffix == ".jsonl":
            assert all(json.loads(line) is not None for line in text.splitlines() if line.strip())
        assert text.strip(), path


def test_installed_packages_carry_the_data_files() -> None:
    for package, name in GENERATED:
        assert resources.files(package).joinpath(name).is_file(), (package, name)


# ----------------------------------------------------------------------------- chord counts

def test_chorale_counts_shape() -> None:
    data = json.loads(chord_tables.TABLES_FILE.read_text(encoding="utf-8"))
    assert data["bigram_min_count"] == chord_tables.BIGRAM_MIN_COUNT and data["source"]
    unigrams, bigrams = chord_tables.load_tables()
    assert (unigrams, bigrams) == (chord_tables.CHORALE_UNIGRAMS, chord_tables.CHORALE_BIGRAMS)
    assert list(unigrams) == list(bigrams) == ["major", "minor"]
    for mode in ("major", "minor"):
        uni, bi = unigrams[mode], bigrams[mode]
        assert len(uni) > 20 and len(bi) > 100, mode
        for name, count in uni.items():
            interval, quality = name.split(":")
            assert 0 <= int(interval) < 12 and quality in CHORD_QUALITIES, name
            assert isinstance(count, int) and count > 0, name
        order = lambda counts: sorted(counts, key=lambda k: (-counts[k], k))  # noqa: E731
        assert list(uni) == order(uni) and list(bi) == order(bi), mode
        tonic = "0:maj" if mode == "major" else "0:min"
        assert next(iter(uni)) == tonic, mode
        leaving: dict[str, int] = {}
        for pair, count in bi.items():
            a, b = pair.split(">")
            assert min(uni[a], uni[b]) >= chord_tables.BIGRAM_MIN_COUNT and count > 0, pair
            leaving[a] = leaving.get(a, 0) + count
        assert all(n <= uni[a] for a, n in leaving.items())


def _records(path: Path) -> Path:
    rows = [{"key": "C", "mode": "major", "chord_roots": [0, 5, 7, 0] * 3,
             "chord_qualities": ["maj", "maj", "7", "maj"] * 3},
            {"key": "A", "mode": "minor", "chord_roots": [9, 4, 9] * 2, "chord_qualities": ["min", "maj", "min"] * 2}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_write_tables_round_trips(tmp_path) -> None:
    records = _records(tmp_path / "train.jsonl")
    written = chord_tables.write_tables(records, tmp_path / "counts.json")
    unigrams, bigrams = chord_tables.load_tables(written)
    assert (unigrams, bigrams) == chord_tables.count_chorale_tables(records)
    assert unigrams["major"] == {"0:maj": 6, "5:maj": 3, "7:7": 3}
    assert bigrams["minor"] == {}  # '7:maj' occurs twice, under BIGRAM_MIN_COUNT
    assert json.loads(written.read_text())["source"] == "train.jsonl"


def test_harmony_build_writes_the_tables(tmp_path) -> None:
    from tunesmith.agent.cli_harmony import harmony_app

    shipped = chord_tables.TABLES_FILE.read_bytes()
    out, counts = tmp_path / "harmony", tmp_path / "counts.json"
    args = ["build", "--out", str(out), "--limit", "2", "--jobs", "1", "--cache-dir", str(tmp_path / "cache"), "-q"]
    result = CliRunner().invoke(harmony_app, [*args, "--tables", str(counts)])
    assert result.exit_code == 0, result.output
    assert chord_tables.load_tables(counts) == chord_tables.count_chorale_tables(out / "train.jsonl")
    result = CliRunner().invoke(harmony_app, args)  # a --limit try leaves the shipped counts alone
    assert result.exit_code == 0 and "chorale_counts" not in result.output
    assert chord_tables.TABLES_FILE.read_bytes() == shipped


# ----------------------------------------------------------------------------- form maps

def test_form_maps_file_shape() -> None:
    data = json.loads(form.FORM_MAPS_FILE.read_text(encoding="utf-8"))
    assert data["bars"] == form.FORM_BARS and data["source"]
    assert form.load_form_maps() == form.FORM_MAPS and form.DEFAULT_FORM_STYLE in form.FORM_MAPS
    assert all(isinstance(maps, tuple) and all(isinstance(m, str) and isinstance(w, float) for m, w in maps)
               for table in form.FORM_MAPS.values() for maps in table.values())


def test_form_stats_writes_the_maps(tmp_path, monkeypatch) -> None:
    from tunesmith.eval import form_stats
    from tunesmith.tokenization.music import KeySpec, Melody, Meter, Note

    def melody(pitches: list[int]) -> Melody:
        notes = tuple(Note(p, i * 2.0, 2.0) for i, p in enumerate(pitches))
        return Melody(notes=notes, meter=Meter(2, 4), key=KeySpec("C"), bars=len(pitches))

    tunes = [melody([60, 62, 64, 65, 60, 62, 64, 65])] * 15 + [melody([60 + i for i in range(8)])] * 10
    monkeypatch.setattr(form_stats, "windows", lambda corpus, *, bars, splits: {"irish-reel": tunes})
    maps = tmp_path / "maps.json"
    form_stats.main(["--splits", "train", "--out", str(tmp_path / "stats.json"), "--maps", str(maps)])
    assert form.load_form_maps(maps) == {"irish-reel": {"pickup": (("12345678", 0.4), ("12341234", 0.6)),
                                                        "downbeat": (("12345678", 0.4), ("12341234", 0.6))}}
    report = json.loads((tmp_path / "stats.json").read_text())["templates"]
    assert {s: t for s, t in report.items() if s != "from"} == json.loads(maps.read_text())["styles"]
    with pytest.raises(ValueError, match="8 bars"):
        form.write_form_maps({"irish-reel": {"pickup": [["1234", 1.0]]}}, source="x", path=maps)


# ----------------------------------------------------------------------------- chat wording

def test_chat_templates_shape() -> None:
    assert list(chat_templates.TEMPLATES) == ["en", "zh"]
    assert chat_templates.load_templates() == chat_templates.TEMPLATES
    assert set(chat_templates.EN) == set(chat_templates.ZH)
    for table in (chat_templates.EN, chat_templates.ZH):
        for tool, templates in table.items():
            assert isinstance(templates, tuple) and all(isinstance(t, str) and t.strip() for t in templates), tool
            assert all(t.count("{") == t.count("}") for t in templates), tool


def test_chat_replies_shape() -> None:
    assert chat_replies.load_replies() == chat_replies.REPLIES
    assert list(chat_replies.REPLIES) == ["en", "zh"]
    for lang, groups in chat_replies.REPLIES.items():
        assert isinstance(groups, tuple) and len(groups) > 20, lang
        for asks, replies in groups:
            assert isinstance(asks, tuple) and isinstance(replies, tuple) and asks and replies
            assert all(isinstance(t, str) and t.strip() and "\n" not in t for t in asks + replies)
