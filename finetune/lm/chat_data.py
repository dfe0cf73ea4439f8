"""Synthetic multi-turn dialogues for the chat LoRA on the pretrained base (English and Chinese).

Each sample is a transcript (a song line, 0-2 earlier exchanges, the person's message, maybe the
calls already made this turn with their results) and the line the model must write next: a
Call (tool and the arguments the message states, in the contract's order) or a Reply.  Kinds:
a request and its call; a question or chat and its reply; a call's result and the reply that
reports it (its facts copied from the result, in the person's language); follow-ups whose value
comes from an earlier message ("and bar 4 too").  The wording of the edit and question tools is
chat_dialogs.toml; the earlier tools reuse the contract-era templates and results of
finetune/chat (data.request, results.result_and_reply) until that package is retired.
"""

from __future__ import annotations

import random
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ...tokenization.contract import contract
from ...tokenization.music import Melody, parse_meter
from ...tokenization.pitch import EVERYDAY_TONICS, tonic_zh
from ...tokenization.styles import STYLE_NAMES, get_style
from ...tokenization.view import tempo_text
from ..chat.results import chord as degree_chord
from .chat_format import Call, Exchange, Transcript

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
class Sample:
    """One training example: what the model reads and the line it writes."""

    lang: str
    kind: str  # call, reply, result
    transcript: Transcript
    target: Call | str


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
    if tool == "music_knowledge" and "topic" not in args:
        args["topic"] = text
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


# ---------------------------------------------------------------- results and the replies that report them

def _files(rng: random.Random, what: str) -> str:
    stem = f"songs/{rng.randrange(16**4):04x}/{rng.randint(2, 40):03d}-{what}"
    return f"{stem}.mid, {stem}.musicxml, {stem}.abc"


def _zh_key(key: str) -> str:
    from ..chat.results import key_zh

    tonic, _, mode = key.partition(" ")
    return key_zh(tonic, mode or "major")


def _summary(tool: str, **values) -> str:
    return contract().tool(tool).summary(**values)


def new_result(rng: random.Random, tool: str, args: dict, lang: str, song: FakeSong) -> tuple[str, str]:
    """(the tool's result as the contract words it, the reply that reports it in `lang`)."""
    words = dialogs()["replies"][lang]
    zh = lang == "zh"
    facts: dict = {}
    if tool in ("change_chord", "explain_choice") and args.get("bar", 1) > song.bars:
        error = f"{tool} failed: bar {args['bar']} is past the end: the song has {song.bars} bars"
        return error, _pick(rng, words["error"]).format(error=error.split(": ", 1)[1])
    if tool == "change_chord":
        bar = args["bar"]
        old = song.chords[bar - 1] if song.chords else "none"
        chart = list(song.chords or ["N.C."] * song.bars)
        chart[bar - 1] = args["chord"]
        beat = f" beat {args['beat']}" if args.get("beat") else ""
        result = _summary(tool, bar=bar, beat=beat, chord=args["chord"], old=old, chart="| " + " | ".join(chart) + " |",
                          files=_files(rng, "chords"))
        facts = {"bar": bar, "chord": args["chord"], "old": old}
    elif tool == "reharmonize_bars":
        a, _, b = args["span"].partition("-")
        span = range(int(a), int(b or a) + 1)
        scale = diatonic(song.tonic, song.mode)
        changed = ", ".join(f"bar {n} {_pick(rng, scale)}" for n in span if n <= song.bars)
        result = _summary(tool, span=args["span"], changed=changed, chart=song.chart(), files=_files(rng, "chords"))
        facts = {"span": args["span"], "changed": changed}
    elif tool == "rewrite_lyric_line":
        line = args["line"]
        text = _pick(rng, LYRIC_LINES[lang])
        old = song.lyrics[line - 1] if line <= len(song.lyrics) else _pick(rng, LYRIC_LINES[lang])
        rhymes = f" rhyming with line {args['rhyme_with']}" if args.get("rhyme_with") else ""
        result = _summary(tool, line=line, text=text, old=old, rhymes=rhymes, lines=" / ".join(song.lyrics or (text,)),
                          files=_files(rng, "lyrics"))
        facts = {"line": line, "text": text, "rhymes": rhymes}
    elif tool == "transpose":
        if "key" in args:
            key = args["key"] if " " in args["key"] else f"{args['key']} {song.mode}"
            shift = f"up {rng.randint(1, 6)} semitones"
        else:
            n = args["semitones"]
            key = f"{_pick(rng, EVERYDAY_TONICS)} {song.mode}"
            shift = f"{'up' if n > 0 else 'down'} {abs(n)} semitones"
        result = _summary(tool, old=song.key, key=key, shift=shift, files=_files(rng, "transposed"))
        facts = {"key": _zh_key(key) if zh else key, "shift": shift}
    elif tool == "change_mode":
        key = f"{song.tonic} {args['mode']}"
        changed = rng.randint(3, 20)
        result = _summary(tool, key=key, old=song.key, changed=changed, chords="kept, re-spelled" if song.chords else "none",
                          files=_files(rng, "mode"))
        facts = {"key": _zh_key(key) if zh else key, "old": _zh_key(song.key) if zh else song.key, "changed": changed}
    elif tool == "change_tempo":
        meter = args.get("meter", song.meter)
        tempo = args.get("tempo", song.tempo)
        if isinstance(tempo, str):  # a relative change
            tempo = max(20, min(400, round(song.tempo * (1.15 if tempo.startswith("+") else 0.87))))
        after = tempo_text(Melody(notes=(), meter=parse_meter(meter), key=None, tempo=tempo, bars=song.bars))
        result = _summary(tool, tempo=after, meter=meter, old=f"{song.tempo_words()}, {song.meter}", bars=song.bars,
                          files=_files(rng, "tempo"))
        facts = {"tempo": after, "meter": meter}
    elif tool == "undo":
        what = _pick(rng, ("change_chord (bar 3 to F)", "transpose (to G major)", "change_mode (to D minor)",
                           "recommend_chords", "write_lyrics"))
        result = _summary(tool, what=what, song=song.line())
        facts = {"what": what}
    elif tool == "describe_song":
        return _describe(rng, args, lang, song)
    elif tool == "explain_choice":
        return _explain(rng, args, lang, song)
    elif tool == "music_knowledge":
        return _knowledge(rng, args, lang)
    return result, _pick(rng, words[tool]).format(**facts)


def _describe(rng: random.Random, args: dict, lang: str, song: FakeSong) -> tuple[str, str]:
    words = dialogs()["replies"][lang]
    lyrics = "; ".join(f"{i}. {t}" for i, t in enumerate(song.lyrics, 1)) or "none"
    result = (f"\"{song.style or 'Untitled'}\" {song.key}, {song.meter}, {song.tempo_words()}, {song.bars} bars, "
              f"range {song.tonic}4-{song.tonic}5. Chords: {song.chart() if song.chords else 'none yet'}. "
              f"Lyrics: {lyrics}.")
    key = _zh_key(song.key) if lang == "zh" else song.key
    facts = {"lyrics": lyrics, "key": key, "meter": song.meter, "tempo": song.tempo_words(), "bars": song.bars,
             "chart": song.chart() if song.chords else ("还没有和弦" if lang == "zh" else "none yet")}
    kind = _asked(args.get("_text", ""))
    return result, _pick(rng, words[kind]).format(**facts)


def _explain(rng: random.Random, args: dict, lang: str, song: FakeSong) -> tuple[str, str]:
    bar = args["bar"]
    chord = song.chords[bar - 1] if song.chords else diatonic(song.tonic, song.mode)[0]
    if lang == "zh":
        first = f"第{bar}小节的{chord}包含了这小节的大部分旋律音，在{_zh_key(song.key)}里是主要和弦之一，并自然地接到下一个和弦。"
    else:
        first = (f"{chord} in bar {bar} holds most of the bar's melody notes as chord tones, it is a main chord of "
                 f"{song.key}, and it leads smoothly to the next chord.")
    result = (f"Bar {bar}: {chord}. Melody notes are mostly chord tones of {chord}. Function in {song.key}: "
              f"a main chord. It follows the previous chord by a common tone and leads to the next one.")
    return result, _pick(rng, dialogs()["replies"][lang]["explain"]).format(first=first)


def _knowledge(rng: random.Random, args: dict, lang: str) -> tuple[str, str]:
    topic = str(args["topic"])
    lines = [f"{topic}: " + _pick(rng, ("a dance tune form", "a term of harmony", "a way of shaping a melody")),
             _pick(rng, ("It is usually in 6/8 or 4/4.", "It gives the ear a sense of arrival.",
                         "Folk musicians use it often.")),
             _pick(rng, ("Example tunes are in the corpus.", "Play it on fiddle, flute or piano."))]
    if lang == "zh":
        lines = [f"{topic}：" + _pick(rng, ("一种舞曲形式", "一个和声概念", "一种旋律写法")) + "。",
                 _pick(rng, ("通常是6/8拍或4/4拍。", "它让耳朵感到到达了终点。", "民间音乐里很常见。")),
                 _pick(rng, ("语料库里有例子。", "可以用小提琴、长笛或钢琴演奏。"))]
    result = " ".join(lines)
    reply = _pick(rng, dialogs()["replies"][lang]["knowledge"]).format(first=lines[0].rstrip("。.") + (
        "。" if lang == "zh" else "."), second=lines[1])
    return result, reply


_ASKED = (("describe_lyrics", ("lyric", "words", "歌词")), ("describe_chords", ("chord", "和弦")), ("describe_key", ("key", "major or minor", "调")),
          ("describe_bars", ("bars", "long", "小节")), ("describe_tempo", ("tempo", "速度")),
          ("describe_meter", ("time signature", "拍号")))


def _asked(text: str) -> str:
    """Which fact a question about the song asks for (the reply states that one)."""
    low = text.lower()
    return next((kind for kind, words in _ASKED if any(w in low for w in words)), "describe_all")


# ---------------------------------------------------------------- samples

def _request(rng: random.Random, tool: str, lang: str, song: FakeSong) -> tuple[str, dict]:
    if tool in OLD_TOOLS:
        from ..chat.data import request

        return request(rng, tool, lang, genres=True)
    return new_request(rng, tool, lang, song)


def _result(rng: random.Random, tool: str, args: dict, lang: str, song: FakeSong) -> tuple[str, str] | None:
    if tool in OLD_TOOLS:
        from ..chat.results import LYRICS_MISSING, result_and_reply

        result, reply = result_and_reply(rng, tool, args, lang)
        if LYRICS_MISSING in result or "verovio is not installed" in result:
            return None
        return result.split(": ", 1)[1] if result.startswith(f"{tool}: ") else result, reply
    return new_result(rng, tool, args, lang, song)


def _tool(rng: random.Random) -> str:
    weights = {**OLD_WEIGHTS, **NEW_WEIGHTS}
    return rng.choices(tuple(weights), weights=tuple(weights.values()))[0]


def _chat(rng: random.Random, lang: str) -> tuple[str, str]:
    from ..chat.replies import REPLIES

    groups = [g for g in REPLIES[lang] if not any(w in " ".join(g[0]).lower() for w in _QUESTION_WORDS)]
    users, replies = _pick(rng, groups)
    return _pick(rng, users), _pick(rng, replies)


_QUESTION_WORDS = ("jig", "reel", "cadence", "chord", "key", "minor", "major", "scale", "tempo", "chorale", "hornpipe",
                   "air", "waltz", "style", "song", "和弦", "调", "舞曲", "众赞歌", "风格", "速度", "歌")


def _exchange(rng: random.Random, lang: str, song: FakeSong) -> Exchange:
    """An earlier exchange: a request, its call and result (cut), the reply."""
    if rng.random() < 0.15:
        text, reply = _chat(rng, lang)
        return Exchange(text, (), reply)
    tool = _tool(rng)
    text, args = _request(rng, tool, lang, song)
    done = _result(rng, tool, args, lang, song)
    if done is None:
        return Exchange(text, (), "")
    clean = {k: v for k, v in args.items() if not k.startswith("_")}
    return Exchange(text, ((ordered(tool, clean), done[0]),), done[1])


def sample(rng: random.Random, lang: str) -> Sample:
    """One training sample (see the module docstring)."""
    song = fake_song(rng, lang=lang)
    history = tuple(_exchange(rng, lang, song) for _ in range(_pick(rng, (0, 0, 1, 1, 2))))
    line = song.line() if rng.random() > 0.1 else "no melody yet"
    base = dict(song=line, settings=f"style {song.style}" if song.style else "nothing set yet", history=history)
    r = rng.random()
    if r < 0.12:
        text, reply = _chat(rng, lang)
        return Sample(lang, "reply", Transcript(person=text, **base), reply)
    if r < 0.18:  # a follow-up that takes its chord from the message before
        first_text, first = new_request(rng, "change_chord", lang, song)
        first_call = ordered("change_chord", first)
        result = new_result(rng, "change_chord", first, lang, song)
        bar_text, bar = _bar(rng, lang, song.bars)
        follow_text = _pick(rng, dialogs()[lang]["change_chord_follow"]).format(bar=bar_text)
        call = ordered("change_chord", {"bar": bar, "chord": first["chord"]})
        earlier = (*history[-1:], Exchange(first_text, ((first_call, result[0]),), result[1]))
        return Sample(lang, "call", Transcript(person=follow_text, **{**base, "history": earlier}), call)
    tool = _tool(rng)
    text, args = _request(rng, tool, lang, song)
    clean = {k: v for k, v in args.items() if not k.startswith("_")}
    call = ordered(tool, clean)
    if r < 0.72:
        return Sample(lang, "call", Transcript(person=text, **base), call)
    done = _result(rng, tool, args, lang, song)
    if done is None:
        return Sample(lang, "call", Transcript(person=text, **base), call)
    return Sample(lang, "result", Transcript(person=text, done=((call, done[0]),), **base), done[1])


def samples(*, seed: int, count: int, zh_share: float = 0.4) -> list[Sample]:
    """`count` samples, the same for the same seed."""
    rng = random.Random(seed)
    return [sample(rng, "zh" if rng.random() < zh_share else "en") for _ in range(count)]
