"""What the lyrics model may write next, byte by byte, so every draft can fit its phrase.

The model writes UTF-8 bytes; these constraints turn a phrase into the set of bytes allowed
after a prefix (plus `END` when the line may stop), for `finetune.text.adapter.generate_text`.

* English: lowercase dictionary words separated by single spaces, from the adapter's word list
  (CMUdict words of the verse corpus plus the theme table), walked as a byte trie.  Every word
  must sit on the beats (primary stress not weaker than its unstressed syllables, no function
  word on a downbeat), the syllables must add up to the phrase exactly, and the last word must
  rhyme with `rhyme_with` when given.  Each trie node knows which (stress pattern, function
  word) classes lie below it, so a prefix is allowed only when some word can still complete it:
  the decoder never reaches a dead end.  When a word seen after the previous word in the verse
  (the lexicon's `follows` lists) fits, the next word is one of those, so word pairs are attested.
* Mandarin (`lyrics_constraint_zh`): one known, full-tone character per note, tones that follow
  the melody, a rhyming last character.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from . import en

if TYPE_CHECKING:  # pragma: no cover
    from .constraint_zh import HanChars

END = 256  # the end-of-line symbol of finetune.text.adapter (kept equal; checked by the tests)
SPACE = 32
LEXICON_FILE = "lexicon.json.gz"
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


def normalise_en(text: str) -> str:
    """A verse line as the model writes it: lowercase words and single spaces.

    >>> normalise_en("O, my Luve's like a red, red rose!")
    "o my luve's like a red red rose"
    """
    return " ".join(w.lower() for w in en.words_of(text.replace("’", "'")))


def display_en(text: str) -> str:
    """The model's lowercase line as shown: capital first letter and 'I'.

    >>> display_en("i know the way")
    'I know the way'
    """
    words = ["I" if w == "i" else "I" + w[1:] if w.startswith("i'") else w for w in text.split()]
    return " ".join(words)[:1].upper() + " ".join(words)[1:] if words else ""


PREVIOUS_CHARS = 60  # the end of the line before, as the prompt carries it


def lyrics_prompt(lang: str, count: int, theme: Iterable[str], rhyme_with: str | None = None,
                  previous: str = "") -> str:
    """The adapter's prompt: language, syllables (en) or characters (zh), theme words, rhyme word,
    and the line before (its end), so that a line can follow on from the one before it.

    >>> lyrics_prompt("en", 8, ["home", "road"], "day"), lyrics_prompt("zh", 5, ["家"], previous="床前明月光")
    ('en 8 home,road ~day', 'zh 5 家 / 床前明月光')
    """
    text = f"{lang} {count} {','.join(theme)}"
    text = f"{text} ~{rhyme_with}" if rhyme_with else text
    previous = " ".join(previous.split())[-PREVIOUS_CHARS:]
    return f"{text} / {previous}" if previous else text


class EnglishTrie:
    """The word list as a byte trie whose nodes carry a bitmask of the word classes below them.

    A class is (usual stress pattern, function word); sub-tries (line ends, rhymes, the words
    that follow a word in the verse) share the class numbers of the trie they come from."""

    def __init__(self, entries: dict[str, tuple[str, bool]], *, classes: list[tuple[str, bool]] | None = None,
                 follows: dict[str, frozenset[str]] | None = None):
        """`entries`: word -> (usual stress pattern, function word); `follows`: word -> the words
        seen after it in the verse ('' -> words that start lines)."""
        self.classes: list[tuple[str, bool]] = list(classes) if classes is not None else sorted(set(entries.values()))
        index = {key: k for k, key in enumerate(self.classes)}
        self.entries = entries
        self.follows = follows or {}
        self.children: list[dict[int, int]] = [{}]
        self.masks: list[int] = [0]
        self.word_class: dict[str, int] = {}
        self._rhymes: dict[str, frozenset[str]] = {}
        self._subs: dict[tuple, EnglishTrie] = {}
        for word, key in entries.items():
            cls = index[key]
            self.word_class[word] = cls
            node = 0
            self.masks[0] |= 1 << cls
            for byte in word.encode("utf-8"):
                if byte not in self.children[node]:
                    self.children[node][byte] = len(self.children)
                    self.children.append({})
                    self.masks.append(0)
                node = self.children[node][byte]
                self.masks[node] |= 1 << cls

    @classmethod
    def of(cls, words: Iterable[str], follows: dict[str, Iterable[str]] | None = None) -> EnglishTrie:
        entries = {}
        for word in words:
            patterns = en.stress_patterns(word)
            if patterns:
                entries[word] = (patterns[0], en.is_function(word))
        return cls(entries, follows={w: frozenset(f) for w, f in (follows or {}).items()})

    def rhyming(self, word: str) -> list[str]:
        """Words of the list that rhyme with `word` (itself excluded)."""
        target = en.rhyme_parts(word)
        return [w for w, parts in self._rhyme_parts().items() if parts & target and w != word.lower()]

    def line_ends(self, partners: int = 3) -> list[str]:
        """Words a line may end on when a later line may have to rhyme with it: not a weak word,
        and with more than `partners` rhyming words in the list."""
        parts = self._rhyme_parts()
        sizes = Counter(p for ps in parts.values() for p in ps)
        return [w for w, ps in parts.items() if w not in WEAK_ENDINGS and any(sizes[p] > partners for p in ps)]

    def sub(self, words: Iterable[str], key: tuple) -> EnglishTrie:
        """A cached trie of some of the words, sharing this trie's classes."""
        if key not in self._subs:
            self._subs[key] = EnglishTrie({w: self.entries[w] for w in words if w in self.entries},
                                          classes=self.classes)
        return self._subs[key]

    def finals(self, rhyme_with: str | None, banned: frozenset[str]) -> EnglishTrie:
        """The words that may end a line: line ends, or the rhymes of `rhyme_with`."""
        pool = self.rhyming(rhyme_with) if rhyme_with else self.line_ends()
        return self.sub((w for w in pool if w not in banned and w not in WEAK_ENDINGS), ("end", rhyme_with, banned))

    def _rhyme_parts(self) -> dict[str, frozenset[str]]:
        if not self._rhymes:
            self._rhymes = {w: en.rhyme_parts(w) for w in self.entries}
        return self._rhymes

    def walk(self, partial: bytes) -> int | None:
        node = 0
        for byte in partial:
            node = self.children[node].get(byte)
            if node is None:
                return None
        return node

    def allowed(self, partial: bytes, mask: int, *, stop: int) -> set[int]:
        """Next bytes inside words whose class is in `mask`, plus `stop` when `partial` is one."""
        node = self.walk(partial)
        if node is None:
            return set()
        out = {b for b, child in self.children[node].items() if self.masks[child] & mask}
        cls = self.word_class.get(partial.decode("utf-8", "replace"))
        if partial and cls is not None and (1 << cls) & mask:
            out.add(stop)
        return out


def _fits(pattern: str, function: bool, strengths: tuple[float, ...], start: int) -> bool:
    span = strengths[start:start + len(pattern)]
    if len(span) < len(pattern) or not en.stress_fits(pattern, span):
        return False
    return not (function and len(pattern) == 1 and span[0] >= 1.0)


class EnglishLine:
    """`allowed(prefix)` for one English phrase (see the module docstring).

    With `follow` (and a trie that has `follows`), the next word is one seen after the previous
    word in the verse whenever such a word fits there; otherwise any word of the list."""

    def __init__(self, trie: EnglishTrie, strengths: tuple[float, ...], *, rhyme_with: str | None = None,
                 banned_last: Iterable[str] = (), follow: bool = True):
        self.trie, self.strengths, n = trie, tuple(strengths), len(strengths)
        self.follow = follow and bool(trie.follows)
        self.banned = frozenset({w.lower() for w in banned_last} | ({rhyme_with.lower()} if rhyme_with else set()))
        self.rhyme_with = rhyme_with
        self.finals = trie.finals(rhyme_with, self.banned)
        self.final_mask = [0] * (n + 1)
        for cls, (pattern, function) in enumerate(trie.classes):
            start = n - len(pattern)
            if start >= 0 and _fits(pattern, function, self.strengths, start):
                self.final_mask[start] |= 1 << cls
        ends = [n - s for s in range(n) if self.final_mask[s] & self.finals.masks[0]]
        self.shortest_end = min(ends) if ends else None
        self.inner_mask = [0] * (n + 1)
        for cls, (pattern, function) in enumerate(trie.classes):
            for start in range(n):
                if (self.shortest_end is not None and n - start - len(pattern) >= self.shortest_end
                        and _fits(pattern, function, self.strengths, start)):
                    self.inner_mask[start] |= 1 << cls
        self._cache: dict[bytes, frozenset[int]] = {}

    @property
    def possible(self) -> bool:
        return self.shortest_end is not None

    def position(self, words: list[bytes]) -> int | None:
        """Syllables used by complete words (None when one is unknown)."""
        used = 0
        for word in words:
            cls = self.trie.word_class.get(word.decode("utf-8", "replace"))
            if cls is None:
                return None
            used += len(self.trie.classes[cls][0])
        return used

    def tries(self, previous: str, used: int) -> tuple[EnglishTrie, EnglishTrie]:
        """(inner words, last words) allowed after `previous` at syllable `used`."""
        if self.follow and previous in self.trie.follows:
            after = self.trie.follows[previous]
            inner = self.trie.sub(after, ("after", previous))
            final = self.finals.sub(after, ("after", previous))
            if inner.masks[0] & self.inner_mask[used] or final.masks[0] & self.final_mask[used]:
                return inner, final
        return self.trie, self.finals

    def __call__(self, prefix: bytes) -> frozenset[int]:
        if prefix in self._cache:
            return self._cache[prefix]
        *done, partial = prefix.split(b" ")
        used = self.position(done)
        out: set[int] = set()
        if used is not None and used < len(self.strengths):
            inner, final = self.tries(done[-1].decode("utf-8", "replace") if done else "", used)
            out = inner.allowed(partial, self.inner_mask[used], stop=SPACE)
            out |= final.allowed(partial, self.final_mask[used], stop=END)
            # a content word once per line, unless stopping there is the only way on
            if partial in done and not en.is_function(partial.decode("utf-8", "replace")) and out - {SPACE, END}:
                out -= {SPACE, END}
        result = frozenset(out)
        self._cache[prefix] = result
        return result


def save_lexicon(folder: str | Path, *, english: Iterable[str], chinese: Iterable[str],
                 english_follows: dict[str, Iterable[str]] | None = None,
                 chinese_follows: dict[str, Iterable[str]] | None = None) -> Path:
    """Write the drafter's words, characters and attested successors beside the adapter (gzip JSON)."""
    words, chars = sorted(set(english)), sorted(set(chinese))
    where = {w: k for k, w in enumerate(words)}
    blob = {"en": words, "zh": "".join(chars),
            "en_follows": {w: sorted(where[x] for x in f if x in where)
                           for w, f in (english_follows or {}).items() if w in where or w == ""},
            "zh_follows": {c: "".join(sorted(set(f) & set(chars))) for c, f in (chinese_follows or {}).items()}}
    path = Path(folder) / LEXICON_FILE
    path.write_bytes(gzip.compress(json.dumps(blob, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 9))
    return path


def load_lexicon(folder: str | Path) -> tuple[EnglishTrie, HanChars]:
    from .constraint_zh import HanChars

    blob = json.loads(gzip.decompress((Path(folder) / LEXICON_FILE).read_bytes()).decode("utf-8"))
    words = blob["en"]
    follows = {w: [words[k] for k in ks] for w, ks in blob.get("en_follows", {}).items()}
    return (EnglishTrie.of((w for w in words if singable(w)), follows),
            HanChars.of(blob["zh"], blob.get("zh_follows", {})))
