"""Tool results as the tools word them, and the short reply that should follow.

A result is "<tool>: <content>", as chat_embedded.last_exchange builds it from the ToolMessage;
the content fills the tool's summary template from the contract (prompts/tools.toml), as the
action does; a failure's content is the toolkit's own "<tool> failed: <reason>" line.  The facts
(key, bars, chords, files) are made up but consistent with the request, and the reply repeats the
key facts or says what went wrong and what to do next.
"""

from __future__ import annotations

import random

from ...tokenization.contract import contract
from ...tokenization.music import Melody, parse_meter
from ...tokenization.view import tempo_text
from ...tokenization.pitch import EVERYDAY_TONICS, MODE_NAMES_ZH, degree_name, tonic_zh, triad_quality
from ...tokenization.styles import get_style, mood_of

_ROMANS = ("I", "II", "III", "IV", "V", "VI", "VII")
_LOOPS = {"major": ((0, 4, 5, 3), (0, 5, 3, 4), (0, 3, 4, 0), (5, 3, 0, 4), (0, 3, 0, 4), (1, 4, 0, 0)),
          "minor": ((0, 5, 2, 6), (0, 3, 4, 0), (0, 6, 5, 4), (0, 2, 6, 0)),
          "dorian": ((0, 3, 0, 3), (0, 6, 3, 0)), "mixolydian": ((0, 6, 3, 0), (0, 6, 0, 3))}
PER_ZH = {"bar": "每小节", "half": "每半小节", "beat": "每拍"}
NO_MELODY = contract().message("no_melody")
LYRICS_MISSING = ("writing lyrics is not built yet in this version of tunesmith; melodies, chords, checks "
                  "and exports work, and words can be added to the MusicXML file in MuseScore")
NO_WAV = ("no WAV: fluidsynth is not installed (apt install fluidsynth, brew install fluid-synth)",
          "no WAV: no General MIDI soundfont found (apt install timgm6mb-soundfont)")
RESULT_BYTES = 200  # chat_format.MAX_RESULT_BYTES: the model sees only this much of a result
NO_IMAGE = "no score image: verovio is not installed (pip install verovio)"
DROPPED = contract().message("chords_dropped")


def _summary(tool: str, which: str = "summary", **values) -> str:
    """A result summary in the tool's own words (the contract's template, as the action fills it)."""
    return contract().tool(tool).summary(which, **values)


def _pick(rng: random.Random, items):
    return items[rng.randrange(len(items))]


def _quality(mode: str, degree: int) -> str:
    return "" if (mode == "minor" and degree == 4) else triad_quality(mode, degree)  # the harmonic-minor dominant


def chord(tonic: str, mode: str, degree: int) -> str:
    """The triad on a scale degree (0-based) as a chord symbol; minor's dominant is major.

    >>> chord("A", "minor", 4), chord("D", "major", 6), chord("Bb", "dorian", 1)
    ('E', 'C#dim', 'Cm')
    """
    return degree_name(tonic, mode, degree) + _quality(mode, degree)


def _roman(mode: str, degree: int) -> str:
    quality = _quality(mode, degree)
    name = _ROMANS[degree]
    return name if quality == "" else (name.lower() + ("o" if quality == "dim" else ""))


def _key_of(rng: random.Random, args: dict) -> tuple[str, str]:
    mode = args.get("mode") or mood_of(args.get("mood", "")).mode or _pick(rng, ("major", "minor", "major"))
    tonic = args.get("key") or _pick(rng, EVERYDAY_TONICS)
    return tonic, mode


def key_zh(tonic: str, mode: str) -> str:
    return tonic_zh(tonic) + MODE_NAMES_ZH[mode][0]


def _path(rng: random.Random, what: str, ext: str) -> str:
    return f"songs/{rng.randrange(16 ** 4):04x}/{rng.randrange(1, 40):03d}-{what}.{ext}"


def _files(rng: random.Random, what: str) -> str:
    stem = _path(rng, what, "x")[:-2]
    return ", ".join(f"{stem}.{ext}" for ext in ("mid", "musicxml", "abc"))


def _findings(rng: random.Random, tonic: str, mode: str, bars: int) -> list[tuple[str, str, str]]:
    """(severity, collapsed finding line, the same in Chinese), sorted as a report sorts them."""
    bar, fifth = rng.randrange(2, bars + 1), degree_name(tonic, mode, 4)
    span = rng.randrange(9, 20)
    pool = [("warning", f"bar {bar} a major sixth up (9 semitones) is hard to sing", f"第{bar}小节上行大六度不好唱"),
            ("warning", f"bar {bar} an octave down is not followed by a step back", f"第{bar}小节八度下行后没有级进回来"),
            ("info", f"range {tonic}4-{fifth}5 ({span} semitones)", f"音域{tonic}4-{fifth}5（{span}个半音）"),
            ("info", f"sounds like the declared {tonic} {mode} (clarity 0.{rng.randrange(60, 96)})", "听起来符合标注的调")]
    pool.append(("info", f"bar {bars} ends on the tonic {tonic}", "结束在主音上") if rng.random() < 0.6 else
                ("warning", f"bar {bars} ends on {fifth}, not the tonic {tonic}", f"第{bars}小节结束在{fifth}，不是主音{tonic}"))
    rng.shuffle(pool)
    chosen = pool[:rng.randrange(1, 4)]
    return sorted(chosen, key=lambda f: (f[0] != "warning", f[1].startswith("bar "), f[1]))


def _check_head(findings, tonic: str, mode: str, errors: int = 0) -> str:
    warns = sum(1 for f in findings if f[0] == "warning")
    return (f"Theory check: {'ok' if not errors else 'needs fixing'} ({errors} error{'' if errors == 1 else 's'}, "
            f"{warns} warning{'' if warns == 1 else 's'}, key {tonic} {mode})")


def _melody(rng: random.Random, tool: str, args: dict, lang: str) -> tuple[str, str]:
    tonic, mode = _key_of(rng, args)
    style = args.get("style")
    meter = args.get("meter") or (get_style(style).meter if style else _pick(rng, ("4/4", "3/4", "6/8", "2/4")))
    tempo = args.get("tempo") or (get_style(style).tempo if style else _pick(rng, (80, 96, 100, 108, 120)))
    bars = args.get("bars", 8)
    verb = "Wrote a new melody:"
    if tool == "continue_melody":
        old = _pick(rng, (4, 8, 8, 16))
        verb, bars = f"Added {bars} bars:", old + bars
    elif tool == "regenerate_bars":
        first, last = args["keep"].split("-")
        bars = max(int(last) + rng.randrange(1, 5), 8)
        verb = f"Kept bars {first}-{last} and rewrote the rest:"
    elif tool == "vary_melody":
        verb, bars = "Wrote a variation:", _pick(rng, (8, 8, 16, 12))
    seed = args.get("seed", rng.randrange(0, 100000))
    findings = _findings(rng, tonic, mode, bars)
    head = "; ".join([_check_head(findings, tonic, mode)] + [f"{f[0]} {f[1]}" for f in findings[:3]])
    dropped = tool != "generate_melody" and rng.random() < 0.2
    shown = tempo_text(Melody((), meter=parse_meter(meter), tempo=int(tempo)))  # as the action writes it
    text = _summary(tool, verb=verb, bars=bars, key=f"{tonic} {mode}", meter=meter, tempo=shown, style=style or "free",
                    seed=seed, check=head, dropped=DROPPED if dropped else "", files=_files(rng, f"melody-s{seed}"))
    seen = " ".join(f"{tool}: {text}".split()).encode()[:RESULT_BYTES].decode(errors="ignore")
    warn = next((f[1] for f in findings if f[0] == "warning" and f[1] in seen), None)
    keep = args.get("keep", "")
    if lang == "en":
        what = {"generate_melody": f"Here's a new {bars}-bar melody in {tonic} {mode}, {meter}, {shown}.",
                "continue_melody": f"I added {args.get('bars', 8)} bars; the melody is now {bars} bars in "
                                   f"{tonic} {mode}.",
                "regenerate_bars": f"I kept bars {keep} and rewrote the rest, still in {tonic} {mode}.",
                "vary_melody": f"Here's a variation: {bars} bars in {tonic} {mode}, {meter}."}[tool]
        extra = (" The old chords were dropped; ask again for chords." if dropped else
                 (f" One hint: {warn.split(' ', 2)[2]} (bar {warn.split(' ')[1]})."
                  if warn and rng.random() < 0.5 else ""))
    else:
        k = key_zh(tonic, mode)
        what = {"generate_melody": f"写好了一段{bars}小节的新旋律，{k}，{meter}拍，速度{shown.split()[-1]}。",
                "continue_melody": f"已续写{args.get('bars', 8)}小节，现在共{bars}小节，{k}。",
                "regenerate_bars": f"保留了第{keep}小节，其余已重写，仍是{k}。",
                "vary_melody": f"变奏写好了：{bars}小节，{k}，{meter}拍。"}[tool]
        extra = "原来的和弦已去掉，需要的话请再配和弦。" if dropped else ""
    return f"{tool}: {text}", what + extra


def _chords(rng: random.Random, args: dict, lang: str) -> tuple[str, str]:
    progression = any(k in args for k in ("key", "mood", "bars")) and "per" not in args
    tonic, mode = _key_of(rng, args)
    if progression and "key" not in args and rng.random() < 0.6:
        msg = contract().message("no_progression_key")
        reply = ("There's no melody yet, so I need a key for the progression, e.g. A minor. Which key?" if lang == "en"
                 else "还没有旋律，和弦进行需要一个调，比如A小调。用什么调？")
        return f"recommend_chords: recommend_chords failed: {msg}", reply
    k, bars = args.get("k", 3), args.get("bars", 8)
    if progression:
        loops = list(_LOOPS[mode])
        rng.shuffle(loops)
        loops = (loops * 3)[:k]
        lines = [f"{i}. {' '.join(chord(tonic, mode, d) for d in loop)} ({' '.join(_roman(mode, d) for d in loop)})"
                 for i, loop in enumerate(loops, 1)]
        first = " ".join(chord(tonic, mode, d) for d in loops[0])
        text = _summary("recommend_chords", "summary_progressions", key=f"{tonic} {mode}", bars=bars,
                        progressions="; ".join(lines))
        reply = (f"Here are {len(loops)} progressions in {tonic} {mode}; the first, {first}, is now the song's chords."
                 if lang == "en" else f"给出{len(loops)}个{key_zh(tonic, mode)}的和弦进行，第一个（{first}）已设为歌曲的和弦。")
        return f"recommend_chords: {text}", reply
    if rng.random() < 0.15:
        return f"recommend_chords: recommend_chords failed: {NO_MELODY}", (
            "There's no melody to harmonize yet. Shall I write one, or you can /load a file." if lang == "en"
            else "还没有旋律可以配和弦。要我先写一段吗？也可以用 /load 导入文件。")
    per = args.get("per", _pick(rng, ("bar", "bar", "half")))
    slots = {"bar": 8, "half": 8, "beat": 8}[per]
    walk = [0] + [_pick(rng, (3, 4, 5, 1, 0, 4)) for _ in range(slots - 2)] + [0]
    symbols = " ".join(chord(tonic, mode, d) for d in walk)
    others = "; ".join(" ".join(chord(tonic, mode, d) for d in _pick(rng, _LOOPS[mode])) for _ in range(k - 1))
    rate = contract().message(f"rate_{per}")
    per_bar = {"bar": 1, "half": 2, "beat": 4}[per]  # the chart the action lists: '| C F | G7 C |'
    names = symbols.split()
    chart = "| " + " | ".join(" ".join(names[i:i + per_bar]) for i in range(0, len(names), per_bar)) + " |"
    text = _summary("recommend_chords", key=f"{tonic} {mode}", per=rate, chords=chart,
                    others=f" Other progressions: {others}." if others else "", check=_check_head([], tonic, mode),
                    files=_files(rng, "chords-" + per))
    reply = (f"I harmonized it in {tonic} {mode}, {rate}: {' '.join(symbols.split()[:4])} and so on."
             if lang == "en" else
             f"已配好和弦，{key_zh(tonic, mode)}，{PER_ZH[per]}一个：{' '.join(symbols.split()[:4])}……")
    return f"recommend_chords: {text}", reply


def _where(line: str) -> str:
    return " ".join(line.split(" ", 2)[:2]) if line.startswith("bar ") else ""


def _what(line: str) -> str:
    return line.split(" ", 2)[2] if line.startswith("bar ") else line


def _check(rng: random.Random, tool: str, lang: str) -> tuple[str, str]:
    tonic, mode = _key_of(rng, {})
    bars = _pick(rng, (8, 12, 16))
    findings = _findings(rng, tonic, mode, bars)
    errors = 1 if rng.random() < 0.15 else 0
    lines = [("error", f"bar {bars + 1} notes run past the last bar ({bars}) into 1 more",
              f"音符超出了最后一小节（{bars}）")] if errors else []
    lines += findings
    body = "\n".join(f"  {s:<7} {_where(line):<12} {_what(line)}" for s, line, _ in lines)
    report = _check_head(findings, tonic, mode, errors) + "\n" + body
    warns = [(line, zh) for s, line, zh in lines if s != "info"]
    if tool == "analyze_melody":
        meter, tempo = _pick(rng, ("6/8", "4/4", "3/4", "2/4")), _pick(rng, (80, 96, 108, 116, 120))
        clarity = f"0.{rng.randrange(55, 97)}"
        style = _pick(rng, ("irish-jig", "german-folk", "chinese-han", "irish-reel", "bach-chorale", "irish-air"))
        head = (f"Untitled\n  key     {tonic} {mode} (clarity {clarity})\n"
                f"  meter   {meter}   tempo {tempo} bpm   bars {bars}\n"
                f"  range   {tonic}4 - {degree_name(tonic, mode, 4)}5 ({rng.randrange(9, 20)} semitones)"
                f"   notes {bars * 6}\n"
                f"  style   nearest corpus style: {style} (0.{rng.randrange(40, 90)})")
        reply = (f"It's in {tonic} {mode} (clarity {clarity}), {meter} at {tempo} bpm, {bars} bars; "
                 f"closest style: {style}." if lang == "en" else
                 f"这是{key_zh(tonic, mode)}（清晰度{clarity}），{meter}拍，速度{tempo}，{bars}小节，最接近{style}风格。")
        analysis = _summary(tool, analysis=f"{head}\n{report}")
        return f"{tool}: {analysis}", reply
    if lang == "en":
        reply = (f"No problems: 0 errors, key {tonic} {mode}." if not warns else
                 f"{'It needs fixing' if errors else 'No errors, but one thing to look at'}: {warns[0][0]}.")
    else:
        reply = (f"没有问题：0个错误，调性{key_zh(tonic, mode)}。" if not warns else
                 f"{'有错误需要修改' if errors else '没有错误，但有一处提示'}：{warns[0][1]}。")
    return f"{tool}: {_summary(tool, report=report)}", reply


def _export(rng: random.Random, args: dict, lang: str) -> tuple[str, str]:
    fmt = args.get("format", "all")
    stem = _path(rng, "song", "x")[:-2]
    files = {"midi": f"{stem}.mid", "musicxml": f"{stem}.musicxml", "abc": f"{stem}.abc"}
    if fmt in ("wav", "svg", "png") and rng.random() < 0.35:
        why = _pick(rng, NO_WAV) if fmt == "wav" else NO_IMAGE
        reply = (f"I couldn't make the {fmt.upper()}: {why.split(': ', 1)[1]}. The MIDI file is {files['midi']}."
                 if lang == "en"
                 else f"没能生成{fmt.upper()}：{why.split(': ', 1)[1]}。MIDI文件在{files['midi']}。")
        return f"export_song: export_song failed: {why}; the MIDI file is {files['midi']}", reply
    notes = []
    if fmt == "all":
        for kind, ext in (("wav", "wav"), ("svg", "svg"), ("png", "png")):
            if rng.random() < 0.7:
                files[kind] = f"{stem}.{ext}"
            elif kind == "wav":
                notes.append(_pick(rng, NO_WAV))
        if "png" in files and "svg" not in files:
            files.pop("png")
        if "svg" not in files:
            notes.append(NO_IMAGE)
        shown = files
    else:
        files.setdefault(fmt, f"{stem}.{fmt}")
        shown = {fmt: files[fmt]}
    text = _summary("export_song", files=", ".join(f"{k}: {v}" for k, v in shown.items()),
                    notes="".join(f" {n}." for n in notes))
    names = ", ".join(k.upper() if k != "musicxml" else "MusicXML" for k in shown)
    if lang == "en":
        folder = stem.rsplit("/", 1)[0]
        reply = f"Saved {names} in {folder}/." if len(shown) > 1 else f"Saved: {next(iter(shown.values()))}"
        reply += " (no WAV: fluidsynth is missing)" if any("fluidsynth" in n for n in notes) else ""
    else:
        reply = (f"已导出{names}，在{stem.rsplit('/', 1)[0]}/。" if len(shown) > 1 else f"已保存：{next(iter(shown.values()))}")
    return f"export_song: {text}", reply


def _settings(rng: random.Random, args: dict, lang: str) -> tuple[str, str]:
    parts = []
    if "style" in args:
        parts.append(f"style {args['style']}")
    if "mood" in args:
        parts.append(f"mood {args['mood']}")
    if "key" in args:
        parts.append(f"key {args['key']} {args.get('mode') or mood_of(args.get('mood', '')).mode or 'major'}")
    elif "mode" in args:
        parts.append(f"mode {args['mode']}")
    for name, unit in (("meter", ""), ("tempo", " bpm")):
        if name in args:
            parts.append(f"{name} {args[name]}{unit}")
    line = ", ".join(parts)
    reply = (f"Got it: {line} for the next melody. Shall I write it?" if lang == "en"
             else f"好的，已设置：{line}，下一段旋律会用这些设置。现在开始写吗？")
    return f"set_style: {_summary('set_style', settings=line)}", reply


def result_and_reply(rng: random.Random, tool: str, args: dict, lang: str) -> tuple[str, str]:
    """A plausible tool result for the request's args, and the reply that should follow it."""
    if tool in ("continue_melody", "regenerate_bars", "vary_melody", "check_theory", "analyze_melody") \
            and rng.random() < 0.2:
        if tool == "regenerate_bars" and rng.random() < 0.5:
            last = int(args["keep"].split("-")[1])
            total = max(last - rng.randrange(1, 4), 1)
            first = args["keep"].split("-")[0]
            reply = (f"The melody has only {total} bars, so I can't keep bars {first}-{last}. Which bars should stay?"
                     if lang == "en" else f"旋律只有{total}小节，没法保留第{first}-{last}小节。要保留哪几小节？")
            why = f"cannot keep bars {first}-{last}: the melody has {total} bars"
            return f"regenerate_bars: regenerate_bars failed: {why}", reply
        reply = ("There's no melody yet. Shall I write one first, or you can /load a file?" if lang == "en"
                 else "还没有旋律。要我先写一段吗？也可以用 /load 导入文件。")
        return f"{tool}: {tool} failed: {NO_MELODY}", reply
    if tool in ("generate_melody", "continue_melody", "regenerate_bars", "vary_melody"):
        return _melody(rng, tool, args, lang)
    if tool == "recommend_chords":
        return _chords(rng, args, lang)
    if tool in ("check_theory", "analyze_melody"):
        return _check(rng, tool, lang)
    if tool == "export_song":
        if rng.random() < 0.1:
            return (f"export_song: export_song failed: {contract().message('nothing_to_export')}",
                    "There's nothing to export yet; let's write a melody or chords first." if lang == "en"
                    else "还没有可以导出的内容，先写一段旋律或和弦吧。")
        return _export(rng, args, lang)
    if tool == "write_lyrics":
        return (f"write_lyrics: write_lyrics failed: {LYRICS_MISSING}",
                "Writing lyrics isn't built yet in this version; you can add words to the MusicXML file in MuseScore."
                if lang == "en" else "这个版本还不能写歌词；可以在MuseScore里给MusicXML文件加词。旋律、和弦、检查和导出都能用。")
    return _settings(rng, args, lang)
