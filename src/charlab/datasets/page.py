"""The book's "Data and licenses" page (`book/data.md`), generated from the registry so the two cannot drift.

Regenerate after editing the registry:  python -m charlab.datasets.page > book/data.md
(a test fails while the committed page differs from what this renders).
"""

from __future__ import annotations

from .registry import DATASETS, Dataset, Source, human_size

INTRO = """\
# Data and licenses

Every chapter reads its text from `data/<name>/input.txt`, the layout of Karpathy's char-rnn. Nothing in this
repository contains the texts themselves: a reader downloads them from their upstream sources with

```bash
python data_scripts/fetch.py tinyshakespeare      # one dataset (several names are fine)
python data_scripts/fetch.py --all                # every dataset below except the optional ones
python data_scripts/fetch.py --list               # what exists, its size and license, fetched or not
```

(`python -m charlab.datasets ...` is the same command where charlab is pip-installed, e.g. on Colab; notebooks
call `charlab.datasets.ensure(name)`, which fetches a missing dataset.)

What the command guarantees:

- **Verified or absent.** A download streams into `data/<name>/.partial/`, is checked (sha256 where the
  upstream file's hash is known, else its size where known), and only then renamed into place as `input.txt`.
  A wrong checksum deletes the file and says which URL served what; whatever fails, and whenever Ctrl-C
  arrives, no partial or unverified `input.txt` is left behind.
- **Resumable and patient.** A dropped connection, a timeout or a 5xx answer is retried with exponential
  backoff, resuming with an HTTP `Range` request (a server that ignores `Range` makes it start over). After a
  Ctrl-C, running the command again resumes the download.
- **Traceable.** Next to each `input.txt`, `SOURCE.json` records the URL actually used, the sha256 of what was
  downloaded and of `input.txt`, its size, which known file it is (`identified_as`), whether it is the post's
  file (`is_registry_file`), the license and the date. Each chapter's stamp records the sha256 of the data it
  was executed on, so every result can be traced to the exact bytes.
- **Offline mirrors.** `--mirror DIR_OR_URL` (or `CHARLAB_DATA_MIRROR`) names a directory or HTTP base URL laid
  out as `<name>/input.txt` with a `SHA256SUMS` file; it is tried before upstream and verified against its
  `SHA256SUMS`. This book was executed on such a mirror; where a mirrored file is not the post's file, it is
  listed under "other known copies" below, and SOURCE.json says so.
- **Running again** is a fast no-op ("present, verified"); `--force` fetches again (the old file stays until
  the new one is verified). `--data-dir` or `CHARLAB_DATA` moves the data directory.

Some of these texts may not be redistributed (Paul Graham's essays, the post's own source): fetch them for your
own study, and never commit them.
"""


def _size(n: int | None) -> str:
    return f"{n:,} bytes" if n is not None else "unknown"


def _sha(sha: str | None) -> str:
    return f"`{sha}`" if sha else "not known"


def _check(source: Source) -> str:
    if source.sha256:
        return f"verified by sha256 `{source.sha256}`"
    if source.size:
        return f"no published sha256: verified by size ({source.size:,} bytes), sha256 recorded"
    return "no known checksum: sha256 recorded in SOURCE.json, not verified"


def _section(entry: Dataset) -> str:
    title = f"## `{entry.name}`" + (" (optional)" if entry.optional else "")
    lines = [title, "", entry.description, ""]
    lines.append(f"- **Chapter:** {entry.chapter}")
    lines.append(f"- **`input.txt`:** {_size(entry.size)}, sha256 {_sha(entry.sha256)}")
    lines.append("- **Sources, in order of preference:**")
    for i, source in enumerate(entry.sources, 1):
        urls = ", ".join(f"<{url}>" for url in source.urls)
        lines.append(f"  {i}. {source.what}: {urls} (step `{source.prepare}`; {_check(source)})")
    lines.append(f"- **Preparation:** {entry.preparation}")
    lines.append(f"- **Differs from the post's file:** {entry.differs_from_post}")
    lines.append(f"- **License:** {entry.license}")
    lines.append(f"- **Cite:** {entry.citation}")
    if entry.known_copies:
        lines.append("- **Other known copies:**")
        for copy in entry.known_copies:
            lines.append(f"  - {copy.what} ({copy.size:,} bytes, sha256 `{copy.sha256}`)")
    return "\n".join(lines) + "\n"


def render() -> str:
    """The whole page as MyST markdown."""
    table = ["| name | chapter | `input.txt` | license |", "|---|---|---|---|"]
    for entry in DATASETS.values():
        size = human_size(entry.size) if entry.size else "unknown"
        table.append(f"| `{entry.name}` | {entry.chapter} | {size} | {entry.license} |")
    sections = "\n".join(_section(entry) for entry in DATASETS.values())
    return f"{INTRO}\n" + "\n".join(table) + "\n\n" + sections


if __name__ == "__main__":
    print(render(), end="")
