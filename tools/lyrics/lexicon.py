"""The word stock of the non-neural English drafter: common singable words by theme and part of speech.

CMUdict has pronunciations but no parts of speech or meanings, so the drafter's grammar needs
this small hand-tagged table.  Each theme lists keywords (what a person's theme is matched
against), nouns, adjectives, intransitive and transitive verbs as `base/past`, and Chinese
characters for the same theme (the Mandarin drafter's theme hints).  Every English word here
is checked against CMUdict by the tests.  The lines themselves are never stored: the drafter
assembles them to fit each phrase.
"""

from __future__ import annotations

from dataclasses import dataclass

_TABLE = """
home | home house hearth family mother father return stay belong leaving leave
  N: home house door hearth fire room bed table window garden mother father child name
  A: warm old small safe dear kind near
  Vi: stay/stayed rest/rested sleep/slept dwell/dwelt wait/waited belong/belonged return/returned
  Vt: keep/kept hold/held remember/remembered
  ZH: 家 乡 门 窗 灯 母 父 亲 故 归 屋 炉
road | road leave leaving journey travel away gone farewell goodbye train wander depart exile
  N: road way train track mile town station gate hill bridge dust shoe bag ticket morning
  A: long far lonely open dusty empty distant
  Vi: go/went walk/walked wander/wandered roam/roamed ride/rode travel/traveled leave/left run/ran
  Vt: leave/left cross/crossed follow/followed carry/carried
  ZH: 路 行 别 离 远 客 马 桥 关 途 舟 去
love | love heart romance darling kiss lover sweetheart wedding desire
  N: love heart kiss hand smile eye rose song dream darling
  A: sweet true tender gentle golden fair
  Vi: dance/danced sing/sang smile/smiled dream/dreamed
  Vt: love/loved kiss/kissed hold/held miss/missed call/called
  ZH: 爱 情 心 思 君 相 梦 花 红 恋 欢 玉
night | night dark moon star sleep evening midnight dream shadow
  N: night moon star sky shadow light candle dream lamp evening
  A: dark silent pale quiet deep still silver
  Vi: shine/shone fall/fell sleep/slept glow/glowed fade/faded
  Vt: watch/watched see/saw hear/heard
  ZH: 夜 月 星 天 梦 灯 影 暗 静 寒 深 光
sea | sea ocean water river rain wave ship sailor shore boat tide harbor
  N: sea river rain wave ship shore boat tide harbor sail water stream wind
  A: blue wide cold wild grey deep
  Vi: flow/flowed sail/sailed drift/drifted rise/rose roll/rolled
  Vt: cross/crossed sail/sailed follow/followed
  ZH: 海 江 河 水 雨 波 舟 岸 流 潮 帆 浪
nature | nature spring summer autumn winter field tree flower mountain season snow green
  N: field tree flower mountain leaf snow spring summer winter meadow valley bird sun
  A: green bright golden fresh wild cold
  Vi: grow/grew bloom/bloomed fall/fell rise/rose sing/sang
  Vt: plant/planted gather/gathered climb/climbed
  ZH: 山 花 草 春 秋 树 叶 雪 风 鸟 林 田
time | time memory remember past years old childhood young age yesterday
  N: time year day memory childhood yesterday clock hour season picture letter
  A: young old lost gone golden
  Vi: pass/passed turn/turned change/changed fade/faded
  Vt: remember/remembered recall/recalled keep/kept find/found
  ZH: 年 时 日 岁 今 昔 忆 旧 少 老 春 长
sorrow | sorrow sad grief tears loss lonely cry pain goodbye broken
  N: tear sorrow grief pain heart rain ghost silence
  A: sad lonely broken cold weary empty grey
  Vi: cry/cried weep/wept fall/fell grieve/grieved mourn/mourned
  Vt: lose/lost miss/missed hide/hid
  ZH: 愁 泪 伤 悲 苦 寒 孤 独 恨 断 空 哀
joy | joy happy light hope morning sun celebrate glad free laugh
  N: light hope morning sun song day laughter freedom
  A: bright glad free happy clear golden new
  Vi: laugh/laughed dance/danced shine/shone rise/rose sing/sang
  Vt: greet/greeted find/found raise/raised
  ZH: 欢 喜 笑 光 明 春 阳 晴 乐 新 歌 飞
"""

SUBJECTS = ("i", "we", "you", "they")
DETERMINERS = (("the", 4.0), ("my", 1.5), ("your", 1.5), ("our", 1.0), ("this", 1.0), ("that", 1.0), ("a", 2.5))
PREPOSITIONS = ("in", "on", "by", "through", "from", "to", "with", "down", "past", "along", "across",
                "beneath", "beyond", "over", "under", "into", "upon", "behind", "toward")
CONJUNCTIONS = ("and", "but", "so", "as", "when", "while")
AUXILIARIES = ("will", "can", "shall", "must", "would", "could")
ADVERBS = ("now", "still", "once", "soon", "far", "again", "away", "tonight", "alone", "forever", "slowly",
           "today", "tomorrow")


@dataclass(frozen=True, slots=True)
class Theme:
    """One row of the table."""

    name: str
    keywords: tuple[str, ...]
    nouns: tuple[str, ...]
    adjectives: tuple[str, ...]
    verbs_intransitive: tuple[tuple[str, str], ...]  # (base, past)
    verbs_transitive: tuple[tuple[str, str], ...]
    han: tuple[str, ...]


def _pairs(items: list[str]) -> tuple[tuple[str, str], ...]:
    return tuple(tuple(item.split("/")) for item in items)  # type: ignore[misc]


def themes() -> tuple[Theme, ...]:
    """The parsed table (parsed on each call; it is small)."""
    out = []
    rows: list[list[str]] = []
    for line in _TABLE.strip().splitlines():
        if not line.startswith(" "):
            rows.append([line])
        else:
            rows[-1].append(line.strip())
    for row in rows:
        name, keywords = (part.strip() for part in row[0].split("|"))
        fields = {key: value.split() for key, value in (line.split(":", 1) for line in row[1:])}
        out.append(Theme(name=name, keywords=tuple(keywords.split()), nouns=tuple(fields["N"]),
                         adjectives=tuple(fields["A"]), verbs_intransitive=_pairs(fields["Vi"]),
                         verbs_transitive=_pairs(fields["Vt"]), han=tuple(fields["ZH"])))
    return tuple(out)


def match_themes(theme: str) -> tuple[Theme, ...]:
    """Themes whose keywords share a word (or a 4-letter stem) with the person's theme.

    >>> [t.name for t in match_themes("Leaving home")]
    ['home', 'road']
    >>> match_themes("quantum chromodynamics")
    ()
    """
    words = {w for w in "".join(c.lower() if c.isalpha() else " " for c in theme).split() if len(w) > 2}
    stems = {w[:4] for w in words if len(w) >= 4}
    found = []
    for row in themes():
        keys = set(row.keywords) | {row.name}
        if words & keys or stems & {k[:4] for k in keys if len(k) >= 4}:
            found.append(row)
    return tuple(found)
