"""The word rules the lyric constraints share: which words a line may use and where they may sit.

`tokens_en` spells these words in the pretrained model's tokens and keeps every draft inside
them: a word must be `singable` (a modern CMUdict word) and sit on the beats (`_fits`: stress
on the strong beats, no function word on a downbeat), and a line does not end on one of the
`WEAK_ENDINGS`.  `END` is the end-of-line symbol of the Mandarin byte constraint
(`constraint_zh.MandarinLine`, equal to `finetune.text.adapter.END`).
"""

from __future__ import annotations

from . import en

END = 256  # the end-of-line symbol of finetune.text.adapter (kept equal; checked by the tests)
ARCHAIC = frozenset("""thou thee thy thine thyself hath doth dost hast shalt wilt wouldst couldst shouldst canst
art ye tis twas o'er e'er ne'er whence thence hither thither wherefore prithee methinks ere nay hence
""".split())
_CONTRACTIONS = ("'s", "n't", "'ll", "'re", "'ve", "'m")
# words a sung line does not end on
WEAK_ENDINGS = frozenset("""a an the my your his her its our their of in on at by to for from with into onto upon
and or but nor if as than so yet when while though till until since because is are was were am be been do does did
have has had can could will would shall should may might must not no""".split())


def singable(word: str) -> bool:
    """A modern, lowercase dictionary word a drafter may use.

    >>> singable("river"), singable("thou"), singable("vanish'd"), singable("don't"), singable("zzyzx")
    (True, False, False, True, False)
    """
    if not word or word != word.lower() or word in ARCHAIC or not word.replace("'", "").isalpha():
        return False
    if "'" in word and not word.endswith(_CONTRACTIONS):
        return False
    return bool(en.stress_patterns(word))


def _fits(pattern: str, function: bool, strengths: tuple[float, ...], start: int) -> bool:
    """Whether a word of stress `pattern` may start on note `start`: its stress fits the beats and,
    when it is a one-syllable function word, that note is not a downbeat."""
    span = strengths[start:start + len(pattern)]
    if len(span) < len(pattern) or not en.stress_fits(pattern, span):
        return False
    return not (function and len(pattern) == 1 and span[0] >= 1.0)
