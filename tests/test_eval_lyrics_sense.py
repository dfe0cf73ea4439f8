"""The lyrics sense scale and its shuffles, with a fake judge (no model is loaded)."""

from __future__ import annotations

import random

import pytest

from tunesmith.eval import lm_judge
from tunesmith.eval.eval_lyrics_sense import distinct, separation

REAL = ["I dream of Jeannie with the light brown hair", "Borne like a vapor on the summer air",
        "Happy as the daisies that dance on her way", "Lift ev'ry voice and sing,"]
ORDER = {w.lower(): k for k, w in enumerate(" ".join(lm_judge.clean(x, "en") for x in REAL).split())}


def fake_judge(lines, context):
    """Higher for lines whose words keep the order they have in REAL; the context adds a bonus
    for lines that hold the theme's word, so theme relevance can be tested too."""
    out = []
    for line in lines:
        words = [w.lower() for w in line.split()]
        ranks = [ORDER.get(w, 0) for w in words]
        ordered = sum(b == a + 1 for a, b in zip(ranks, ranks[1:])) / max(1, len(words) - 1)
        bonus = 0.5 if any(w in context.lower() for w in words if len(w) > 3) else 0.0
        out.append(-5.0 + 2.0 * ordered + bonus)
    return out


def test_shuffle_keeps_the_words_and_moves_only_the_first_capital():
    rng = random.Random(3)
    for line in REAL:
        mixed = lm_judge.shuffle_line(line, "en", rng)
        clean = lm_judge.clean(line, "en")
        assert mixed != clean
        assert sorted(w.lower() for w in mixed.split()) == sorted(w.lower() for w in clean.split())
        assert mixed[0].isupper()
    assert "Jeannie" in lm_judge.shuffle_line(REAL[0], "en", random.Random(0))  # names keep their capital


def test_shuffle_is_seeded_and_shuffles_characters_in_mandarin():
    line = "床前明月光，"
    a = lm_judge.shuffle_line(line, "zh", random.Random(5))
    assert a == lm_judge.shuffle_line(line, "zh", random.Random(5))
    assert sorted(a) == sorted("床前明月光") and a != "床前明月光"
    assert lm_judge.shuffle_line("月月", "zh", random.Random(0)) == "月月"  # nothing to reorder


def test_clean_drops_punctuation_only():
    assert lm_judge.clean("Oh, I'll go home!", "en") == "Oh I'll go home"
    assert lm_judge.clean("a b", "zh") == ""


def test_sense_is_one_on_real_lines_and_zero_on_their_shuffles():
    anchor = lm_judge.anchors(fake_judge, REAL, lang="en", seed=1)
    assert anchor.gap > 0 and anchor.lines == len(REAL)
    real = lm_judge.line_scores(fake_judge, REAL, lang="en")
    assert anchor.sense(sum(real) / len(real)) == pytest.approx(1.0)
    assert anchor.sense(anchor.shuffled) == pytest.approx(0.0)
    assert anchor.sense(anchor.shuffled - anchor.gap) == pytest.approx(-1.0)


def test_sense_refuses_a_judge_that_cannot_tell_real_from_shuffled():
    anchor = lm_judge.anchors(lambda lines, context: [-3.0] * len(lines), REAL, lang="en")
    with pytest.raises(ValueError, match="does not separate"):
        anchor.sense(-3.0)


def test_separation_and_theme_wins():
    found = separation(fake_judge, REAL, lang="en")
    assert found["gap"] > 0 and found["real_above_shuffled"] == 1.0
    wins, total, top = lm_judge.theme_wins(fake_judge, ["the summer air", "no theme here"], lang="en",
                                           theme="summer", themes=["summer", "winter"])
    assert (wins, total, top) == (1, 2, 1)


def test_song_lines_split_at_punctuation_and_capitals():
    words = "Lift ev'ry voice and sing, till earth and heaven ring, Ring with the harmonies".split()
    assert lm_judge.split_words(words) == ["Lift ev'ry voice and sing,", "till earth and heaven ring,",
                                           "Ring with the harmonies"]
    assert max(len(x.split()) for x in lm_judge.split_words(["la"] * 25, max_words=10)) == 10


def test_distinct_counts_repetition():
    assert distinct("I go, I go home", "en") == (3, 5)
    assert distinct("我靠我靠", "zh") == (2, 4)
