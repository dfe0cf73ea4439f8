"""What a chat message states (chat_mentions.stated) and where a theme may begin and end (chat_spans)."""

from __future__ import annotations

import doctest

import pytest

from tunesmith.finetune.chat import mentions as chat_mentions
from tunesmith.finetune.chat import spans as chat_spans
from tunesmith.finetune.chat.mentions import stated


@pytest.mark.parametrize("text, expected", [
    ("Make me a strathspey in E minor at 90 bpm.", {"style": ["scottish-strathspey"], "key": ["E"],
                                                    "mode": ["minor"], "tempo": [90]}),
    ("Compose a fiddle tune, 4/4, key of G, around 110 bpm.", {"style": ["fiddle-tune"], "meter": ["4/4"],
                                                              "key": ["G"], "tempo": [110]}),
    ("Extend the tune by four more bars.", {"bars": [4]}),
    ("Let's make it calmer and slow it down to 70 bpm.", {"mood": ["calm"], "tempo": [70]}),
    ("Show me two alternative harmonizations.", {"k": [2]}),
    ("Chord on every beat in the style of a Bach chorale please", {"per": ["beat"], "style": ["bach-chorale"]}),
    ("请写一段F#小调的旋律，速度60", {"key": ["F#"], "mode": ["minor"], "tempo": [60]}),
    ("速度调到每分钟80拍", {"tempo": [80]}),
    ("和旋换得太频繁了，一小节一个就行", {"per": ["bar"]}),
    ("来两个不同的配和弦方案", {"k": [2]}),
    ("写首中国儿歌的旋律吧，简单一点，八小节", {"style": ["chinese-han-erge"], "bars": [8]}),
    ("我想要一个WAV音频文件", {"format": ["wav"]}),
    ("could you come up with a 16 bar irish jig in c#m?", {"bars": [16], "style": ["irish-jig"], "key": ["C#"],
                                                           "mode": ["minor"]}),
])
def test_stated_values(text, expected) -> None:
    assert stated(text) == expected


@pytest.mark.parametrize("text", [
    "I am not sure what I want yet.",  # "am" is no A minor
    "Can you make a minor change to bar 3?",  # a small change, not A minor
    "keep them gentle",  # "em" inside "them"
    "Regenerate bars 5 to 8 and keep the first 4 bars.",  # bar spans, not a length
    "速度快一些",  # 快一 is no tempo
    "add a bass line",  # an instrument part, not the bass voice
])
def test_no_false_mentions(text) -> None:
    said = stated(text)
    assert not {"key", "mode", "tempo", "bars", "voice"} & set(said), said


def test_themes_are_phrases() -> None:
    def spans(text: str) -> set[str]:
        starts, ends = chat_spans.phrase_edges(text)
        marks, data = chat_spans.phrase_marks(text), text.encode()
        return {data[s:e].decode() for s in starts for e in ends if s < e <= min([m for m in marks if m >= s] or [e])}

    assert "a summer road trip" in spans("Write lyrics about a summer road trip.")
    assert "a summer" not in spans("Write lyrics about a summer road trip.")
    assert "friendship" in spans("Write a verse about friendship with an AABB rhyme scheme.")
    assert "故乡的秋天" in spans("为这段旋律写歌词，主题是故乡的秋天") and "故乡的" not in spans("主题是故乡的秋天")
    assert "late night trains" in spans("need lyrics abt late night trains, nothing cheesy")
    assert spans("write some english lyrics on the topic of late-night trains") == {"late-night trains"}
    assert "the melody about sailing home" not in spans("a song text for the melody about sailing home")


def test_doctests() -> None:
    for module in (chat_mentions, chat_spans):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__
