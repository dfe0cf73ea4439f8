"""Facts about the current song, and the claims of a chat reply that disagree with them.

`song_digest(state)` is the song as plain JSON data (two states compare by it: the chat eval
scores each turn's effect with it, and every batch result carries one per turn).
`contradictions(reply, digest, results=...)` reads what a reply says about the key, the chord
in a bar, the number of bars and the tempo, in English and Chinese ("in D major", "D大调",
"bar 3 is F", "第3小节是F", "16 bars", "16小节", "120 bpm"), and gives one readable line per
claim that disagrees with the digest.  Claims the reply hedges (a question, "could", "usually",
"如果") or marks as old ("was", "from", "原来") are not claims about the song now; a claim the
turn's tool results state too (a style's usual tempo from music_knowledge) is not a finding.

Bars are numbered as the score shows them: 1 is the first full bar and a pickup (a leading rest
of half a bar or more: tokenization.abc.pickup_length) is bar 0.  The digest's chords are
{"bar": [symbols]} with the bar as a string, so a digest is the same after a JSON round trip.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..tokenization.abc import pickup_length
from ..tokenization.errors import MusicValueError
from ..tokenization.music import Song, parse_meter
from ..tokenization.pitch import mode_word, name_pitch_class, tonic_name

if TYPE_CHECKING:
    from .actions.state import SongState

_HAN = "\u3400-\u4dbf\u4e00-\u9fff"


# ---------------------------------------------------------------- the digest

def song_digest(state: SongState) -> dict[str, Any]:
    """The song of a state as plain data: key, mode, meter, tempo (quarter bpm), bars (a pickup bar
    counted, as the tools count them), pickup, chords by bar, lyric lines, hashes of the notes
    (melody: pitches and times; rhythm: times only), note count, title.  Without a song, key,
    mode, meter and tempo are the settings for the next melody."""
    song = state.song
    if song is None:
        key = state.key
        return {"title": None, "key": str(key) if key else None, "mode": key.mode if key else state.mode,
                "meter": str(state.meter) if state.meter else None, "tempo": state.tempo, "bars": 0,
                "pickup": False, "chords": {}, "lyrics": [], "melody": None, "rhythm": None, "notes": 0}
    melody = song.melody
    pickup = pickup_length(song) > 0
    notes = melody.notes
    return {"title": song.title, "key": str(melody.key) if melody.key else None,
            "mode": melody.key.mode if melody.key else None, "meter": str(melody.meter), "tempo": melody.tempo,
            "bars": melody.bars, "pickup": pickup, "chords": chords_by_bar(song, pickup=pickup),
            "lyrics": lyric_lines(song),
            "melody": _hash([(n.pitch, n.onset, n.duration) for n in notes]) if notes else None,
            "rhythm": _hash([(n.onset, n.duration) for n in notes]) if notes else None, "notes": len(notes)}


def _hash(items: list) -> str:
    return hashlib.sha1(json.dumps(items).encode()).hexdigest()[:12]


def chords_by_bar(song: Song, *, pickup: bool) -> dict[str, list[str]]:
    """{bar: the chords heard in it}, as the chord chart shows them: a bar that starts inside a held
    chord begins with that one.  Bars without a chord are left out."""
    melody, out = song.melody, {}
    length = melody.bar_length
    chords = sorted(song.chords, key=lambda c: c.onset)
    for index in range(melody.bars):
        lo, hi = index * length, (index + 1) * length
        names = [c.symbol for c in chords if lo - 1e-6 <= c.onset < hi - 1e-6]
        if not names or not any(abs(c.onset - lo) < 1e-6 for c in chords):
            held = [c.symbol for c in chords if c.onset < lo - 1e-6 and c.onset + c.duration > lo + 1e-6]
            names = held[-1:] + names
        if names:
            out[str(index + (0 if pickup else 1))] = names
    return out


def lyric_lines(song: Song) -> list[str]:
    """The lyrics, one line per lyric phrase (tools.lyrics.slots.melody_phrases, as write_lyrics
    wrote them; a note without a syllable after an extended one continues its melisma)."""
    from .errors import ToolError
    from .lyrics.slots import melody_phrases

    notes = song.melody.notes
    if not song.has_lyrics:
        return []
    continuing, held = [], False
    for i, note in enumerate(notes):
        if note.lyric is not None:
            held = note.lyric.extend
        elif i and held:
            continuing.append(i)
    try:
        phrases = melody_phrases(song.melody, melisma=continuing)
    except ToolError:
        return []
    lines = []
    for phrase in phrases:
        words, word = [], ""
        for slot in phrase.slots:
            syllable = notes[slot.notes[0]].lyric
            if syllable is None:
                continue
            word += syllable.text
            if syllable.syllabic in ("single", "end"):
                words.append(word)
                word = ""
        words += [word] if word else []
        if words:
            lines.append(re.sub(f"(?<=[{_HAN}]) (?=[{_HAN}])", "", " ".join(words)))
    return lines


# ---------------------------------------------------------------- claims in a reply

@dataclass(frozen=True, slots=True)
class Claim:
    """One thing a text says about the song: kind key/chord/bars/tempo, the value, the bar (chords)."""

    kind: str
    value: Any
    bar: int | None = None
    text: str = ""


_ACC = r"(#|♯|b|♭|-sharp|-flat|\s+sharp|\s+flat)?"
_MODE_EN = r"(major|minor|maj|min|dorian|mixolydian|aeolian|ionian)"
_CHORD = (r"([A-G](?:#|♯|b|♭)?(?:maj7|maj9|maj|min7|min|m7b5|m7|m9|m6|m|dim7|dim|aug|sus2|sus4|add9|7|9|6|11|13|°|ø|"
          r"\+)*"
          r"(?:/[A-G](?:#|b)?)?)(?![A-Za-z0-9#♯♭])(?:\s+(major|minor)\b)?(?!\s*(?:大调|小调|调))")
_ZH_NUM = r"(\d+|[零一二两三四五六七八九十]+)"
_EN_NUMBERS = {w: n for n, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve "
                                          "thirteen fourteen fifteen sixteen".split())}
_EN_NUMBERS.update({"twenty": 20, "twenty-four": 24, "thirty-two": 32, "forty-eight": 48, "sixty-four": 64})
_EN_NUM = r"(\d+|" + "|".join(sorted(_EN_NUMBERS, key=len, reverse=True)) + ")"
_BAR = r"(?:bar|measure)"

KEY_PATTERNS = (  # "D major" anywhere; "in D", "key of D" (tonic only, or Dm); "D大调", "降B调"
    re.compile(rf"\b([A-G]){_ACC}\s*(?i:{_MODE_EN})\b(?!\s*(?i:chord|triad|scale|arpeggio|和弦))"),
    re.compile(rf"\b(?i:key of|key is|key's|key:|in)\s+([A-G]){_ACC}(m)?(?=$|[\s.,!;:)，。！])(?!\s*(?i:{_MODE_EN}))"
               r"(?![\s]*[-/\d])"),
    re.compile(rf"(升|降)?\s*([A-Ga-g])\s*(#|♯|b|♭)?\s*(大调|小调|多利亚调式|多利亚|混合利底亚调式|混合利底亚|调)"),
)
CHORD_PATTERNS = (  # the words case-insensitive, the chord symbol not ("bar 3 is a ..." names no chord)
    re.compile(rf"(?i:\b{_BAR}\s+)(\d+)\s*(?i:is now|now is|now has|is|'s|:|=|has|gets|uses|now|→|->)\s+"
               rf"(?:now\s+)?(?:an?\s+|the\s+)?(?:chord\s+)?{_CHORD}"),
    re.compile(rf"(?i:\bchord\s+(?:in|of|for|at|on)\s+{_BAR}\s+)(\d+)\s+(?i:is now|now is|is|was changed to|"
               rf"has been changed to|changed to|becomes|became)\s+(?:now\s+)?(?:an?\s+)?{_CHORD}"),
    re.compile(rf"(?i:\b{_BAR}\s+)(\d+)\s+(?:(?i:from)\s+\S+\s+)?(?i:to)\s+(?:an?\s+)?{_CHORD}"),
    re.compile(rf"第\s*{_ZH_NUM}\s*(?:个)?(?:小节|节)(?:的)?(?:和弦)?\s*(?:现在|已经|已|就|则)?\s*(?:是|为|改成了?|改为|"
               rf"换成了?|变成了?|用的是|用了?|放了?|：|:)\s*(?:一个)?\s*{_CHORD}"),
)
CHORD_FIRST = re.compile(rf"(?i:\b(?:put|placed|added|used|chose|picked|use)\s+)(?:an?\s+)?{_CHORD}(?:\s+chord)?\s+"
                         rf"(?i:(?:in|on|at|for)\s+{_BAR}\s+)(\d+)|\b{_CHORD}(?i:\s+chord\s+(?:in|on|at|for)\s+"
                         rf"{_BAR}\s+)(\d+)")
BARS_PATTERNS = (
    re.compile(rf"(?<![-–\dA-Za-z]){_EN_NUM}[- ](?:bar|measure)s?\b(?!\s+(?:more|of|each|at a time|phrases?|sections?|"
               r"lines?|patterns?|chunks?|groups?|units?|loops?|intro|outro|ending|bridge|chorus|verse|progressions?|"
               r"cycles?|turnaround))", re.I),
    re.compile(rf"(?<![第\d零一二两三四五六七八九十]){_ZH_NUM}\s*个?\s*小节(?!的乐句|乐句|一句|为一|一组)"),
)
TEMPO_PATTERNS = (  # (regex, quarters a counted beat: None = quarters or the meter's beat)
    (re.compile(r"(?<![\d.])(\d{2,3})\s*(?:bpm|beats per minute|beats a minute|beats/min)\b", re.I), None),
    (re.compile(r"\btempo\s+(?:is now\s+|is\s+|of\s+|to\s+|at\s+|now\s+)?(\d{2,3})\b(?!\s*(?:bars?|%))", re.I), None),
    (re.compile(r"(\d{2,3})\s*(?:拍每分钟|拍/分钟|拍/分)|每分钟\s*(\d{2,3})\s*拍"), None),
    (re.compile(r"(?:速度|节奏|拍速)[^，。！？]{0,12}?(?:现在是|已经是|是|为|改为|改成了?|调到了?|变成了?|提到了?|加快到|"
                r"放慢到|降到|提高到)\s*(\d{2,3})(?![\d/%]|\s*小节)|(?:速度|节奏)\s*[:：]?\s*(\d{2,3})(?![\d/%]|\s*小节)"), None),
    (re.compile(r"\b(dotted quarter|dotted half|quarter|half|eighth|crotchet|minim)(?:\s*note)?\s*(?:=|at)\s*(\d{2,3})",
                re.I), "en"),
    (re.compile(r"(附点四分音符|附点二分音符|四分音符|二分音符|八分音符)\s*=\s*(\d{2,3})"), "zh"),
)
NOTE_VALUES = {"dotted quarter": 1.5, "dotted half": 3.0, "quarter": 1.0, "half": 2.0, "eighth": 0.5, "crotchet": 1.0,
               "minim": 2.0, "附点四分音符": 1.5, "附点二分音符": 3.0, "四分音符": 1.0, "二分音符": 2.0, "八分音符": 0.5}

_HEDGE_EN = re.compile(r"\b(could|would|might|may|can|should|shall|will|if|maybe|perhaps|try|want|wanna|like to|"
                       r"usually|typically|often|generally|traditionally|normally|commonly|tends?|suggest|option|"
                       r"alternatively|how about|what about|let me|going to|for example|e\.g\.|"
                       r"next (?:melody|tune|song|one))\b|'ll\b", re.I)
_HEDGE_ZH = re.compile(r"吗|下一首|可以|如果|要不要|是否|或者|也许|可能|建议|通常|一般|往往|常常|传统上|试试|想要|的话|比如|例如|将会|打算")
_OLD_EN = {"from", "was", "were", "previously", "originally", "before", "be", "instead", "not", "isn't", "wasn't",
           "longer", "than", "had", "old", "earlier", "relative", "parallel", "dominant", "subdominant"}
_OLD_ZH = re.compile(r"(原来|之前|从|本来|以前|原先|不是|不再|代替|而非|由)[^，。！？]{0,3}$")


def zh_number(text: str) -> int | None:
    """An Arabic or a Chinese numeral up to 99.

    >>> zh_number("16"), zh_number("十六"), zh_number("三十二"), zh_number("两"), zh_number("十")
    (16, 16, 32, 2, 10)
    """
    if text.isdigit():
        return int(text)
    digits = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2}
    if "十" in text:
        tens, _, ones = text.partition("十")
        if any(c not in digits for c in tens + ones) or len(tens) > 1 or len(ones) > 1:
            return None
        return (digits[tens] if tens else 1) * 10 + (digits[ones] if ones else 0)
    return digits.get(text) if len(text) == 1 else None


def _number(text: str) -> int | None:
    return _EN_NUMBERS.get(text.lower()) if text.lower() in _EN_NUMBERS else zh_number(text)


def _old(before: str) -> bool:
    """Does the text just before a claim mark it as an old or a denied value?"""
    words = re.findall(r"[A-Za-z']+", before)[-3:]
    return any(w.lower() in _OLD_EN for w in words) or bool(_OLD_ZH.search(before))


def _key_claim(letter: str, accidental: str | None, mode: str | None) -> tuple[str, str | None] | None:
    try:
        tonic = tonic_name(letter, (accidental or "").strip())
    except (KeyError, MusicValueError):
        return None
    return tonic, (mode_word(mode) if mode else None)


def chord_form(symbol: str, quality: str | None = None) -> tuple[int, str, int | None] | None:
    """(root pitch class, quality, bass pitch class) of a chord symbol, spellings folded.

    >>> chord_form("Bb") == chord_form("A#maj") == chord_form("B♭"), chord_form("A", "minor") == chord_form("Amin")
    (True, True)
    """
    text = symbol.replace("♯", "#").replace("♭", "b")
    match = re.fullmatch(r"([A-G])([#b]?)([^/]*)(?:/([A-G][#b]?))?", text.strip())
    if not match:
        return None
    folded = {"": "", "maj": "", "M": "", "min": "m", "-": "m", "M7": "maj7", "min7": "m7"}
    kind = folded.get(match.group(3), match.group(3))
    if quality == "minor" and kind == "":
        kind = "m"
    bass = name_pitch_class(match.group(4)) if match.group(4) else None
    return name_pitch_class(match.group(1) + match.group(2)), kind, bass


def find_claims(text: str, *, hedged: bool = False) -> list[Claim]:
    """The claims a text makes; `hedged` keeps those in questions and hedged clauses (tool results)."""
    found: list[Claim] = []
    for sentence in re.split(r"(?<=[.!?])\s+|(?<=[。！？；;])|\n", text or ""):
        if not hedged and sentence.rstrip().endswith(("?", "？")):
            continue
        for clause in re.split(r"[,，、]\s*", sentence):
            if hedged or not (_HEDGE_EN.search(clause) or _HEDGE_ZH.search(clause)):
                found += _clause_claims(clause)
    return found


def _clause_claims(clause: str) -> list[Claim]:
    out: list[Claim] = []

    def add(claim: Claim | None, start: int) -> None:
        if claim is not None and not _old(clause[:start]):
            out.append(claim)

    taken: list[tuple[int, int]] = []  # a key inside a chord claim ("bar 5 is B minor") is the chord
    for pattern in CHORD_PATTERNS:
        for m in pattern.finditer(clause):
            bar = _number(m.group(1))
            taken.append(m.span())
            add(Claim("chord", (m.group(2), m.group(3)), bar=bar, text=m.group(0).strip()) if bar is not None else None,
                m.start())
    for m in CHORD_FIRST.finditer(clause):
        taken.append(m.span())
        symbol, quality, bar = m.group(1, 2, 3) if m.group(1) else m.group(4, 5, 6)
        add(Claim("chord", (symbol, quality), bar=int(bar), text=m.group(0).strip()), m.start())
    for number, pattern in enumerate(KEY_PATTERNS):
        for m in pattern.finditer(clause):
            if any(a <= m.start() < b or a < m.end() <= b for a, b in taken):
                continue
            taken.append(m.span())
            if number == 2:
                key = _key_claim(m.group(2), {"升": "#", "降": "b"}.get(m.group(1) or "", m.group(3)), m.group(4))
            else:
                key = _key_claim(m.group(1), m.group(2), m.group(3))
            add(Claim("key", key, text=m.group(0).strip()) if key else None, m.start())
    for pattern in BARS_PATTERNS:
        for m in pattern.finditer(clause):
            if pattern is BARS_PATTERNS[1] and re.search(r"(前|后|再|又|多|新|加|增|添|续|每|最|头|这|那|其中|另)[^，。！？\d]{0,2}$",
                                                         clause[:m.start()]):
                continue
            if pattern is BARS_PATTERNS[0] and re.search(r"\b(first|last|another|more|extra|new|additional|added|add|"
                                                         r"adding|every|each|those|these|next|other|over|within|per|"
                                                         r"remaining|final|opening)\s+$", clause[:m.start()], re.I):
                continue
            value = _number(m.group(1))
            add(Claim("bars", value, text=m.group(0).strip()) if value else None, m.start())
    for pattern, unit in TEMPO_PATTERNS:
        for m in pattern.finditer(clause):
            if unit is None:
                value = int(next(g for g in m.groups() if g))
                add(Claim("tempo", (value, None), text=m.group(0).strip()), m.start())
            else:
                add(Claim("tempo", (int(m.group(2)), NOTE_VALUES[m.group(1).lower() if unit == "en" else m.group(1)]),
                          text=m.group(0).strip()), m.start())
    return out


# ---------------------------------------------------------------- checking claims

def _disagreement(claim: Claim, digest: Mapping[str, Any]) -> str | None:
    """Why a claim is wrong about the digest's song, or None when it agrees (or cannot be checked)."""
    empty = not digest.get("bars") and not digest.get("notes")
    said = f'says "{claim.text}"'
    if claim.kind == "key":
        tonic, mode = claim.value
        key = digest.get("key")
        if not key:
            return f"{said}, but there is no song and no key yet" if empty else None
        real_tonic, _, real_mode = key.partition(" ")
        if name_pitch_class(tonic) != name_pitch_class(real_tonic) or (mode and mode != real_mode):
            return f"{said}, but the song is in {key}"
        return None
    if claim.kind == "chord":
        chords = digest.get("chords") or {}
        bars, first = digest.get("bars") or 0, 0 if digest.get("pickup") else 1
        if empty:
            return f"{said}, but there is no song yet"
        if not first <= claim.bar < bars + first:
            return f"{said}, but the song has bars {first}-{bars + first - 1}"
        here = chords.get(str(claim.bar)) or []
        want = chord_form(*claim.value)
        if not here:
            return f"{said}, but bar {claim.bar} has no chord" + ("" if chords else " (the song has no chords)")
        if want is not None and all(chord_form(s) != want for s in here):
            return f"{said}, but bar {claim.bar} has {' '.join(here)}"
        return None
    if claim.kind == "bars":
        bars = digest.get("bars") or 0
        if empty:
            return f"{said}, but there is no song yet"
        if claim.value != bars and not (digest.get("pickup") and claim.value == bars - 1):
            return f"{said}, but the song has {bars} bars"
        return None
    tempo = digest.get("tempo")
    if not tempo:
        return None
    value, unit = claim.value
    if unit is not None:
        right = abs(value * unit - tempo) <= 1.5 * unit
    else:
        try:
            beat = parse_meter(digest["meter"]).beat_length if digest.get("meter") else 1.0
        except MusicValueError:
            beat = 1.0
        right = abs(value - tempo) <= 1 or abs(value - tempo / beat) <= 1
    return None if right else f"{said}, but the tempo is {tempo} quarter notes a minute"


def _same(a: Claim, b: Claim) -> bool:
    if a.kind != b.kind or a.bar != b.bar:
        return False
    if a.kind == "key":
        return name_pitch_class(a.value[0]) == name_pitch_class(b.value[0]) and (a.value[1] or b.value[1]) == (
            b.value[1] or a.value[1])
    if a.kind == "chord":
        return chord_form(*a.value) == chord_form(*b.value)
    if a.kind == "tempo":
        return a.value[0] == b.value[0]
    return a.value == b.value


_CHART = re.compile(r"(?:\|\s*[^|\n:.。：]+?\s*){2,}\|")  # a bar holds chord names, never ". Chords:"


def _charts(text: str) -> list[int]:
    """The number of bars of each chord chart ("| D | G A | D |") a text shows."""
    return [m.group(0).count("|") - 1 for m in _CHART.finditer(text)]


def contradictions(reply: str, digest: Mapping[str, Any], *, results: Iterable[str | Mapping[str, Any]] = ()
                   ) -> list[str]:
    """What `reply` says about the song that `digest` (song_digest of the state after the turn)
    disagrees with, one readable line each.  `results`: the turn's tool results (texts, or batch
    tool-call dicts with a "content"); a claim they state too is not counted.

    >>> d = {"key": "D major", "meter": "4/4", "tempo": 120, "bars": 16, "pickup": False,
    ...      "chords": {"3": ["F"]}, "notes": 40}
    >>> contradictions("Done: bar 3 is now F, still 16 bars in D major at 120 bpm.", d)
    []
    >>> contradictions("现在是G大调，第3小节是C。", d)
    ['says "G大调", but the song is in D major', 'says "第3小节是C", but bar 3 has F']
    >>> contradictions("Want it in G major? It was in C major before.", d)
    []
    """
    texts = [r if isinstance(r, str) else str(r.get("content") or "") for r in results]
    stated = [c for t in texts for c in find_claims(t, hedged=True)]
    lines: list[str] = [f"shows a chart of {n} bars, but the song has {digest['bars']}" for n in _charts(reply)
                        if digest.get("bars") and n > int(digest["bars"])]
    said: list[Claim] = []
    for claim in find_claims(reply):
        why = _disagreement(claim, digest)
        if why and not any(_same(claim, s) for s in stated) and not any(_same(claim, s) for s in said):
            lines.append(why)
            said.append(claim)
    return lines
