"""The pieces of the chat LoRA's synthetic dialogues: made-up songs and the requests of the edit and
question tools in English and Chinese (wording in chat_dialogs.toml), each with the arguments it
states.  chat_results makes their results and replies, chat_data puts dialogues together."""

from __future__ import annotations

import random
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ...tokenization.contract import contract
from ...tokenization.music import Melody, parse_meter
from ...tokenization.pitch import EVERYDAY_TONICS
from ...tokenization.styles import STYLE_NAMES, get_style
from ...tokenization.view import tempo_text
from ..chat.results import chord as degree_chord
from .chat_format import Call

OLD_TOOLS = ("set_style", "generate_melody", "continue_melody", "regenerate_bars", "vary_melody",
             "recommend_chords", "write_lyrics", "check_theory", "analyze_melody", "export_song")
NEW_WEIGHTS = {"change_chord": 10, "reharmonize_bars": 5, "rewrite_lyric_line": 6, "transpose": 6,
               "change_mode": 5, "change_tempo": 6, "undo": 4, "describe_song": 7, "explain_choice": 5,
               "music_knowledge": 7}
OLD_WEIGHTS = {"set_style": 5, "generate_melody": 14, "continue_melody": 4, "regenerate_bars": 3, "vary_melody": 3,
               "recommend_chords": 8, "write_lyrics": 7, "check_theory": 3, "analyze_melody": 3, "export_song": 4}
METERS = ("4/4", "3/4", "6/8", "2/4", "9/8", "2/2")
CHORD_QUALITIES = ("", "", "", "m", "m", "7", "m7", "maj7")
ORD_EN = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")
ZH_DIGITS = "零一二三四五六七八九十"


def diatonic(tonic: str, mode: str) -> tuple[str, ...]:
    return tuple(degree_chord(tonic, mode, d) for d in range(7))


@cache
def dialogs() -> dict:
    return tomllib.loads((Path(__file__).with_name("chat_dialogs.toml")).read_text(encoding="utf-8"))


@dataclass(frozen=True, slots=True)
class FakeSong:
    """A song's facts for the song line and made-up results."""

    tonic: str
    mode: str
    meter: str
    tempo: int
    bars: int
    chords: tuple[str, ...]
    lyrics: tuple[str, ...]
    style: str | None

    @property
    def key(self) -> str:
        return f"{self.tonic} {self.mode}"

    def tempo_words(self) -> str:
        return tempo_text(Melody(notes=(), meter=parse_meter(self.meter), key=None, tempo=self.tempo, bars=self.bars))

    def line(self) -> str:
        extras = [f"{len(self.chords)} chords" if self.chords else "no chords",
                  f"{len(self.lyrics)} lyric lines" if self.lyrics else "no lyrics"]
        return f"{self.bars} bars in {self.key}, {self.meter}, {self.tempo_words()}, {', '.join(extras)}"

    def chart(self) -> str:
        return "| " + " | ".join(self.chords) + " |"


def _pick(rng: random.Random, items):
    items = tuple(items)
    return items[rng.randrange(len(items))]


def fake_song(rng: random.Random, *, lang: str = "en", chords: bool | None = None,
              lyrics: bool | None = None) -> FakeSong:
    tonic, mode = _pick(rng, EVERYDAY_TONICS), _pick(rng, ("major", "major", "minor", "minor", "dorian"))
    meter = _pick(rng, METERS)
    bars = _pick(rng, (8, 8, 8, 16, 16, 4, 12, 32))
    style = _pick(rng, (None, None, *STYLE_NAMES))
    tempo = get_style(style).tempo if style else _pick(rng, (72, 90, 100, 110, 120, 132))
    has_chords = rng.random() < 0.7 if chords is None else chords
    has_lyrics = rng.random() < 0.4 if lyrics is None else lyrics
    scale = diatonic(tonic, mode)
    chart = tuple(_pick(rng, scale[:1] * 3 + scale) for _ in range(bars)) if has_chords else ()
    words = tuple(_pick(rng, LYRIC_LINES[lang]) for _ in range(4)) if has_lyrics else ()
    return FakeSong(tonic, mode, meter, tempo, bars, chart, words, style)


LYRIC_LINES = {"en": ("the river runs beside the road", "I left my heart on Galway shore",
                      "the morning light is cold and clear", "we danced until the fiddles slept",
                      "and every star came out to see", "the wind is calling me back home"),
               "zh": ("山那边的月亮照着我", "风吹过田野的清晨", "我想起故乡的小河", "夜里的灯火还亮着", "雪落在回家的路上")}


# ---------------------------------------------------------------- slots of the new tools

def _bar(rng: random.Random, lang: str, bars: int) -> tuple[str, int]:
    n = rng.randint(1, max(1, bars))
    if lang == "en":
        form = _pick(rng, ("bar {n}", "bar {n}", "measure {n}", "the {o} bar", "m{n}", "bar {n}"))
        return form.format(n=n, o=ORD_EN[n - 1] if n <= 8 else f"{n}th"), n
    return _pick(rng, ("第{n}小节", "第{z}小节", "第{n}节")).format(n=n, z=_zh(n)), n


def _zh(n: int) -> str:
    if n <= 10:
        return ZH_DIGITS[n]
    return ("" if n < 20 else ZH_DIGITS[n // 10]) + "十" + (ZH_DIGITS[n % 10] if n % 10 else "")


def _chord(rng: random.Random, song: FakeSong) -> str:
    root = _pick(rng, diatonic(song.tonic, song.mode) + ("F", "Bb", "D", "E"))
    base = re.sub(r"(m|dim)$", "", root)
    quality = _pick(rng, CHORD_QUALITIES)
    return base + quality if quality or rng.random() < 0.5 else root


def _span(rng: random.Random, lang: str, bars: int) -> tuple[str, str]:
    a = rng.randint(1, max(1, bars - 1))
    b = rng.randint(a, min(bars, a + 7))
    if lang == "en":
        form = _pick(rng, ("bars {a}-{b}", "bars {a} to {b}", "measures {a}-{b}", "bars {a} through {b}"))
    else:
        form = _pick(rng, ("第{a}到{b}小节", "{a}-{b}小节", "第{a}至第{b}小节"))
    return form.format(a=a, b=b), f"{a}-{b}" if a != b else str(a)


def _line(rng: random.Random, lang: str, count: int, *, avoid: int = 0) -> tuple[str, int]:
    n = avoid
    while n == avoid:
        n = rng.randint(1, max(2, count))
    if lang == "en":
        return _pick(rng, ("line {n}", "line {n}", "the {o} line", "lyric line {n}")).format(n=n, o=ORD_EN[n - 1]), n
    return _pick(rng, ("第{n}行", "第{z}句", "第{z}行歌词")).format(n=n, z=_zh(n)), n


def _semitones(rng: random.Random, lang: str) -> tuple[str, int]:
    n = _pick(rng, (1, 2, 2, 3, 4, 5, 7))
    up = rng.random() < 0.5
    if lang == "en":
        text = _pick(rng, ("{d} {n} semitones", "{d} {n} half steps", "{n} semitones {d}")).format(
            d="up" if up else "down", n=n)
    else:
        text = _pick(rng, ("{d}{n}个半音", "{d}{z}个半音")).format(d="升高" if up else "降低", n=n, z="两" if n == 2 else _zh(n))
    return text, n if up else -n


def _key(rng: random.Random, lang: str) -> tuple[str, str]:
    from ..chat import slots as S

    text, args = (S.key_en if lang == "en" else S.key_zh)(rng, modes=("major", "minor"), tonic_only=0.4, phrase=False)
    return text, args["key"] + (f" {args['mode']}" if "mode" in args else "")


def _mode(rng: random.Random, lang: str) -> tuple[str, str]:
    mode = _pick(rng, ("minor", "minor", "major", "dorian", "mixolydian"))
    words = {"en": {"minor": ("minor", "a minor key", "the minor"), "major": ("major", "a major key"),
                    "dorian": ("dorian",), "mixolydian": ("mixolydian",)},
             "zh": {"minor": ("小调", "小调式"), "major": ("大调", "大调式"), "dorian": ("多利亚调式",),
                    "mixolydian": ("混合利底亚调式",)}}[lang][mode]
    return _pick(rng, words), mode


def _tempo(rng: random.Random, lang: str) -> tuple[str, int]:
    from ..chat import slots as S

    text, args = S.tempo(rng, lang)
    return text, args["tempo"]


def _meter(rng: random.Random, lang: str) -> tuple[str, str]:
    from ..chat import slots as S

    text, args = S.meter(rng, lang)
    return text, args["meter"]


def _topic(rng: random.Random, lang: str) -> str:
    return _pick(rng, dialogs()["topics"][lang])


THEMES = {"en": ("about the sea", "about leaving home", "about my grandfather's farm", "about winter", "more hopeful",
                 "about a lost love", "about the harvest"),
          "zh": ("关于大海", "关于离家", "关于故乡", "关于冬天", "更有希望一些", "关于思念")}


def new_request(rng: random.Random, tool: str, lang: str, song: FakeSong) -> tuple[str, dict]:
    """A message asking for one of the edit or question tools, and the arguments it states."""
    templates = dialogs()[lang]
    if tool == "change_tempo" and rng.random() < 0.3:
        text = _pick(rng, templates["change_tempo_relative"])
        faster = any(w in text for w in ("fast", "quick", "speed", "快"))
        slower = any(w in text for w in ("slow", "down", "慢"))
        slower = slower or "too fast" in text or "太快" in text
        return text, {"tempo": "-13%" if slower else "+15%"}  # agent/call_space.RELATIVE
    template = _pick(rng, templates[tool])
    args: dict = {}

    def fill(match: re.Match) -> str:
        slot = match.group(1)
        if slot == "_":
            return ""
        if slot == "bar":
            text, args["bar"] = _bar(rng, lang, song.bars)
        elif slot == "beat":
            beat = rng.randint(2, 4)
            text, args["beat"] = (f"beat {beat}" if lang == "en" else f"第{beat}拍"), beat
        elif slot == "chord":
            text = args["chord"] = _chord(rng, song)
        elif slot == "chordq":
            text = _chord(rng, song)
        elif slot == "span":
            text, args["span"] = _span(rng, lang, song.bars)
        elif slot == "line":
            text, args["line"] = _line(rng, lang, max(4, len(song.lyrics)))
        elif slot == "line2":
            text, args["rhyme_with"] = _line(rng, lang, max(4, len(song.lyrics)), avoid=args.get("line", 0))
        elif slot == "key":
            text, args["key"] = _key(rng, lang)
        elif slot == "semi":
            text, args["semitones"] = _semitones(rng, lang)
        elif slot == "tempo":
            text, args["tempo"] = _tempo(rng, lang)
        elif slot == "meter":
            text, args["meter"] = _meter(rng, lang)
        elif slot == "mode":
            text, args["mode"] = _mode(rng, lang)
        elif slot == "topic":
            text = args["topic"] = _topic(rng, lang)
        elif slot == "theme":
            text = _pick(rng, THEMES[lang])
            args["theme"] = re.sub(r"^(about|关于)\s*", "", text)
        elif slot == "theme_plain":
            text = _pick(rng, THEMES[lang])
            text = re.sub(r"^(about|关于)\s*", "", text)
            args["topic"] = text
        else:
            raise KeyError(slot)
        return str(text)

    text = re.sub(r"\{(\w+)\}", fill, template)
    if tool == "describe_song":
        args.pop("bar", None)
        args["_text"] = text
    if tool == "music_knowledge":
        args.setdefault("topic", text)
        args["_text"] = text
    return _surface(rng, text, lang), args


def _surface(rng: random.Random, text: str, lang: str) -> str:
    if lang == "en" and rng.random() < 0.5:
        text = text[:1].upper() + text[1:]
    if rng.random() < 0.3 and not text.endswith(("?", "？")):
        text += "." if lang == "en" else "。"
    return text


def ordered(tool: str, args: dict) -> Call:
    names = contract().tool(tool).arg_names
    return Call(tool, tuple((n, str(args[n])) for n in names if n in args))


