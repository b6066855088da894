"""The registry: every dataset of the post, where it comes from, and how to check we got the right bytes.

Each dataset lists its upstream sources in order of preference. A source names the file(s) to download, the
preparation step that turns them into `input.txt` (see `prepare.py`), and the sha256/size of that `input.txt`
where the upstream facts are known. A source with a known sha256 is verified byte for byte; one without
(a live Gutenberg text, a file whose hash nobody recorded) is checked by size where known, and its sha256 is
recorded in SOURCE.json so every result can still be traced to the exact bytes it was trained on.

`known_copies` lists other files known to circulate under the same name (e.g. the offline mirror this book
was built from), so SOURCE.json can say precisely which file a fetched copy is, and how it differs from the
post's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Source:
    """One way to obtain a dataset: download `urls` (all of them), then run the `prepare` step on them."""

    urls: tuple[str, ...]
    prepare: str  # a step name in prepare.STEPS
    what: str  # one line: what this file is, e.g. "Karpathy's shakespeare_input.txt (the post's file)"
    sha256: str | None = None  # of the prepared input.txt, when known
    size: int | None = None  # of the prepared input.txt, when known
    download_size: int | None = None  # of the downloaded file (single-URL sources), when known
    options: Mapping[str, object] = field(default_factory=dict)  # passed to the prepare step


@dataclass(frozen=True)
class KnownCopy:
    """A file known to circulate for this dataset that is not (or not known to be) the registry's file."""

    sha256: str
    size: int
    what: str


@dataclass(frozen=True)
class Dataset:
    """A registry entry. `urls`, `size` and `sha256` describe the preferred source (the post's file)."""

    name: str
    description: str
    chapter: str  # the post's section this dataset serves
    sources: tuple[Source, ...]
    license: str  # short: what a reader may do with it
    citation: str
    preparation: str  # human-readable summary of the preparation
    differs_from_post: str  # how the file(s) we fetch relate to what the post trained on
    known_copies: tuple[KnownCopy, ...] = ()
    optional: bool = False  # not part of `--all` (huge, or not needed by any chapter)

    @property
    def urls(self) -> tuple[str, ...]:
        """Every upstream URL, in order of preference."""
        return tuple(url for source in self.sources for url in source.urls)

    @property
    def size(self) -> int | None:
        return self.sources[0].size

    @property
    def sha256(self) -> str | None:
        return self.sources[0].sha256

    def identify(self, sha256: str) -> str | None:
        """Say which known file has this sha256 (a source's prepared input.txt or a known copy), if any."""
        for source in self.sources:
            if source.sha256 == sha256:
                return source.what
        for copy in self.known_copies:
            if copy.sha256 == sha256:
                return copy.what
        return None


def human_size(size: int | None) -> str:
    """1115394 -> '1.1 MB' (decimal units, like the post's sizes); None -> '?'."""
    if size is None:
        return "?"
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError


_KARPATHY = "https://cs.stanford.edu/people/karpathy/char-rnn"
_STACKS_COMMIT = "aca856f4523fc2b4dca6925cfd7480ccb3e8d0b0"
_GUTENBERG_NOTE = (
    "Project Gutenberg header and license removed (body between the START/END markers), BOM removed, CRLF -> LF"
)

_ENTRIES = [
    Dataset(
        name="tinyshakespeare",
        description="Tiny Shakespeare: 40,000 lines of Shakespeare plays, char-rnn's default dataset.",
        chapter="min-char-rnn (and char-rnn's default run)",
        sources=(
            Source(
                urls=("https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",),
                prepare="copy",
                what="char-rnn's data/tinyshakespeare/input.txt",
                sha256="86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
                size=1_115_394,
            ),
        ),
        license="public domain text (Shakespeare); compiled by Andrej Karpathy for char-rnn (MIT)",
        citation="Andrej Karpathy, char-rnn (2015), https://github.com/karpathy/char-rnn, data/tinyshakespeare",
        preparation="none: the file as published",
        differs_from_post="identical to char-rnn's file",
    ),
    Dataset(
        name="shakespeare",
        description="The complete works of Shakespeare in one file (the post's 4.4 MB Shakespeare).",
        chapter="Shakespeare",
        sources=(
            Source(
                urls=(f"{_KARPATHY}/shakespeare_input.txt",),
                prepare="copy",
                what="Karpathy's shakespeare_input.txt (the post's file)",
                size=4_573_338,
            ),
            Source(
                urls=("https://www.gutenberg.org/cache/epub/100/pg100.txt",),
                prepare="gutenberg",
                what="Project Gutenberg #100, current edition, header/license stripped (not the post's file)",
            ),
        ),
        license="public domain text",
        citation="William Shakespeare, Complete Works; file by Andrej Karpathy (2015), "
        "http://cs.stanford.edu/people/karpathy/char-rnn/; fallback Project Gutenberg eBook #100",
        preparation="Karpathy's file: none. Gutenberg fallback: " + _GUTENBERG_NOTE,
        differs_from_post="Karpathy's file is the post's; its sha256 was never published, so it is checked "
        "by size. "
        "The Gutenberg fallback has the same plays in a different edition and layout",
        known_copies=(
            KnownCopy(
                "f4870bae5fb4bd4fd1acdf8af3b07ba8d9c2a0d58437afb62bb05954ba06e6e9",
                5_443_837,
                "Project Gutenberg #100 (older edition, as stored in riccardomurri/pyspark-intro-course "
                "@55d0c06a), "
                "body between the START/END markers, BOM removed, CRLF -> LF; not the post's file "
                "(same plays, different edition and layout)",
            ),
        ),
    ),
    Dataset(
        name="pg",
        description="Paul Graham's essays, concatenated (the post's 'Paul Graham generator').",
        chapter="Paul Graham generator",
        sources=(
            Source(
                urls=(
                    "https://raw.githubusercontent.com/anantzoid/char-rnn-tensorflow/"
                    "341cd15a9e212215f6b53f41702d466b194b7352/data/paulgraham/input.txt",
                ),
                prepare="copy",
                what="a published scrape of 231 essays (1995-2016), anantzoid/char-rnn-tensorflow @341cd15a",
                sha256="eff7cfa9ac295a9e7028632efc5c4450ef689dc217441654d7f6185b9db508b1",
                size=2_342_640,
            ),
        ),
        license="essays (c) Paul Graham: not redistributable; fetched for personal study, never committed",
        citation="Paul Graham, Essays, http://paulgraham.com/articles.html; "
        "scrape from https://github.com/anantzoid/char-rnn-tensorflow (branch pg)",
        preparation="none: the published scrape as is (no requests to paulgraham.com)",
        differs_from_post="the post's file (~1 MB, essays of roughly 2010-2015) was never published; "
        "this scrape has 231 essays from 1995 to 2016 (2.3 MB)",
    ),
    Dataset(
        name="wikipedia",
        description="enwik8: the first 100,000,000 bytes of an English Wikipedia XML dump (Hutter Prize).",
        chapter="Wikipedia",
        sources=(
            Source(
                urls=("http://mattmahoney.net/dc/enwik8.zip",),
                prepare="zip_member",
                what="enwik8 from mattmahoney.net/dc/enwik8.zip (the post's data)",
                size=100_000_000,
                download_size=36_445_475,
                options={"member": "enwik8"},
            ),
        ),
        license="CC BY-SA 3.0 / GFDL (Wikipedia text)",
        citation="Matt Mahoney, Large Text Compression Benchmark, enwik8, "
        "http://mattmahoney.net/dc/textdata.html "
        "(Hutter Prize, http://prize.hutter1.net)",
        preparation="unzip the single member `enwik8` (zip CRC-32 checked); the post trains on the first 96 "
        "MB "
        "and validates on the last 4 MB, a split the training code makes",
        differs_from_post="the post's data (enwik8 is a fixed benchmark file; its sha256 is not recorded here, so it "
        "is checked by size and by the zip's CRC-32)",
        known_copies=(
            KnownCopy(
                "e33ac91b97a53d998f2f87893efd37e9b081f7c6ed9b9fdb44cd468702295c39",
                4_154_400,
                "the first ~4.15 MB of enwik8 (Mentors4EDU/Break-CS @5aba2368, 117 bytes of junk removed "
                "from its "
                "end); the post used all 100 MB; byte-exactness of this prefix is not verified",
            ),
        ),
    ),
    Dataset(
        name="latex",
        description="The Stacks project (algebraic geometry) LaTeX source as of 2015-05-20, the day before the post.",
        chapter="Algebraic Geometry (LaTeX)",
        sources=(
            Source(
                urls=(f"https://github.com/stacks/stacks-project/archive/{_STACKS_COMMIT}.tar.gz",),
                prepare="archive_concat",
                what=f"all *.tex of stacks/stacks-project @{_STACKS_COMMIT[:8]}, concatenated (the post's 16 MB)",
                sha256="d085437a2022aedb523c471f4608654bd2dd72895419e3bdfae7b7ea28c66c40",
                size=16_689_022,
                options={"suffixes": (".tex",)},
            ),
        ),
        license="GFDL 1.2 (The Stacks project)",
        citation=f"The Stacks project authors, The Stacks project, https://stacks.math.columbia.edu "
        f"(git commit {_STACKS_COMMIT}, 2015-05-20)",
        preparation="all 93 `*.tex` files of the repository archive, concatenated in C-locale path order "
        "(byte order: uppercase before lowercase); GitHub regenerates archives, so the archive itself is not "
        "hashed, only the result",
        differs_from_post="matches the post's '16 MB of LaTeX' (the post does not name a commit; this is the "
        "repository the day before the post)",
    ),
    Dataset(
        name="linux",
        description="Linux kernel C code in one file (Karpathy's published linux_input.txt).",
        chapter="Linux Source Code",
        sources=(
            Source(
                urls=(f"{_KARPATHY}/linux_input.txt",),
                prepare="copy",
                what="Karpathy's linux_input.txt (6.2 MB of kernel code)",
                size=6_206_996,
            ),
        ),
        license="GPL-2.0 (Linux kernel source)",
        citation="The Linux kernel, https://kernel.org; file by Andrej Karpathy (2015), "
        "http://cs.stanford.edu/people/karpathy/char-rnn/",
        preparation="none: the file as published. It is not valid UTF-8: it has one non-UTF-8 byte at offset "
        "5,809,090 (kept, so the bytes match the published file)",
        differs_from_post="the post trained on all of Linux (474 MB; see `linux-full`); this published file "
        "is "
        "a 6.2 MB subset of the kernel code of the time",
        known_copies=(
            KnownCopy(
                "63155e8af3ba9ae059a9031e8f424179818a9a83287ce60ac0df6e10aacf52c7",
                11_680_716,
                "Linux 6.1.192 `kernel/` directory, all .c/.h in C-locale path order (502 files, Debian "
                "linux-source-6.1 6.1.192-2); newer code than the post's, and far less of it",
            ),
        ),
    ),
    Dataset(
        name="linux-full",
        description="All .c/.h files of a Linux kernel release tarball (the post's 474 MB corpus, approximately).",
        chapter="Linux Source Code (full-size run)",
        sources=(
            Source(
                urls=("https://cdn.kernel.org/pub/linux/kernel/v4.x/linux-4.0.tar.xz",),
                prepare="archive_concat",
                what="all .c/.h of Linux 4.0 (April 2015, the last release before the post)",
                options={"suffixes": (".c", ".h")},
            ),
        ),
        license="GPL-2.0 (Linux kernel source)",
        citation="The Linux kernel, version 4.0, https://cdn.kernel.org/pub/linux/kernel/v4.x/",
        preparation="all regular `.c` and `.h` files of the tarball, concatenated in C-locale path order",
        differs_from_post="the post took the GitHub master of May 2015 (about v4.1-rc4); Linux 4.0 is the "
        "nearest release tarball. Its sha256 is recorded in SOURCE.json, not checked against a known value",
        optional=True,
    ),
    Dataset(
        name="names",
        description="8,000 English first names (the CMU names corpus): male.txt then female.txt, one per line.",
        chapter="Generating Baby Names",
        sources=(
            Source(
                urls=("https://raw.githubusercontent.com/nltk/nltk_data/gh-pages/packages/corpora/names.zip",),
                prepare="zip_members",
                what="the CMU names corpus as packaged by NLTK (nltk_data names.zip)",
                sha256="5ab97d2b30bd6d718d28f93651662585d44b4f7c28186435e3e1b616de71c784",
                size=55_869,
                options={"members": ("names/male.txt", "names/female.txt")},
            ),
            Source(
                urls=(
                    "http://www.cs.cmu.edu/afs/cs/project/ai-repository/ai/areas/nlp/corpora/names/male.txt",
                    "http://www.cs.cmu.edu/afs/cs/project/ai-repository/ai/areas/nlp/corpora/names/female.txt",
                ),
                prepare="cmu_names",
                what="the CMU AI repository's original male.txt and female.txt, comment headers stripped",
            ),
        ),
        license="free to use and redistribute with credit to Mark Kantrowitz (not public domain)",
        citation="Mark Kantrowitz and Bill Ross, Names Corpus, Version 1.3 (1994), CMU Artificial "
        "Intelligence "
        "Repository, areas/nlp/corpora/names",
        preparation="male.txt then female.txt (2,943 + 5,001 = 7,944 lines, 7,579 distinct names); the CMU "
        "originals have a '#' comment header, removed",
        differs_from_post="the same corpus as the post's '8000 names'; the post does not say in which order "
        "or "
        "form it was concatenated",
    ),
    Dataset(
        name="warpeace",
        description="Tolstoy's War and Peace (Maude translation), used for the post's training-evolution samples.",
        chapter="Understanding what's going on (evolution of samples while training)",
        sources=(
            Source(
                urls=(f"{_KARPATHY}/warpeace_input.txt",),
                prepare="newlines",
                what="Karpathy's warpeace_input.txt, BOM removed, CRLF -> LF",
                sha256="e9d70cc7d26da7bb53c09a90844647f75cd2ef081b6aa358290a8cf7184d889b",
                size=3_196_231,
                download_size=3_258_250,
            ),
            Source(
                urls=("https://www.gutenberg.org/cache/epub/2600/pg2600.txt",),
                prepare="gutenberg",
                what="Project Gutenberg #2600, current edition, header/license stripped (not the post's file)",
            ),
        ),
        license="public domain",
        citation="Leo Tolstoy, War and Peace, tr. Louise and Aylmer Maude; Project Gutenberg eBook #2600; "
        "file by Andrej Karpathy (2015)",
        preparation="Karpathy's file: UTF-8 BOM removed, CRLF -> LF (3,258,250 -> 3,196,231 bytes). "
        "Gutenberg fallback: " + _GUTENBERG_NOTE,
        differs_from_post="the post's file with normalised line ends (same text); the Gutenberg fallback is "
        "a "
        "later edition with a different layout",
    ),
    Dataset(
        name="blog",
        description="The post's own markdown source at its first commit, for the 'RNN writes this post' experiment.",
        chapter="meta: training on the post itself",
        sources=(
            Source(
                urls=(
                    "https://github.com/karpathy/karpathy.github.io/raw/80e4d8a6/"
                    "_posts/2015-05-21-rnn-effectiveness.markdown",
                ),
                prepare="copy",
                what="_posts/2015-05-21-rnn-effectiveness.markdown at the post's first commit (80e4d8a6)",
                sha256="3b440048e7ea1d28e6c7610a86547a5428a8c7ff2349a50a1aa6d060ed8d8fc6",
                size=46_450,
            ),
            Source(
                urls=(
                    "https://raw.githubusercontent.com/karpathy/karpathy.github.io/master/"
                    "_posts/2015-05-21-rnn-effectiveness.markdown",
                ),
                prepare="copy",
                what="the post's markdown as it is today (edited after publication; not the 46,450-byte file)",
            ),
        ),
        license="no license stated (c) Andrej Karpathy: fetched for the experiment, never committed",
        citation="Andrej Karpathy, The Unreasonable Effectiveness of Recurrent Neural Networks (2015), "
        "https://karpathy.github.io/2015/05/21/rnn-effectiveness/",
        preparation="none: the file as committed",
        differs_from_post="the 'about 46K characters' of the post's source, at its first commit",
    ),
]

DATASETS: dict[str, Dataset] = {entry.name: entry for entry in _ENTRIES}
