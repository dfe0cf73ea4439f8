"""Score files as a notation program shows them: before (the writer at BASELINE_REV) and after.

Run:  python -m tunesmith.eval.eval_scores [--styles ...] [--seeds ...] [--no-musescore]

One run writes every output kind (melody, melody + chords, melody + English lyrics, melody +
Mandarin lyrics) for a few styles and seeds twice: with the code at `--baseline-rev` (checked
out into a temporary folder and run in a subprocess) and with this working tree.  The melodies
are made one after another in one chat state, as a person would, so a title left over from an
earlier song shows.  Both sets are then measured by the same code:

* accidentals per tune: redundant (shown where the key signature and the earlier notes of the
  bar already give the pitch) and missing (needed but not shown);
* title (the song's own style and key, in the MusicXML and the MIDI track name), composer,
  tempo mark (above the staff, sounding the song's tempo);
* a long leading rest written as a pickup bar (number 0, implicit; in the MIDI file a short
  first time signature), the ABC and MIDI files equally long;
* lyric extenders per word-end melisma (and any inside a word, where a hyphen belongs), chord
  symbols per chord;
* the verovio PNG's width and lyric words that touch or overlap, measured on the SVG with the
  advance widths of the font the rasteriser picks;
* MuseScore 3 (when installed, headless under xvfb-run): every MusicXML exports to PNG.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

BASELINE_REV = "1a1abe7"  # the writer before issue 16 (parts 2 and 3)
STYLES = ("irish-reel", "irish-jig", "german-folk", "chinese-han")
SEEDS = (1, 2)
KINDS = ("melody", "chords", "lyrics-en", "lyrics-zh")
THEMES = {"lyrics-en": ("the sea", "en"), "lyrics-zh": ("月亮", "zh")}
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "eval" / "results" / "scores.json"
TOUCH_EM = 0.15  # lyric syllables closer than this (in em of the lyric font) read as one word


# ----------------------------------------------------------------------------- writing (either tree)

def write_all(out: Path, *, styles: list[str], seeds: list[int]) -> list[dict]:
    """Make the songs with the actions of whichever tree is imported and write every file kind."""
    from tunesmith.tokenization.files import write_song
    from tunesmith.tokenization.records import song_to_record
    from tunesmith.tools.actions import chords as chords_action, lyrics as lyrics_action, melody as melody_action
    from tunesmith.tools.actions.base import Context
    from tunesmith.tools.actions.models import Models
    from tunesmith.tools.actions.state import SongState
    from tunesmith.tools.export.render import render_png, render_svg

    checkpoints = Path(os.environ.get("TUNESMITH_CHECKPOINTS", ROOT / "checkpoints"))
    ctx = Context(models=Models(checkpoints / "default"), out_dir=out / "actions")
    state, made = SongState(), []
    for style in styles:
        for seed in seeds:
            state = melody_action.generate_melody(state, ctx, style=style, seed=seed).state
            songs = {"melody": state.song, "chords": chords_action.recommend_chords(state, ctx).state.song}
            for kind, (theme, lang) in THEMES.items():
                songs[kind] = lyrics_action.write_lyrics(state, ctx, theme=theme, lang=lang, seed=seed,
                                                         melisma=True, drafter="rules").state.song
            for kind, song in songs.items():
                stem = f"{style}-s{seed}-{kind}"
                # the writer alone, as /export and every action write files
                files = {k: str(v) for k, v in write_song(song, out, stem=stem).items()}
                svg = render_svg(Path(files["musicxml"]), out / f"{stem}.svg")[0]
                files["svg"], files["png"] = str(svg), str(render_png(svg, out / f"{stem}.png"))
                held = [n.lyric.syllabic for n in song.melody.notes if n.lyric is not None and n.lyric.extend]
                made.append({"style": style, "seed": seed, "kind": kind, "files": files,
                             "melismas": sum(syllabic in ("single", "end") for syllabic in held),  # records drop `extend`
                             "song": song_to_record(song, record_id=stem, source="eval", styles=[style])})
    (out / "manifest.json").write_text(json.dumps(made, ensure_ascii=False), encoding="utf-8")
    return made


def baseline_tree(rev: str, folder: Path) -> Path:
    """The code at `rev` as an importable `tunesmith` package under folder."""
    package = folder / "tunesmith"
    package.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "tokenization", "tools", "prompts", "finetune"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(package)], input=archive, check=True)
    return folder


# ----------------------------------------------------------------------------- measuring

def accidentals(root: ET.Element) -> tuple[int, int]:
    """(redundant, missing) accidentals: the reader's rule, per bar, same letter and octave."""
    from tunesmith.tokenization.pitch import key_signature

    redundant = missing = 0
    fifths = 0
    for measure in root.iter("measure"):
        found = measure.find("attributes/key/fifths")
        fifths = int(found.text) if found is not None else fifths
        signature = key_signature(fifths)
        heard: dict[tuple[str, str], int] = {}
        for note in measure.iter("note"):
            step, octave = note.findtext("pitch/step"), note.findtext("pitch/octave")
            if step is None:
                continue
            alter = int(float(note.findtext("pitch/alter") or 0))
            tied = any(t.get("type") == "stop" for t in note.findall("tie"))
            needed = not tied and alter != heard.get((step, octave), signature[step])
            shown = note.find("accidental") is not None
            redundant += shown and not needed
            missing += needed and not shown
            if not tied:
                heard[(step, octave)] = alter
    return redundant, missing


def midi_end(path: Path) -> float:
    """Where the file's melody track ends, in quarters from the start of the file."""
    import symusic

    score = symusic.Score.from_file(str(path))
    lead = next(t for t in score.tracks if t.name == "Melody")
    return lead.end() / score.ticks_per_quarter


def midi_first_bar(path: Path) -> float:
    """Length in quarters of the file's first bar (its first time signature's bar)."""
    import symusic

    first = symusic.Score.from_file(str(path)).time_signatures[0]
    return first.numerator * 4 / first.denominator


def midi_track_name(path: Path) -> str | None:
    """The name of the first track (tunesmith's conductor track carries the song title)."""
    data = path.read_bytes()
    start = data.find(b"MTrk")
    end = start + 8 + struct.unpack(">I", data[start + 4:start + 8])[0]
    found = data.find(b"\xff\x03", start, end)
    if start < 0 or found < 0:
        return None
    length, at = 0, found + 2
    while True:  # a variable-length quantity
        length = (length << 7) | (data[at] & 0x7F)
        at += 1
        if data[at - 1] < 0x80:
            break
    return data[at:at + length].decode("utf-8", "replace")


def png_width(path: Path) -> int:
    with open(path, "rb") as handle:
        return struct.unpack(">I", handle.read(24)[16:20])[0]


def _font_file(svg: str) -> str:
    """The font file fontconfig picks for the SVG's text (the CSS rule first, then the attribute)."""
    found = re.search(r"text\s*\{\s*font-family:\s*([^;}]+)", svg) or re.search(r'font-family="([^"]+)"', svg)
    families = [f.strip().strip("'\"") for f in found.group(1).split(",")] if found else ["serif"]
    installed = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True).stdout
    names = {name.strip() for line in installed.splitlines() for name in line.split(",")}
    chosen = next((f for f in families if f in names), families[-1])
    return subprocess.run(["fc-match", "-f", "%{file}", chosen], capture_output=True, text=True).stdout


def lyric_collisions(svg_path: Path) -> int:
    """Neighbouring lyric syllables on one line that touch or overlap when drawn with the rasteriser's font."""
    from fontTools.ttLib import TTFont

    svg = svg_path.read_text(encoding="utf-8")
    font = TTFont(_font_file(svg), fontNumber=0)
    cmap, advances, em = font.getBestCmap(), font["hmtx"].metrics, font["head"].unitsPerEm
    boxes = []
    for match in re.finditer(r'class="syl".*?<text x="(\d+)" y="(\d+)".*?font-size="(\d+)px">([^<]*)</tspan>', svg, re.S):
        x, y, size, text = int(match.group(1)), int(match.group(2)), int(match.group(3)), match.group(4)
        width = sum(advances.get(cmap.get(ord(c), ".notdef"), (em, 0))[0] for c in text) / em * size
        boxes.append((y, x, x + width, size))
    touching = 0
    for (y1, _, right, size), (y2, left, _, _) in zip(boxes, boxes[1:]):
        touching += y1 == y2 and left - right < TOUCH_EM * size
    return touching


def _leading_rest(record: dict) -> float:
    notes = record["notes"]
    return notes[0][1] if notes else 0.0


def measure(entry: dict) -> dict:
    """Every check on one written song."""
    from music21 import converter

    from tunesmith.tokenization.abc import pickup_length
    from tunesmith.tokenization.records import record_to_song

    song = record_to_song(entry["song"])
    files = {k: Path(v) for k, v in entry["files"].items()}
    root = ET.parse(files["musicxml"]).getroot()
    redundant, missing = accidentals(root)
    expected_title = f"{entry['style']} in {song.melody.key}"
    direction = next(iter(root.iter("direction")), None)
    metronome = root.find(".//direction/direction-type/metronome")
    first = root.find(".//measure")
    upbeat = float(pickup_length(song))
    extended = [ly.findtext("syllabic") for ly in root.iter("lyric") if ly.find("extend") is not None]
    abc = converter.parse(files["abc"].read_text(encoding="utf-8"), format="abc")
    abc_notes = list(abc.flatten().notes.getElementsNotOfClass("ChordSymbol"))
    abc_span = float(abc_notes[-1].offset + abc_notes[-1].quarterLength - abc_notes[0].offset)
    midi_span = song.melody.notes[-1].end - song.melody.notes[0].onset
    abc_end = float(abc_notes[-1].offset + abc_notes[-1].quarterLength)
    return {
        "name": f"{entry['style']}-s{entry['seed']}-{entry['kind']}", "kind": entry["kind"],
        "redundant_accidentals": redundant, "missing_accidentals": missing,
        "title_ok": root.findtext("work/work-title") == expected_title,
        "midi_title_ok": midi_track_name(files["midi"]) == expected_title,
        "composer": root.findtext("identification/creator[@type='composer']"),
        "tempo_above": direction is not None and direction.get("placement") == "above" and metronome is not None,
        "tempo_sounds": float(root.find(".//sound[@tempo]").get("tempo")) == song.melody.tempo,
        "pickup_wanted": upbeat > 0,
        "pickup_bar": first.get("number") == "0" and first.get("implicit") == "yes",
        "abc_matches_midi": abs(abc_span - midi_span) < 1e-6,  # the same notes from the first one on
        "abc_length_matches_midi": abs(abc_end - midi_end(files["midi"])) < 1e-6,  # the files, from time 0
        "midi_pickup_signature": midi_first_bar(files["midi"]) < song.melody.bar_length,
        "melismas": entry["melismas"], "extenders": sum(k in ("single", "end") for k in extended),
        "extenders_inside_words": sum(k in ("begin", "middle") for k in extended),  # a hyphen belongs there
        "chords": len(song.chords), "harmony": sum(1 for _ in root.iter("harmony")),
        "png_width": png_width(files["png"]), "lyric_collisions": lyric_collisions(files["svg"]),
    }


def musescore(paths: list[Path], folder: Path) -> dict[str, bool]:
    """MuseScore 3 exports each MusicXML to PNG (one batch job under xvfb-run); {name: exported}."""
    program = shutil.which("musescore3") or shutil.which("mscore3")
    if program is None or shutil.which("xvfb-run") is None:
        return {}
    folder.mkdir(parents=True, exist_ok=True)
    job = [{"in": str(p), "out": str(folder / f"{p.stem}.png")} for p in paths]
    (folder / "job.json").write_text(json.dumps(job), encoding="utf-8")
    subprocess.run(["xvfb-run", "-a", program, "-j", str(folder / "job.json")], capture_output=True, timeout=900,
                   env={**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "xcb")})
    return {p.stem: any(f.stat().st_size > 0 for f in folder.glob(f"{p.stem}*.png")) for p in paths}


def summarize(rows: list[dict], exported: dict[str, bool]) -> dict:
    count = len(rows)
    def collisions(kind: str) -> float:
        lyric = [r["lyric_collisions"] for r in rows if r["kind"] == kind]
        return round(sum(lyric) / max(1, len(lyric)), 2)

    wanted = [r for r in rows if r["pickup_wanted"]]
    return {
        "tunes": count,
        "redundant_accidentals_per_tune": round(sum(r["redundant_accidentals"] for r in rows) / count, 2),
        "redundant_accidentals_max": max(r["redundant_accidentals"] for r in rows),
        "missing_accidentals": sum(r["missing_accidentals"] for r in rows),
        "title_ok": sum(r["title_ok"] for r in rows), "midi_title_ok": sum(r["midi_title_ok"] for r in rows),
        "composer_tunesmith": sum(r["composer"] == "tunesmith" for r in rows),
        "tempo_above": sum(r["tempo_above"] for r in rows), "tempo_sounds": sum(r["tempo_sounds"] for r in rows),
        "pickups_wanted": len(wanted), "pickup_bars": sum(r["pickup_bar"] for r in wanted),
        "midi_pickup_bars": sum(r["midi_pickup_signature"] for r in wanted),
        "midi_short_first_bar_without_pickup": sum(r["midi_pickup_signature"] for r in rows if not r["pickup_wanted"]),
        "abc_matches_midi": sum(r["abc_matches_midi"] for r in rows),
        "abc_length_matches_midi": sum(r["abc_length_matches_midi"] for r in rows),
        "melismas": sum(r["melismas"] for r in rows), "extenders": sum(r["extenders"] for r in rows),
        "extenders_inside_words": sum(r["extenders_inside_words"] for r in rows),
        "chords": sum(r["chords"] for r in rows), "harmony": sum(r["harmony"] for r in rows),
        "png_width": min(r["png_width"] for r in rows),
        "lyric_collisions_per_tune_en": collisions("lyrics-en"), "lyric_collisions_per_tune_zh": collisions("lyrics-zh"),
        "musescore_exported": sum(exported.values()) if exported else None,
    }


def run(*, styles: list[str], seeds: list[int], rev: str, folder: Path, use_musescore: bool) -> dict:
    started = time.perf_counter()
    tree = baseline_tree(rev, folder / "tree")
    subprocess.run([sys.executable, str(Path(__file__).resolve()), "--write", str(folder / "before"),
                    "--tree", str(tree), "--styles", *styles, "--seeds", *map(str, seeds)], check=True)
    write_all(folder / "after", styles=styles, seeds=seeds)
    result = {"command": "python -m tunesmith.eval.eval_scores " + " ".join(["--styles", *styles, "--seeds", *map(str, seeds)]),
              "baseline_rev": rev, "musescore": bool(use_musescore and shutil.which("musescore3"))}
    for side in ("before", "after"):
        entries = json.loads((folder / side / "manifest.json").read_text(encoding="utf-8"))
        rows = [measure(e) for e in entries]
        exported = musescore([Path(e["files"]["musicxml"]) for e in entries], folder / side / "musescore") \
            if use_musescore else {}
        result[side] = {"summary": summarize(rows, exported), "tunes": rows}
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--styles", nargs="+", default=list(STYLES))
    parser.add_argument("--seeds", nargs="+", type=int, default=list(SEEDS))
    parser.add_argument("--baseline-rev", default=BASELINE_REV)
    parser.add_argument("--no-musescore", action="store_true")
    parser.add_argument("--keep", type=Path, help="write the files here (default: a temporary folder)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--write", type=Path, help=argparse.SUPPRESS)  # the baseline subprocess
    parser.add_argument("--tree", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.write:
        if args.tree:  # import tunesmith from the baseline tree, not this checkout
            sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
            sys.path.insert(0, str(args.tree))
        write_all(args.write, styles=args.styles, seeds=args.seeds)
        return
    folder = args.keep or Path(tempfile.mkdtemp(prefix="eval-scores-"))
    if args.keep and folder.exists():
        shutil.rmtree(folder)
    result = run(styles=args.styles, seeds=args.seeds, rev=args.baseline_rev, folder=folder,
                 use_musescore=not args.no_musescore)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    for side in ("before", "after"):
        print(side, json.dumps(result[side]["summary"], ensure_ascii=False))
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
