"""Fill one template slot: the words for it and the arguments they state (see chat_templates)."""

from __future__ import annotations

import random

from . import slots as S
from ...tokenization.contract import contract
from ...tokenization.pitch import LETTERS

THEMES_EN = (
    "leaving home", "first love", "the harvest", "a rainy night", "my grandmother's garden", "the river",
    "summer evenings",
    "an old friend", "the mountains", "missing someone", "the city at night", "spring rain", "the road home", "winter",
    "sailing away", "the stars", "a long journey", "growing up", "the sea", "the moon", "a lost love", "coming home",
    "the first snow", "a train leaving", "autumn leaves", "my hometown", "freedom", "a lighthouse", "morning coffee",
    "saying goodbye", "the fishermen", "a wedding day", "the old mill", "a small village", "friendship", "the wind",
    "dancing all night", "hope", "a soldier's return", "the green hills", "lost time", "the ocean waves", "my mother",
)
THEMES_ZH = (
    "思乡", "故乡的月亮", "初恋", "春天", "离别", "母亲", "大海", "秋天的落叶", "童年", "友情", "雨夜", "远方", "丰收",
    "星空", "回家的路", "毕业", "江南水乡", "草原", "青春", "等待", "夏天的晚风", "老朋友", "山村", "黄河", "长城",
    "月光", "梦想", "自由", "小河流水", "雪花", "父亲", "旅行", "相聚", "爱情", "渔船", "茉莉花", "家乡的小路", "希望",
)
RHYMES = ("AABB", "ABAB", "ABCB", "ABBA", "AAAA", "AABA")
HEY_EN = ("", "", "", "", "", "", "hey ", "hi, ", "ok so ", "so ", "um ", "alright, ", "hello! ", "right, ", "now ",
          "ok, ", "hey there, ", "yo ", "next, ", "cool. ")
HEY_ZH = ("", "", "", "", "", "", "嗯，", "那个，", "你好，", "麻烦", "请", "好的，", "哎，", "帮个忙，", "接下来", "好，",
          "嗯嗯，", "现在")
PLS_EN = ("", "", "", " please", ", please", " pls", " thanks", " thx", " for me")
MEL_EN = ("melody", "melody", "tune", "tune", "song", "piece", "melody line", "little tune", "theme")
MEL_ZH = ("旋律", "旋律", "曲子", "曲调", "调子", "小曲", "乐曲")
THIS_EN = ("this melody", "the melody", "my melody", "the tune", "this tune", "it", "the song", "my tune", "this",
           "this one", "the piece")
THIS_ZH = ("这段旋律", "这首曲子", "这个旋律", "它", "这首歌", "旋律", "我的旋律", "刚才那段", "这段")
FORMAT_EN = {"midi": ("MIDI", "midi", "a MIDI file", "a .mid file", "MIDI file"),
             "musicxml": ("MusicXML", "musicxml", "a MusicXML file", "music xml"),
             "abc": ("ABC", "abc notation", "ABC notation", "an abc file"),
             "wav": ("WAV", "wav", "a wav file", "audio", "an audio file"),
             "svg": ("SVG", "an svg score", "svg"), "png": ("PNG", "a png image", "a picture of the score", "png"),
             "all": ("all formats", "every format")}
FORMAT_ZH = {"midi": ("MIDI文件", "midi", "MIDI", "mid文件"), "musicxml": ("MusicXML", "musicxml文件", "MusicXML格式"),
             "abc": ("ABC谱", "abc格式", "ABC"), "wav": ("音频", "wav", "WAV音频", "wav文件"),
             "svg": ("SVG", "svg乐谱"), "png": ("PNG图片", "乐谱图片", "png"), "all": ("所有格式", "全部格式")}
VOICE_EN = {"soprano": ("soprano",), "alto": ("alto",), "tenor": ("tenor",), "bass": ("bass", "bass singer")}
VOICE_ZH = {"soprano": ("女高音",), "alto": ("女低音",), "tenor": ("男高音",), "bass": ("男低音",)}
PER_EN = {"bar": ("one chord per bar", "a chord every bar", "one chord a measure", "one chord in each bar",
                  "a chord per measure"),
          "half": ("two chords per bar", "a chord every half bar", "two per bar at most", "one every half measure",
                   "chords every half bar"),
          "beat": ("a chord on every beat", "one chord per beat", "chords on each beat", "a new chord every beat")}
PER_ZH = {"bar": ("每小节一个和弦", "一小节一个和弦", "每个小节配一个和弦"),
          "half": ("每半小节一个和弦", "每小节两个和弦", "半小节换一次和弦"),
          "beat": ("每拍一个和弦", "每一拍都换和弦", "每拍换一个和弦")}
_NOTES = LETTERS
VOICES = contract().tool("check_theory").arg("voice").enum  # soprano, alto, tenor, bass (also range names)


def _pick(rng: random.Random, items):
    return items[rng.randrange(len(items))]


def _range(rng: random.Random, lang: str) -> tuple[str, dict]:
    if lang == "en" and rng.random() < 0.35:
        voice = _pick(rng, VOICES)
        return _pick(rng, (" for {}", " for a {} voice", ", {} range")).format(voice), {"range": voice}
    low = rng.randrange(12, 20)  # diatonic steps from C2: A3 to G4
    high = low + rng.randrange(5, 12)
    text = f"{_NOTES[low % 7]}{low // 7 + 2}-{_NOTES[high % 7]}{high // 7 + 2}"
    form = (" in the range {}", ", range {}", " within {}", ", pitch range {}") if lang == "en" else \
        ("，音域{}", "，音域在{}", "，音域{}之间")
    return _pick(rng, form).format(text), {"range": text}


def _keep(rng: random.Random, lang: str) -> tuple[str, dict]:
    first = 1 if rng.random() < 0.8 else rng.randrange(2, 5)
    last = first + rng.randrange(1, 8)
    span = {"keep": f"{first}-{last}"}
    if lang == "en":
        if first == 1 and rng.random() < 0.4:
            n = S.en_number(last) if rng.random() < 0.7 else str(last)
            return _pick(rng, ("the first {} bars", "the first {} measures", "the opening {} bars")).format(n), span
        return _pick(rng, ("bars {}-{}", "bars {} to {}", "bars {} through {}", "measures {}-{}", "bars {}–{}")).format(
            first, last), span
    if first == 1 and rng.random() < 0.4:
        n = S.zh_number(last, count=True) if rng.random() < 0.7 else str(last)
        return _pick(rng, ("前{}小节", "前{}个小节", "前面{}小节")).format(n), span
    if rng.random() < 0.2:
        return f"第{S.zh_number(first)}到第{S.zh_number(last)}小节", span
    return _pick(rng, ("第{}到{}小节", "第{}-{}小节", "{}-{}小节", "第{}至{}小节")).format(first, last), span


def _redo(rng: random.Random, lang: str) -> tuple[str, dict]:
    first = rng.randrange(3, 10)
    last = first + rng.randrange(1, 8)
    span = {"keep": f"1-{first - 1}"}
    if lang == "en":
        form = ("bars {}-{}", "bars {} to {}", "measures {}-{}", "bars {} through {}")
        return _pick(rng, form).format(first, last), span
    return _pick(rng, ("第{}到{}小节", "第{}-{}小节", "{}到{}小节")).format(first, last), span


def _k(rng: random.Random, lang: str) -> tuple[str, dict]:
    k = rng.choice((2, 3, 3, 4, 5))
    if lang == "en":
        n = S.en_number(k) if rng.random() < 0.7 else str(k)
        form = ("{} options", "{} alternatives", "{} versions", "{} choices", "{} different options")
        return _pick(rng, form).format(n), {"k": k}
    n = S.zh_number(k, count=True) if rng.random() < 0.7 else str(k)
    return _pick(rng, ("{}个方案", "{}种方案", "{}个选择", "{}个版本", "{}种")).format(n), {"k": k}


def _seed(rng: random.Random, lang: str) -> tuple[str, dict]:
    n = rng.randrange(0, 1000)
    form = ("with seed {}", "seed {}", "(seed {})", "using seed {}") if lang == "en" else ("种子{}", "用种子{}", "，随机种子{}")
    return _pick(rng, form).format(n), {"seed": n}


def _extras(rng: random.Random, lang: str, taken: dict) -> tuple[str, dict]:
    pool = [s for s in ("key", "meter", "tempo", "bars", "mood")
            if s not in taken and not (s == "key" and "mode" in taken)]
    rng.shuffle(pool)
    n = rng.choices((0, 1, 2, 3), weights=(3, 4, 3, 1))[0]
    texts, args = [], {}
    for slot in pool[:n]:
        if slot == "key":
            text, new = (S.key_en if lang == "en" else S.key_zh)(rng)
        elif slot == "meter":
            text, new = S.meter(rng, lang)
        elif slot == "tempo":
            text, new = S.tempo(rng, lang)
        elif slot == "bars":
            text, new = S.bars(rng, lang)
        else:
            word, new = S.mood(rng, lang)
            text = _pick(rng, ("{}", "make it {}", "{} feel", "something {}") if lang == "en" else
                         ("{}一点", "要{}的", "{}的感觉"))
            text = text.format(word)
        texts.append(text)
        args.update(new)
    if not texts:
        return "", {}
    sep = ", " if lang == "en" else "，"
    return sep + sep.join(texts), args


def fill_word(rng: random.Random, slot: str, lang: str, tool: str, *, genres: bool = False, taken: dict,
              empty: bool = False) -> tuple[str, dict]:
    """The words for one slot and the arguments they state; empty=True gives a slot-free stand-in."""
    en = lang == "en"
    if empty:
        return ("it" if slot in ("keyn", "key") else "") if en else "", {}
    if slot == "hey":
        return _pick(rng, HEY_EN if en else HEY_ZH), {}
    if slot == "pls":
        return (_pick(rng, PLS_EN), {}) if en else ("", {})
    if slot == "please":
        return (_pick(rng, ("", "", "please ", "could you ", "pls ")), {}) if en else ("", {})
    if slot == "adj":  # words that state no argument ("slow", not a tempo)
        return _pick(rng, ("", "", "", "slow ", "fast ", "short ", "simple ", "catchy ", "pretty ", "little ")), {}
    if slot == "vibe":
        return _pick(rng, ("", "", "，慢一点", "，快一点", "，简单一点", "，短一点", "，好听一点", "，节奏快一些")), {}
    if slot == "mel":
        return _pick(rng, MEL_EN if en else MEL_ZH), {}
    if slot == "this":
        return _pick(rng, THIS_EN if en else THIS_ZH), {}
    if slot in ("key", "keyn"):
        return (S.key_en if en else S.key_zh)(rng, phrase=slot == "key")
    if slot == "mode":
        return S.mode_only(rng, lang)
    if slot == "meter":
        return S.meter(rng, lang)
    if slot == "tempo":
        return S.tempo(rng, lang)
    if slot == "tempo_n":
        n = rng.randrange(50, 201)
        return str(n), {"tempo": n}
    if slot in ("bars_n", "bars_adj"):
        return S.bars(rng, lang, adj=slot == "bars_adj", most=contract().tool(tool).arg("bars").high)
    if slot == "pbars":
        text, args = S.bars(rng, lang, most=16)
        return text, args
    if slot == "mood":
        return S.mood(rng, lang)
    if slot == "cmood":
        return S.mood(rng, lang, moods=S.CHORD_MOODS)
    if slot == "style":
        return S.style(rng, lang, genres=genres)
    if slot == "cstyle":
        if rng.random() < 0.7:
            return S.chord_style(rng, lang)
        text, args = S.style(rng, lang, genres=genres)
        return (f"like a {text}" if en else f"{text}风格"), args
    if slot == "extras":
        return _extras(rng, lang, taken)
    if slot == "range":
        return _range(rng, lang)
    if slot == "seed":
        return _seed(rng, lang)
    if slot == "keep":
        return _keep(rng, lang)
    if slot == "redo":
        return _redo(rng, lang)
    if slot == "per":
        per = _pick(rng, ("bar", "bar", "half", "beat"))
        return _pick(rng, (PER_EN if en else PER_ZH)[per]), {"per": per}
    if slot == "k":
        return _k(rng, lang)
    if slot == "format":
        fmt = _pick(rng, ("midi", "midi", "musicxml", "musicxml", "abc", "wav", "svg", "png", "all"))
        return _pick(rng, (FORMAT_EN if en else FORMAT_ZH)[fmt]), {"format": fmt}
    if slot == "all":
        return "", {"format": "all"}
    if slot == "voice":
        voice = _pick(rng, VOICES)
        return _pick(rng, (VOICE_EN if en else VOICE_ZH)[voice]), {"voice": voice}
    if slot == "theme":
        text = _pick(rng, THEMES_EN if en else THEMES_ZH)
        return text, {"theme": text}
    if slot == "theme_en":
        text = _pick(rng, THEMES_EN)
        return text, {"theme": text, "lang": "en"}
    if slot == "rhyme":
        text = _pick(rng, RHYMES)
        return text, {"rhyme": text}
    if slot in ("lang", "langadj"):
        code = _pick(rng, ("zh", "zh", "en"))
        if en:
            words = {"zh": ("Chinese", "Mandarin"), "en": ("English",)}[code]
            word = _pick(rng, words)
            return (f"in {word}" if slot == "lang" else word), {"lang": code}
        return _pick(rng, {"zh": ("中文", "汉语"), "en": ("英文", "英语")}[code]), {"lang": code}
    raise KeyError(f"unknown template slot {slot!r}")
