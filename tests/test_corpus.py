"""The corpus build on tiny synthetic ABC opus files and one MusicXML chorale written in tmp_path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tunesmith.finetune.corpus.build import build_corpus, load_stats, plan_units, read_split
from tunesmith.finetune.corpus.abc import declared_meters, first_voice_only, fix_essen_text, split_abc
from tunesmith.finetune.corpus.parse import Unit, parse_unit
from tunesmith.finetune.corpus.sources import Source, abc_key, dance_style, default_sources, han_genre, label_tune
from tunesmith.finetune.errors import CorpusError
from tunesmith.tokenization.music import KeySpec
from tunesmith.tokenization.records import record_to_song, split_of

GERMAN = """%% a tiny Essen-like opus
X:1
T: Es wollt ein M\x84dchen fr\x81h aufstehn
O: Europa, Mitteleuropa, Deutschland, Hessen
M: 4/4
L: 1/4
K: G
D |: GABc | d2 B2 | cAFD | G3 :|
X:2
T: The same tune a tone higher
O: Europa, Mitteleuropa, Deutschland
M: 4/4
L: 1/4
K: A
E |: ABcd | e2 c2 | dBGE | A3 :|
X:3
T: Meter change
M: 2/4
L: 1/4
K: C
CD | EF | [M:3/4] GAB | c3 |]
X:4
T: Only rests
M: 2/4
L: 1/4
K: C
z2 | z2 | z2 |]
X:5
T: Overfull bar
M: 2/4
L: 1/4
K: C
CD | EFG | AB | c2 |]
X:6
T: Irregular bars
M: 3/4
L: 1/4
K: C
CDE | FG | ABc | d3 |]
X:7
T: Far too long
M: 2/4
L: 1/4
K: C
""" + " ".join(["CD | EF |"] * 70) + """ G2 |]
"""

HAN = """X:1
T: Shan ge
O: China, Shaanxi, Yulin
R: Shange, Xintianyou]
M: 2/4
L: 1/8
K: G
d2B2 | A2G2 | E2D2 | G4 |]
"""

FIDDLE = """X:1
T: The Modal Reel
R: reel
M: C|
L: 1/8
Q: 1/4=120
K: Ador
|: EAAB c2BA | GEDE G2AB | c2BA GEDE | EAAG A4 :|
X:2
T: Three Parts Without Start Repeats
M: 2/4
L: 1/4
K: D
DE | FG | AB | d2 :|
FA | dA | FA | d2 :|
AA | BB | cc | d2 :|
X:3
T: A Pickup Replayed
M: 6/8
L: 1/8
K: G
d | gfe dcB | AGF G2 :|
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _chorale(tmp_path: Path) -> Path:
    """A 2-bar 'chorale' with German lyrics, written with music21 as MusicXML."""
    from tunesmith.tokenization.m21 import song_to_score
    from tunesmith.tokenization.music import Melody, Meter, Note, Song, Syllable

    words = [("Wach", "begin"), ("et", "end"), ("auf", "single"), ("ruft", "single")]
    notes = tuple(Note(67 + i, float(i), 1.0, Syllable(t, s)) for i, (t, s) in enumerate(words))
    notes += (Note(72, 4.0, 4.0, Syllable("uns", "single")),)
    song = Song(Melody(notes=notes, meter=Meter(4, 4), key=KeySpec("C")), title="Wachet auf")
    path = tmp_path / "bwv999.musicxml"
    song_to_score(song).write("musicxml", fp=str(path))
    return path


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> list[Source]:
    tmp_path = tmp_path_factory.mktemp("abc")
    return [Source("essen", (_write(tmp_path, "kinder9.abc", GERMAN), _write(tmp_path, "han1.abc", HAN))),
            Source("oneill", (_write(tmp_path, "0001-0003.abc", FIDDLE),)),
            Source("bach", (_chorale(tmp_path),))]


@pytest.fixture(scope="module")
def built(sources: list[Source], tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("corpus")
    first = build_corpus(out, jobs=2, sources=sources, progress=False)
    second = build_corpus(out, jobs=1, sources=sources, progress=False)
    return out, first.stats, second.stats


def _records(out: Path) -> dict[str, dict]:
    return {r["id"]: r for split in ("train", "valid", "test") for r in read_split(out, split)}


def test_records_round_trip_with_labels_keys_and_lyrics(built) -> None:
    out, stats, _ = built
    records = _records(out)
    assert sorted(records) == ["bach/bwv999", "essen/han1", "essen/kinder9/0001", "oneill/0001-0003/0001",
                               "oneill/0001-0003/0002", "oneill/0001-0003/0003"]
    for record in records.values():
        song = record_to_song(record)
        assert len(song.melody.notes) == len(record["notes"]) > 0
        assert record["split"] == split_of(record["hash"])
    german = records["essen/kinder9/0001"]
    assert german["title"] == "Es wollt ein Mädchen früh aufstehn"
    assert german["styles"] == ["german-folk"] and german["region"] == "Deutschland, Hessen"
    assert (german["key"], german["mode"], german["tempo"]) == ("G", "major", 100)
    han = records["essen/han1"]
    assert han["styles"] == ["chinese-han", "chinese-han-shange"] and han["region"] == "Shaanxi"
    assert han["tempo"] == 72  # the genre's default tempo
    reel = records["oneill/0001-0003/0001"]
    assert (reel["styles"], reel["key"], reel["mode"], reel["tempo"], reel["meter"]) == (
        ["irish-reel"], "A", "dorian", 120, "2/2")
    assert reel["bars"] == 8  # the repeat is written out
    chorale = records["bach/bwv999"]
    assert chorale["styles"] == ["bach-chorale"] and chorale["title"] == "Wachet auf"
    assert [t for _, t, _ in chorale["lyrics"]] == ["Wach", "et", "auf", "ruft", "uns"]
    assert stats["records"] == 6 and stats["with_lyrics"] == 1
    assert stats["styles"]["chinese-han"]["total"] == 1 and stats["styles"]["irish-reel"]["total"] == 1


def test_duplicates_and_skips_are_counted_by_reason(built) -> None:
    _, stats, _ = built
    skips = {reason: entry["count"] for reason, entry in stats["skips"].items()}
    assert skips == {"duplicate": 1, "meter change": 1, "no notes": 1, "overfull bar": 1, "too long": 1,
                     "irregular bars": 1}
    assert stats["skips"]["duplicate"]["examples"] == ["essen/kinder9/0002 (= essen/kinder9/0001)"]
    assert stats["pieces_seen"] == 12 and stats["notes"] > 0 and stats["bars"] > 0


def test_second_run_uses_the_cache_and_writes_the_same_files(built, sources) -> None:
    out, first, second = built
    assert first["cache"] == {"hits": 0, "misses": 4}
    assert second["cache"] == {"hits": 4, "misses": 0}
    before = {name: (out / name).read_bytes() for name in ("train.jsonl", "valid.jsonl", "test.jsonl")}
    stale = out / "cache" / "v0-0123.json"
    stale.write_text("{}", encoding="utf-8")
    build_corpus(out, jobs=1, sources=sources, progress=False)
    assert not stale.exists()  # entries of other builder versions are pruned
    assert before == {name: (out / name).read_bytes() for name in before}
    assert load_stats(out)["records"] == first["records"]


def test_pickups_and_repeats_keep_bar_lines_on_the_grid(built) -> None:
    records = _records(built[0])
    german = records["essen/kinder9/0001"]  # pickup D, then |: GABc | d2 B2 | cAFD | G3 :|
    onsets_of_g = [o for p, o, _ in german["notes"] if p == 67 and o % 4 == 0]
    assert german["notes"][0][1] == 3.0  # the pickup is the last beat of bar 1
    assert len(onsets_of_g) == 4  # both passes start and end on a downbeat
    parts = records["oneill/0001-0003/0002"]  # three ':|' sections: each played twice, no more
    assert parts["bars"] == 2 * 3 * 4
    replayed = records["oneill/0001-0003/0003"]  # d | gfe dcB | AGF G2 :| - the short last bar completes the pickup
    assert [o for p, o, _ in replayed["notes"] if p == 79] == [3.0, 9.0]
    assert [o for p, o, _ in replayed["notes"] if p == 74][:2] == [2.5, 4.5] and replayed["bars"] == 5


def test_limit_keeps_the_first_pieces_of_each_source(sources, tmp_path: Path) -> None:
    units = plan_units(sources, limit=2)
    assert [(u.source, u.pieces) for u in units] == [("essen", 2), ("oneill", 2), ("bach", 1)]
    assert [u.pieces for u in plan_units(sources)] == [7, 1, 3, 1]
    stats = build_corpus(tmp_path, jobs=1, sources=sources[1:2], limit=1, progress=False).stats
    assert stats["pieces_seen"] == 1 and stats["records"] == 1


def test_one_broken_tune_does_not_stop_its_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "erk99.abc", "X:1\nT:Broken\nM:2/4\nL:1/4\nK:C\nCD|E\x00F|[[[(((\n"
                  "X:2\nT:Fine\nM:2/4\nL:1/4\nK:C\nCD|EF|G2|]\n")
    result = parse_unit(Unit("essen", ((str(path), 0, 2),)))
    assert [r["title"] for r in result["records"]] == ["Fine"]
    assert len(result["records"]) + len(result["skips"]) == 2


def test_unknown_source_is_a_clear_error() -> None:
    with pytest.raises(CorpusError, match="unknown corpus source"):
        default_sources(["essen", "palestrina"])


def test_labels_from_header_fields() -> None:
    assert dance_style("Slip Jig") == "irish-slip-jig" and dance_style("highland fling") == "fiddle-tune"
    assert dance_style("", title="The Boyne Hunt Reel") == "irish-reel" and dance_style("", title="Aileen") is None
    assert han_genre("Xiaodiao, Erge]") == "chinese-han-erge" and han_genre("Wuge, Yangge") == "chinese-han-wuge"
    assert abc_key("Dmix") == KeySpec("D", "mixolydian") and abc_key("EMinor") == KeySpec("E", "minor")
    assert abc_key("G") is None and abc_key("none") is None
    oneill = label_tune("oneill", "1376-1475", {"T": ["A Reel Without R"], "B": ["O'Neill's 1400"], "M": ["C|"]})
    assert oneill.styles == ("irish-reel",)
    jig_section_in_4 = label_tune("oneill", "0811-0899", {"T": ["Odd"], "X": ["850"], "M": ["C"]})
    assert jig_section_in_4.styles == ("fiddle-tune",)


def test_abc_text_fixes() -> None:
    assert fix_essen_text("Gr\x81\xe1e", irish=False) == "Grüße"
    assert fix_essen_text("R\xe1d\xe1i", irish=True) == "Rádái"
    assert first_voice_only("X:1\nV:1\nV:2\nK:D\nV:1\nab|\nV:2\ncd|\n") == "X:1\nK:D\nab|"
    assert declared_meters("M:C\nK:C\nab|\n") == {"4/4"}
    tunes = split_abc("% header\nX:1\nT:A\nM:2/4\nK:C\n{g}ab|\nX:2\nT:B\nM:6/8\nK:C\nabc|\n")
    assert [t.meters for t in tunes] == [frozenset({"2/4"}), frozenset({"6/8"})]
    assert "{g}" not in tunes[0].text and tunes[0].text.startswith("% header")


def test_cli_build_and_stats(built, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tunesmith.agent.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["corpus", "stats", "--out", str(built[0])])
    assert exit_info.value.code in (0, None)
    shown = capsys.readouterr().out
    assert "chinese-han-shange" in shown and "overfull bar" in shown
    with pytest.raises(SystemExit) as exit_info:
        main(["corpus", "stats", "--out", str(tmp_path / "nothing")])
    assert exit_info.value.code == 1 and "corpus build" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["corpus", "build", "--out", str(tmp_path / "x"), "--sources", "essen,bogus", "--quiet"])
    assert exit_info.value.code == 1


def test_stats_file_is_complete(built) -> None:
    stats = json.loads((built[0] / "stats.json").read_text(encoding="utf-8"))
    for key in ("music21_version", "build_seconds", "splits", "styles", "skips", "notes", "bars", "cache"):
        assert key in stats
    assert sum(stats["splits"].values()) == stats["records"]
