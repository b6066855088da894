r"""Compiling LaTeX samples with pdflatex, safely, and classifying the first error.

"Does the sample compile?" is the post's own test of the LaTeX samples. `compile_latex` puts a body between a
preamble (the Stacks project's own, from `stacks_preamble`) and `\begin{document}`...`\end{document}`, and
runs `pdflatex -interaction=batchmode -halt-on-error -no-shell-escape -no-parse-first-line` on it. Samples
are untrusted text, so the run is locked down:

* it runs in a fresh temporary directory, with `openout_any=p` and `openin_any=p` (kpathsea's paranoid mode).
  TeX may not write or read dot files, files in parent directories or absolute paths outside its own tree;
* `-no-shell-escape`: `\write18{...}` runs nothing (the log says "runsystem(...)...disabled.");
* a timeout kills the whole process group (`\def\a{\a}\a` loops forever and is reported as "timeout"), and
  files it writes are limited to 64 MiB.

`first_error_class` turns the log's first error (the first line starting with "! ") into a short class with
the specifics removed, e.g. "Undefined control sequence", "Missing $ inserted", "\begin{X} ended by \end{Y}",
"\begin{document} ended by \end{Y}" (an `\end` with no `\begin`), "\begin{X} ended by \end{document}" (an
environment left open), "Environment undefined", "Runaway argument" (TeX's "Paragraph ended before \x was
complete"), "File ended while scanning" or "Emergency stop". `compile_latex` adds "timeout", "No pages of
output" and "killed". Every function except `pdflatex_available` and `stacks_preamble` needs pdflatex (Debian:
texlive-latex-base, texlive-pictures for xy), and `render_first_page_png` needs pdftoppm (poppler-utils).
Without them these functions raise `CharlabError`, so a chapter checks `pdflatex_available()` first.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from charlab.errors import CharlabError

_MAX_FILE_BYTES = 64 * 2**20  # largest file pdflatex may write (RLIMIT_FSIZE), against runaway \write loops
_MAX_LOG_CHARS = 2**20  # the log kept in a CompileResult (its start: the first error is near it)


@dataclass(frozen=True)
class CompileResult:
    """The outcome of one pdflatex run."""

    ok: bool  # pdflatex succeeded and wrote a PDF
    seconds: float
    error_class: str  # first_error_class of the log, "timeout", "No pages of output", ...; "" when ok
    error_message: str  # the log's first "! ..." line, "" when none
    error_line: int | None  # line of the *body* where TeX stopped (from "l.N"); None if unknown or in the preamble
    log: str  # the .log (at most its first MiB), "" when none was written
    pdf: bytes | None  # the PDF when ok
    pdf_path: Path | None  # where the PDF is kept, only when `workdir` was given (also a partial one, see above)
    errors: int = 0  # TeX error messages ("! ...") in the log


def pdflatex_available() -> bool:
    """Whether `pdflatex` is on the PATH."""
    return shutil.which("pdflatex") is not None


def _require(program: str, package: str) -> str:
    path = shutil.which(program)
    if path is None:
        raise CharlabError(f"{program} is not installed; install it (Debian: apt-get install {package})")
    return path


# The Stacks preamble picks its class with \IfFileExists{stacks-project.cls}{\documentclass{...}}{\documentclass
# {amsart}}; the class file is not in the data, so the fallback is kept.
_IF_CLASS_RE = re.compile(r"\\IfFileExists\{[^{}]*\}\{%?\s*(?:\\documentclass(?:\[[^\]]*\])?\{[^{}]*\}\s*)?\}"
                          r"\{%?\s*(\\documentclass(?:\[[^\]]*\])?\{[^{}]*\})\s*\}")
_NEEDS_FILES_RE = re.compile(r"^[ \t]*\\(?:externaldocument|input|include|includeonly|bibliography"
                             r"|bibliographystyle)(?![A-Za-z]).*\n?", re.M)


def stacks_preamble(corpus_text: str) -> str:
    r"""The preamble of the corpus (the Stacks project's `preamble.tex`), made to compile on its own.

    It runs from the first `\documentclass` (or the `\IfFileExists` choosing it) up to the first
    `\begin{document}` or `\input{preamble}` after it (in the concatenated data, the preamble file is followed
    by the next chapter's `\input{preamble}`). The class choice becomes its fallback (`\documentclass{amsart}`),
    and lines that need other files are removed: xr-hyper's `\externaldocument` (one per chapter, reading
    their .aux files), `\input`, `\include`, `\bibliography`. Raises CharlabError when there is no
    `\documentclass`.
    """
    found = re.search(r"^[^%\n]*\\documentclass", corpus_text, re.M)
    if found is None:
        raise CharlabError("no \\documentclass in the text, so there is no preamble to extract")
    start = corpus_text.index("\\documentclass", found.start())
    choice = _IF_CLASS_RE.search(corpus_text, max(0, start - 200))
    if choice is not None and choice.start() <= start < choice.end():
        start = choice.start()
    stops = [i for i in (corpus_text.find("\\begin{document}", start), corpus_text.find("\\input{preamble}", start))
             if i >= 0]
    preamble = corpus_text[start : min(stops, default=len(corpus_text))]
    preamble = _IF_CLASS_RE.sub(lambda m: m.group(1), preamble)
    return _NEEDS_FILES_RE.sub("", preamble).rstrip() + "\n"


_CLASSES = [  # (pattern on the first error message, class), first match wins
    (r"\\begin\{document\} ended by \\end\{.*\}", r"\begin{document} ended by \end{Y}"),  # \end with no \begin
    (r"\\begin\{.*\} (?:on input line \d+ )?ended by \\end\{document\}", r"\begin{X} ended by \end{document}"),
    (r"\\begin\{.*\} (?:on input line \d+ )?ended by \\end\{.*\}", r"\begin{X} ended by \end{Y}"),
    (r"Environment .* undefined", "Environment undefined"),
    (r"Paragraph ended before .* was complete", "Runaway argument"),
    (r"File ended while scanning", "File ended while scanning"),
    (r"Undefined control sequence", "Undefined control sequence"),
    (r"TeX capacity exceeded", "TeX capacity exceeded"),
    (r"Use of .* doesn't match its definition", r"Use of \x doesn't match its definition"),
    (r"Illegal parameter number", "Illegal parameter number in definition"),
    (r"File `.*' not found", "File not found"),
    (r"Command .* already defined", "Command already defined"),
    (r"Argument of .* has an extra \}", "Argument has an extra }"),
    (r".* allowed only in math mode", r"\x allowed only in math mode"),
    (r"I can't write on file", "I can't write on file"),
    (r"Xy-pic error", "Xy-pic error"),
]


def first_error_class(log: str) -> str:
    r"""The class of the first error in a pdflatex log: its first "! " line without the specifics.

    Known messages map to the fixed classes listed in the module docstring. Any other message is kept,
    without "LaTeX Error: " and the final full stop ("Missing $ inserted", "Extra }, or forgotten $",
    "Misplaced alignment tab character &"). Returns "" when the log has no error line.
    """
    message = _first_error_message(log)
    if not message:
        return ""
    message = re.sub(r"^(?:LaTeX|Package \S+) Error: ", "", message[2:]).strip().rstrip(".")
    for pattern, name in _CLASSES:
        if re.match(pattern, message):
            return name
    return message


def _first_error_message(log: str) -> str:
    found = re.search(r"^! .*$", log, re.M)
    return found.group().strip() if found else ""


def compile_latex(body: str, preamble: str, timeout_s: float = 20, workdir: str | os.PathLike | None = None,
                  halt_on_error: bool = True) -> CompileResult:
    r"""Compile `body` between `preamble` and `\begin{document}`...`\end{document}` with pdflatex.

    The run is sandboxed as the module docstring says. The files go in a fresh temporary directory, deleted
    afterwards, unless `workdir` is given: then the fresh directory is made inside `workdir` and kept
    (`pdf_path` points into it). A run that takes longer than `timeout_s` seconds is killed with its whole
    process group and gets the class "timeout". With `halt_on_error=False` TeX goes on past errors (as in its
    nonstop mode) and may still write a PDF: the result is not `ok`, but `pdf_path` (with `workdir`) points to
    whatever pages TeX made, e.g. to show a sample that does not compile; `errors` counts TeX's error messages.
    """
    pdflatex = _require("pdflatex", "texlive-latex-base")
    source = preamble.rstrip("\n") + "\n\\begin{document}\n" + body.rstrip("\n") + "\n\\end{document}\n"
    first_body_line = preamble.rstrip("\n").count("\n") + 3
    env = dict(os.environ, openout_any="p", openin_any="p", shell_escape="f", max_print_line="10000")
    env.pop("TEXMFOUTPUT", None)
    parent = None if workdir is None else Path(workdir)
    if parent is not None:
        parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="charlab-tex-", dir=parent))
    try:
        (folder / "sample.tex").write_text(source, encoding="utf-8")
        cmd = [pdflatex, "-interaction=batchmode", *(["-halt-on-error"] if halt_on_error else []), "-no-shell-escape",
               "-no-parse-first-line", "sample.tex"]
        began = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=folder, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True, preexec_fn=_limit_files)
        try:
            proc.wait(timeout=timeout_s)
            timed_out = False
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            timed_out = True
        seconds = time.perf_counter() - began
        log_file, pdf_file = folder / "sample.log", folder / "sample.pdf"
        log = ""
        if log_file.exists():
            with open(log_file, encoding="utf-8", errors="replace") as f:
                log = f.read(_MAX_LOG_CHARS)
        ok = not timed_out and proc.returncode == 0 and pdf_file.exists()
        pdf = pdf_file.read_bytes() if ok else None
        message = _first_error_message(log)
        if ok:
            error_class = ""
        elif timed_out:
            error_class = "timeout"
        else:
            error_class = first_error_class(log) or (
                "No pages of output" if "No pages of output" in log
                else "killed" if proc.returncode is not None and proc.returncode < 0 else "unknown")
        found = re.search(r"^l\.(\d+) ", log[log.find(message):] if message else "", re.M)
        line = int(found.group(1)) - first_body_line + 1 if found else None
        return CompileResult(ok=ok, seconds=seconds, error_class=error_class, error_message=message,
                             error_line=line if line is not None and line >= 1 else None, log=log, pdf=pdf,
                             pdf_path=pdf_file if pdf_file.exists() and workdir is not None else None,
                             errors=len(re.findall(r"^! \S", log, re.M)))  # not "!  ==> Fatal error occurred"
    finally:
        if workdir is None:
            shutil.rmtree(folder, ignore_errors=True)


def _limit_files() -> None:  # runs in the child before pdflatex starts
    import resource  # POSIX only, like the process group kill

    resource.setrlimit(resource.RLIMIT_FSIZE, (_MAX_FILE_BYTES, _MAX_FILE_BYTES))


def render_first_page_png(pdf_path: str | os.PathLike, out_png: str | os.PathLike, dpi: int = 100) -> Path:
    """Render the first page of a PDF to a PNG file with pdftoppm (poppler-utils); returns the PNG's path."""
    pdftoppm = _require("pdftoppm", "poppler-utils")
    out = Path(out_png)
    if out.suffix.lower() != ".png":
        raise CharlabError(f"out_png must end in .png, got {str(out)!r}")
    if not Path(pdf_path).is_file():
        raise CharlabError(f"no PDF at {str(pdf_path)!r}")
    cmd = [pdftoppm, "-png", "-r", str(int(dpi)), "-f", "1", "-l", "1", "-singlefile", str(pdf_path),
           str(out.with_suffix(""))]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired as e:
        raise CharlabError(f"pdftoppm took more than 60 s on {str(pdf_path)!r}") from e
    if done.returncode != 0 or not out.exists():
        raise CharlabError(f"pdftoppm could not render {str(pdf_path)!r}: {done.stderr.strip()[:200]}")
    return out
