"""Slot fillers for the chat dialogues: one argument value and a surface form of it (EN or ZH).

Each filler takes a random.Random and gives (text, args): the words a person would type
and the canonical argument values they stand for, in the vocabularies the chat decoder
is constrained to (tonic names, modes, METERS, STYLE_NAMES, MOODS, integers).
"""

from __future__ import annotations

import random

from ...tokenization.styles import STYLE_NAMES

Args = dict[str, str | int]

TONICS: tuple[str, ...] = ("C", "C#", "Db", "D", "D#", "Eb", "E", "F", "F#", "Gb", "G", "G#", "Ab", "A", "A#", "Bb",
                           "B")
_TONIC_WEIGHTS = (9, 3, 2, 9, 1, 5, 6, 8, 5, 1, 9, 1, 3, 9, 1, 6, 3)
MODES: tuple[str, ...] = ("major", "minor", "dorian", "mixolydian")
MOODS: tuple[str, ...] = ("sad", "happy", "melancholic", "calm", "energetic", "peaceful", "joyful", "dark",
                          "bright", "tender", "lively", "playful", "nostalgic", "gloomy", "hopeful", "dramatic",
                          "tense", "gentle", "epic")
# Moods tools/chords/progressions.py understands (a progression's mood must be one of these).
CHORD_MOODS: tuple[str, ...] = ("sad", "happy", "calm", "peaceful", "joyful", "dark", "bright", "tender",
                                "gloomy", "hopeful", "dramatic", "tense", "gentle")
CHORD_STYLES: tuple[str, ...] = ("bach-chorale", "folk", "lead-sheet", "pop")

MOOD_EN: dict[str, tuple[str, ...]] = {
    "sad": ("sad", "sorrowful", "mournful", "heartbroken", "teary"), "happy": ("happy", "cheerful", "upbeat", "merry"),
    "melancholic": ("melancholic", "melancholy", "wistful", "bittersweet"),
    "calm": ("calm", "relaxed", "serene", "laid-back", "chill"), "energetic": ("energetic", "driving", "high-energy"),
    "peaceful": ("peaceful", "tranquil"), "joyful": ("joyful", "jubilant", "joyous"),
    "dark": ("dark", "brooding", "ominous"), "bright": ("bright", "sunny"), "tender": ("tender", "loving", "romantic"),
    "lively": ("lively", "bouncy", "spirited"), "playful": ("playful", "cheeky", "whimsical"),
    "nostalgic": ("nostalgic", "homesick"), "gloomy": ("gloomy", "bleak"),
    "hopeful": ("hopeful", "optimistic", "uplifting"), "dramatic": ("dramatic", "intense"),
    "tense": ("tense", "anxious", "suspenseful"), "gentle": ("gentle", "soft", "delicate"),
    "epic": ("epic", "heroic", "grand"),
}
MOOD_ZH: dict[str, tuple[str, ...]] = {
    "sad": ("悲伤", "伤感", "难过", "哀伤"), "happy": ("欢快", "快乐", "开心", "愉快"),
    "melancholic": ("忧郁", "惆怅", "忧伤"), "calm": ("平静", "安静", "放松"),
    "energetic": ("充满活力", "有活力", "动感"), "peaceful": ("宁静", "祥和", "安详"), "joyful": ("喜悦", "欢乐"),
    "dark": ("阴暗", "黑暗", "阴郁"), "bright": ("明亮", "阳光"), "tender": ("温柔", "深情"),
    "lively": ("活泼", "轻快"), "playful": ("俏皮", "调皮"), "nostalgic": ("怀旧", "思念"),
    "gloomy": ("沉闷", "压抑"), "hopeful": ("充满希望", "乐观"), "dramatic": ("戏剧性", "激烈"),
    "tense": ("紧张", "悬疑"), "gentle": ("轻柔", "柔和"), "epic": ("史诗感", "壮阔", "雄壮"),
}
# Style aliases; `None` marks a Chinese genre word (chinese-han, or its genre slug with genres=True).
STYLE_EN: dict[str, tuple[str, ...]] = {
    "irish-jig": ("jig", "Irish jig", "double jig", "irish jig"), "irish-reel": ("reel", "Irish reel", "irish reel"),
    "irish-slip-jig": ("slip jig", "slip-jig", "Irish slip jig"), "irish-hornpipe": ("hornpipe", "Irish hornpipe"),
    "irish-air": ("slow air", "Irish air", "slow Irish air"), "irish-folk": ("Irish folk song", "Irish folk tune"),
    "scottish-strathspey": ("strathspey", "Scottish strathspey"), "scottish-air": ("Scottish air", "Scots air"),
    "german-folk": ("German folk song", "German folk tune", "German Volkslied", "german folk song", "German folk"),
    "lorraine-folk": ("Lorraine folk song", "folk song from Lorraine"),
    "luxembourg-folk": ("Luxembourg folk song", "Luxembourgish folk tune"),
    "chinese-han": ("Chinese folk song", "Chinese folk tune", "Han folk song", "chinese folk song", "Chinese folk"),
    "fiddle-tune": ("fiddle tune", "old-time fiddle tune"), "american-fife": ("American fife tune", "fife tune"),
    "bach-chorale": ("Bach chorale", "chorale", "Bach-style chorale", "bach chorale"),
}
STYLE_ZH: dict[str, tuple[str, ...]] = {
    "irish-jig": ("吉格", "吉格舞曲", "爱尔兰吉格", "爱尔兰吉格舞曲"), "irish-reel": ("里尔", "里尔舞曲", "爱尔兰里尔舞曲"),
    "irish-slip-jig": ("滑步吉格", "9/8的滑步吉格"), "irish-hornpipe": ("号笛舞曲", "角笛舞曲", "爱尔兰号笛舞曲"),
    "irish-air": ("爱尔兰慢歌", "爱尔兰抒情曲"), "irish-folk": ("爱尔兰民歌", "爱尔兰民谣"),
    "scottish-strathspey": ("斯特拉斯佩", "苏格兰斯特拉斯佩舞曲"), "scottish-air": ("苏格兰民谣", "苏格兰曲调"),
    "german-folk": ("德国民歌", "德国民谣"), "lorraine-folk": ("洛林民歌",), "luxembourg-folk": ("卢森堡民歌",),
    "chinese-han": ("中国民歌", "汉族民歌", "中国民间音乐", "民歌"), "fiddle-tune": ("小提琴舞曲", "提琴曲"),
    "american-fife": ("美国横笛曲",), "bach-chorale": ("巴赫众赞歌", "众赞歌", "巴赫风格的众赞歌", "圣咏"),
}
GENRE_EN: dict[str, tuple[str, ...]] = {
    "chinese-han-xiaodiao": ("xiaodiao", "Chinese xiaodiao", "xiaodiao ditty"),
    "chinese-han-shange": ("shange", "Chinese mountain song", "shan'ge"),
    "chinese-han-haozi": ("haozi", "Chinese work song", "haozi work song"),
    "chinese-han-erge": ("Chinese children's song", "erge"), "chinese-han-wuge": ("yangge dance song", "wuge"),
}
GENRE_ZH: dict[str, tuple[str, ...]] = {
    "chinese-han-xiaodiao": ("民间小调", "江南小调"), "chinese-han-shange": ("山歌", "陕北山歌"),
    "chinese-han-haozi": ("号子", "劳动号子", "船工号子"), "chinese-han-erge": ("儿歌",), "chinese-han-wuge": ("秧歌", "舞歌"),
}
CHORD_STYLE_EN: dict[str, tuple[str, ...]] = {
    "bach-chorale": ("like a Bach chorale", "in chorale style", "Bach-style"),
    "folk": ("folk-style", "in a folk style", "simple folk"), "lead-sheet": ("lead-sheet style", "like a lead sheet"),
    "pop": ("pop", "pop-style", "like a pop song"),
}
CHORD_STYLE_ZH: dict[str, tuple[str, ...]] = {
    "bach-chorale": ("巴赫众赞歌风格", "众赞歌式", "巴赫风格"), "folk": ("民谣风格", "民谣式"),
    "lead-sheet": ("lead sheet风格", "爵士乐谱式"), "pop": ("流行风格", "流行歌式", "pop风格"),
}
METER_WEIGHTS: dict[str, int] = {"2/4": 6, "3/4": 8, "4/4": 8, "6/8": 8, "9/8": 2, "12/8": 2, "2/2": 2,
                                 "5/4": 1, "7/8": 1, "3/8": 1, "6/4": 1, "5/8": 1}
METER_WORDS_EN = {"3/4": ("waltz time", "three-four time"), "4/4": ("common time", "four-four"),
                  "2/2": ("cut time",), "6/8": ("six-eight time",), "2/4": ("two-four time",)}
METER_WORDS_ZH = {"2/4": ("四二拍",), "3/4": ("四三拍", "三拍子"), "4/4": ("四四拍",), "6/8": ("八六拍",),
                  "3/8": ("八三拍",), "9/8": ("八九拍",)}
EN_NUM = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
          "twelve", "thirteen", "fourteen", "fifteen", "sixteen")
EN_BIG = {20: "twenty", 24: "twenty-four", 32: "thirty-two", 48: "forty-eight", 64: "sixty-four"}
ZH_DIGIT = "零一二三四五六七八九"


def en_number(n: int) -> str:
    """'eight', 'twenty-four'; digits for numbers without a word here.

    >>> en_number(8), en_number(32), en_number(17)
    ('eight', 'thirty-two', '17')
    """
    return EN_NUM[n] if n < len(EN_NUM) else EN_BIG.get(n, str(n))


def zh_number(n: int, *, count: bool = False) -> str:
    """Chinese numerals up to 99; `count` says 两 for 2 before a measure word.

    >>> zh_number(16), zh_number(2, count=True), zh_number(32), zh_number(10)
    ('十六', '两', '三十二', '十')
    """
    if n == 2 and count:
        return "两"
    if n < 10:
        return ZH_DIGIT[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else ZH_DIGIT[tens]) + "十" + (ZH_DIGIT[ones] if ones else "")


def pick(rng: random.Random, items):
    return items[rng.randrange(len(items))]


def tonic(rng: random.Random) -> str:
    return rng.choices(TONICS, weights=_TONIC_WEIGHTS)[0]


def _tonic_en(rng: random.Random, name: str) -> str:
    accidental = {"#": (" sharp", "-sharp", "#", "#", "♯"), "b": (" flat", "-flat", "b", "b", "♭")}
    if len(name) == 1:
        return name.lower() if rng.random() < 0.12 else name
    return name[0] + pick(rng, accidental[name[1]])


def _tonic_zh(rng: random.Random, name: str) -> str:
    if len(name) == 1:
        return name.lower() if rng.random() < 0.15 else name
    if rng.random() < 0.6:
        return ("升" if name[1] == "#" else "降") + name[0]
    return name if rng.random() < 0.7 else ("b" + name[0] if name[1] == "b" else "#" + name[0])


def key_en(rng: random.Random, *, modes=("major", "minor", "minor", "major", "dorian", "mixolydian"),
           tonic_only: float = 0.2, phrase: bool = True) -> tuple[str, Args]:
    """'in D minor', 'key of Dm', 'F sharp minor', 'in A' (no mode)."""
    t = tonic(rng)
    tt = _tonic_en(rng, t)
    if rng.random() < tonic_only:
        args: Args = {"key": t}
        noun = tt
    else:
        mode = pick(rng, modes)
        args = {"key": t, "mode": mode}
        if mode == "minor" and rng.random() < 0.25 and " " not in tt and "-" not in tt:
            noun = tt + "m"
        else:
            word = {"major": ("major", "major", "Major", "maj"), "minor": ("minor", "minor", "Minor", "min"),
                    "dorian": ("dorian", "Dorian"), "mixolydian": ("mixolydian", "Mixolydian")}[mode]
            noun = tt + pick(rng, (" ", " ", " ", "-")) + pick(rng, word)
    if not phrase:
        return noun, args
    return pick(rng, ("in {}", "in {}", "in {}", "in the key of {}", "key of {}", "{}")).format(noun), args


def key_zh(rng: random.Random, *, modes=("major", "minor", "minor", "major", "dorian", "mixolydian"),
           tonic_only: float = 0.2, phrase: bool = True) -> tuple[str, Args]:
    """'D小调', '降B大调', '升F小调', 'G调' (no mode)."""
    t = tonic(rng)
    tt = _tonic_zh(rng, t)
    if rng.random() < tonic_only:
        args: Args = {"key": t}
        noun = tt + "调"
    else:
        mode = pick(rng, modes)
        args = {"key": t, "mode": mode}
        if mode == "minor" and rng.random() < 0.15:
            noun = t + "m"
        else:
            word = {"major": ("大调",), "minor": ("小调",), "dorian": ("多利亚调式", "多利亚"),
                    "mixolydian": ("混合利底亚调式", "混合利底亚")}[mode]
            noun = tt + pick(rng, ("", "", "", " ")) + pick(rng, word)
    if not phrase:
        return noun, args
    return pick(rng, ("{}", "{}", "{}", "用{}", "调性是{}", "调是{}")).format(noun), args


def mode_only(rng: random.Random, lang: str) -> tuple[str, Args]:
    mode = pick(rng, ("minor", "major", "minor", "dorian", "mixolydian"))
    if lang == "en":
        text = {"minor": ("in a minor key", "in minor", "minor-key"), "major": ("in a major key", "in major"),
                "dorian": ("in dorian mode", "in the dorian mode"),
                "mixolydian": ("in mixolydian mode", "in the mixolydian mode")}[mode]
    else:
        text = {"minor": ("小调式",), "major": ("大调式",), "dorian": ("多利亚调式",), "mixolydian": ("混合利底亚调式",)}[mode]
    return pick(rng, text), {"mode": mode}


def meter(rng: random.Random, lang: str) -> tuple[str, Args]:
    m = rng.choices(tuple(METER_WEIGHTS), weights=tuple(METER_WEIGHTS.values()))[0]
    words = (METER_WORDS_EN if lang == "en" else METER_WORDS_ZH).get(m, ())
    if words and rng.random() < 0.3:
        return pick(rng, words), {"meter": m}
    if lang == "en":
        form = ("in {}", "{} time", "in {} time", "time signature {}", "{}", "{} meter")
        return pick(rng, form).format(m), {"meter": m}
    return pick(rng, ("{}拍", "{}拍子", "拍号{}", "{} 拍", "{}的节拍")).format(m), {"meter": m}


def tempo(rng: random.Random, lang: str) -> tuple[str, Args]:
    n = rng.choice((60, 66, 70, 72, 76, 80, 84, 88, 90, 92, 96, 100, 104, 108, 110, 112, 116, 120, 126, 132, 140,
                    144, 150, 160, 168, 180, 50, 56, 200))
    if lang == "en":
        form = ("at {} bpm", "{} bpm", "tempo {}", "around {} bpm", "at about {} bpm", "at {}bpm",
                "{} beats per minute",
                "at tempo {}", "♩={}", "around {}")
    else:
        form = ("速度{}", "{} bpm", "每分钟{}拍", "速度大概{}", "{}拍每分钟", "速度{}左右", "{}bpm")
    return pick(rng, form).format(n), {"tempo": n}


def bars(rng: random.Random, lang: str, *, adj: bool = False, most: int = 64) -> tuple[str, Args]:
    n = rng.choices((2, 4, 6, 8, 12, 16, 24, 32, 64), weights=(1, 6, 1, 10, 3, 7, 1, 3, 1))[0]
    n = min(n, most)
    if lang == "en":
        word = en_number(n) if rng.random() < 0.45 else str(n)
        if n == 12 and rng.random() < 0.3:
            return ("dozen-bar" if adj else "a dozen bars"), {"bars": n}
        if adj:
            return word + pick(rng, ("-bar", "-bar", " bar", "-measure")), {"bars": n}
        return word + pick(rng, (" bars", " bars", " measures")), {"bars": n}
    word = zh_number(n) if rng.random() < 0.55 else str(n)
    return word + pick(rng, ("小节", "小节", "个小节")), {"bars": n}


def mood(rng: random.Random, lang: str, *, moods=MOODS) -> tuple[str, Args]:
    m = pick(rng, moods)
    return pick(rng, (MOOD_EN if lang == "en" else MOOD_ZH)[m]), {"mood": m}


def style(rng: random.Random, lang: str, *, genres: bool = False) -> tuple[str, Args]:
    """A style alias; Chinese genre words give chinese-han (or the genre slug with genres=True)."""
    table, genre_table = (STYLE_EN, GENRE_EN) if lang == "en" else (STYLE_ZH, GENRE_ZH)
    if rng.random() < 0.12:
        slug = pick(rng, tuple(genre_table))
        return pick(rng, genre_table[slug]), {"style": slug if genres else "chinese-han"}
    slug = rng.choices(tuple(table), weights=[6 if s in ("irish-jig", "irish-reel", "german-folk", "chinese-han",
                                                         "bach-chorale", "irish-hornpipe") else 2 for s in table])[0]
    assert slug in STYLE_NAMES
    return pick(rng, table[slug]), {"style": slug}


def chord_style(rng: random.Random, lang: str) -> tuple[str, Args]:
    table = CHORD_STYLE_EN if lang == "en" else CHORD_STYLE_ZH
    s = pick(rng, CHORD_STYLES)
    return pick(rng, table[s]), {"style": s}
