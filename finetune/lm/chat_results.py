"""Results of the edit and question tools as the contract words them, and the replies that report
them in the person's language (facts copied from the result), for the chat LoRA's dialogues."""

from __future__ import annotations

import random
from collections.abc import Callable

from ...tokenization.contract import contract
from ...tokenization.music import Melody, parse_meter
from ...tokenization.pitch import EVERYDAY_TONICS
from ...tokenization.view import tempo_text
from .chat_slots import LYRIC_LINES, FakeSong, _pick, dialogs, diatonic

Answer = Callable[[str, str], "str | None"]  # (topic, lang) -> the facts music_knowledge gives, or None


_ASPECTS = ((("instrument", "乐器"), ("Instruments:", "乐器：")), (("tempo", "fast", "速度"), ("Tempo:", "速度：")),
            (("meter", "time signature", "拍"), ("Meter:", "拍子：")), (("form", "结构", "曲式"), ("Form:", "曲式：")),
            (("rhythm", "feel", "节奏"), ("Rhythm:", "节奏：")))


def knowledge_reply(facts: str, question: str) -> str:
    """The reply to a music question from music_knowledge's facts: the line the question asks about
    (instruments, tempo, ...) as the transcript shows it, else the first one or two facts."""
    from .chat_format import MAX_RESULT_CHARS

    seen = " ".join(facts.split())[:MAX_RESULT_CHARS]
    lines = [line.strip() for line in facts.splitlines() if line.strip() and line.strip()[:40] in seen]
    low = question.lower()
    for words, prefixes in _ASPECTS:
        if any(w in low for w in words):
            hit = next((line for line in lines if line.startswith(prefixes)), None)
            if hit:
                return hit
    body = [line for line in lines[1:] if not line.startswith(("Examples", "Meter:", "Tempo:", "拍子：", "速度：", "例子"))]
    body = body or lines
    return " ".join(body[:2]) if body and len(body[0]) < 110 else (body[0] if body else facts.strip())


def _files(rng: random.Random, what: str) -> str:
    stem = f"songs/{rng.randrange(16**4):04x}/{rng.randint(2, 40):03d}-{what}"
    return f"{stem}.mid, {stem}.musicxml, {stem}.abc"


def _zh_key(key: str) -> str:
    from ..chat.results import key_zh

    tonic, _, mode = key.partition(" ")
    return key_zh(tonic, mode or "major")


def _summary(tool: str, **values) -> str:
    return contract().tool(tool).summary(**values)


def new_result(rng: random.Random, tool: str, args: dict, lang: str, song: FakeSong,
               answer: Answer | None = None) -> tuple[str, str]:
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
        return _knowledge(rng, args, lang, answer)
    return result, _pick(rng, words[tool]).format(**facts)


def _describe(rng: random.Random, args: dict, lang: str, song: FakeSong) -> tuple[str, str]:
    """describe_song's result in its own layout (tools/actions/questions.py) and a reply that states
    the fact the question asks for."""
    words = dialogs()["replies"][lang]
    lyrics = " / ".join(f"{i}. {t}" for i, t in enumerate(song.lyrics, 1)) or "none yet"
    title = _pick(rng, ("Melody in " + song.key, "Harbour Lights", "The Long Road", "Untitled"))
    result = (f"{title}: {song.key}, {song.meter}, {song.tempo_words()}, {song.bars} bars, "
              f"style {song.style or 'not set'}.\nRange {song.tonic}4-{song.tonic}5 (12 semitones).\n"
              f"Chords: {song.chart() if song.chords else 'none yet'}\nLyrics: {lyrics}.\n"
              f"music21 check: ok, 0 errors, {rng.randint(0, 2)} warnings.\nFiles: none written yet.")
    key = _zh_key(song.key) if lang == "zh" else song.key
    facts = {"lyrics": lyrics, "key": key, "meter": song.meter, "tempo": song.tempo_words(), "bars": song.bars,
             "chart": song.chart() if song.chords else ("还没有和弦" if lang == "zh" else "none yet")}
    kind = _asked(args.get("_text", ""))
    return result, _pick(rng, words[kind]).format(**facts)


_ROMAN = ("I", "ii", "iii", "IV", "V", "vi", "vii°")
_FUNCTION = {"I": "home (tonic)", "ii": "on the way to the dominant (subdominant family)", "iii": "a soft stand-in for home",
             "IV": "away from home (subdominant)", "V": "tension that wants to go home (dominant)",
             "vi": "stand-in for home (tonic family)", "vii°": "a dominant without its root"}
_FUNCTION_ZH = {"I": "主功能，回到家", "ii": "下属功能，通往属和弦", "iii": "主功能的替代", "IV": "下属功能，离开主音",
                "V": "属功能，想回到主和弦", "vi": "主功能的替代", "vii°": "没有根音的属和弦"}


def _explain(rng: random.Random, args: dict, lang: str, song: FakeSong) -> tuple[str, str]:
    """explain_choice's result in its own layout and a reply built from its facts."""
    bar = args["bar"]
    scale = diatonic(song.tonic, song.mode)
    degree = rng.randrange(7)
    chord = song.chords[bar - 1] if song.chords and song.chords[bar - 1] in scale else scale[degree]
    degree = scale.index(chord)
    roman = _ROMAN[degree]
    after = scale[(degree + 3) % 7]
    result = (f"Bar {bar}: {chord}, {roman} in {song.key}: {_FUNCTION[roman]}.\n"
              f"  Melody {_pick(rng, ('D F# A', 'F# B D B', 'E G B', 'A C E G', 'B D'))}: "
              f"every note is a chord tone.\n  Leads to {after}: the root moves by a fourth.\n"
              f"  The recommender (folk-hmm) chose it too; alternatives: {scale[0]} I (score 0.21), "
              f"{scale[3]} IV (score 0.06).")
    if lang == "zh":
        first = f"第{bar}小节的{chord}是{_zh_key(song.key)}的{roman}级和弦（{_FUNCTION_ZH[roman]}），旋律音都是它的和弦音，然后进行到{after}。"
    else:
        first = (f"{chord} in bar {bar} is {roman} in {song.key}: {_FUNCTION[roman]}. The melody notes are all "
                 f"chord tones, and it leads on to {after}.")
    return result, _pick(rng, dialogs()["replies"][lang]["explain"]).format(first=first)


def _knowledge(rng: random.Random, args: dict, lang: str, answer: Answer | None = None) -> tuple[str, str]:
    topic = str(args["topic"])
    if answer is not None:  # the real facts (tools/knowledge), when the trainer passes them in
        found = answer(topic, lang)
        if found:
            return found, knowledge_reply(found, args.get("_text", topic))
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


