import shutil

import pytest

from charlab.analysis import texcompile
from charlab.analysis.latex import repair
from charlab.analysis.texcompile import (
    compile_latex,
    first_error_class,
    pdflatex_available,
    render_first_page_png,
    stacks_preamble,
)
from charlab.errors import CharlabError

needs_pdflatex = pytest.mark.skipif(
    not pdflatex_available(),
    reason="pdflatex is not installed (apt-get install texlive-latex-base texlive-pictures poppler-utils)")

MINIMAL = "\\documentclass{article}\n"

# The shape of the Stacks project's preamble in the concatenated data: the chapter before it, the class chosen
# with \IfFileExists, xr-hyper's \externaldocument lines, theorem environments, macros, then the next chapter.
CORPUS = r"""\input{chapters}
\end{document}
\IfFileExists{stacks-project.cls}{%
\documentclass{stacks-project}
}{%
\documentclass{amsart}
}
% the amsart documentclass:
\usepackage{verbatim}
\newenvironment{reference}{\comment}{\endcomment}
\usepackage[all]{xy}
\xyoption{2cell}
\UseAllTwocells
\usepackage{xr-hyper}
\usepackage{hyperref}
\externaldocument[introduction-]{introduction}
\externaldocument[algebra-]{algebra}
\theoremstyle{plain}
\newtheorem{lemma}[subsection]{Lemma}
\def\Spec{\mathop{\rm Spec}}
\input{preamble}

% OK, start here.
\begin{document}
"""


def test_stacks_preamble_is_cut_and_cleaned():
    pre = stacks_preamble(CORPUS)
    assert pre.startswith("\\documentclass{amsart}\n")  # the fallback of \IfFileExists, the class file is absent
    assert "stacks-project" not in pre and "IfFileExists" not in pre
    assert "externaldocument" not in pre and "\\input" not in pre and "OK, start here" not in pre
    assert "\\usepackage{xr-hyper}" in pre and "\\newtheorem{lemma}" in pre
    assert pre.endswith("\\def\\Spec{\\mathop{\\rm Spec}}\n")
    assert stacks_preamble("x\n\\documentclass{article}\n\\usepackage{a}\n\\begin{document}\nbody") == (
        "\\documentclass{article}\n\\usepackage{a}\n")
    with pytest.raises(CharlabError):
        stacks_preamble("no preamble here, % \\documentclass{x} is a comment")


def test_first_error_class_from_logs():
    assert first_error_class("This is pdfTeX\n(./sample.tex\n! Undefined control sequence.\nl.5 \\foo\n") == (
        "Undefined control sequence")
    assert first_error_class("! LaTeX Error: \\begin{proof} on input line 12 ended by \\end{lemma}.\n"
                             "! Emergency stop.") == "\\begin{X} ended by \\end{Y}"
    assert first_error_class("! LaTeX Error: \\begin{document} ended by \\end{proof}.") == (
        "\\begin{document} ended by \\end{Y}")
    assert first_error_class("! LaTeX Error: \\begin{enumerate} on input line 9 ended by \\end{document}.") == (
        "\\begin{X} ended by \\end{document}")
    assert first_error_class("Runaway argument?\n{a\n! Paragraph ended before \\textbf was complete.") == (
        "Runaway argument")
    assert first_error_class("! File ended while scanning use of \\frac.") == "File ended while scanning"
    assert first_error_class("! LaTeX Error: Environment foo undefined.") == "Environment undefined"
    assert first_error_class("! Missing $ inserted.\n<inserted text>") == "Missing $ inserted"
    assert first_error_class("! Emergency stop.\n<*> sample.tex") == "Emergency stop"
    assert first_error_class("no errors here\n!not an error line") == ""


def test_missing_programs_raise_one_clear_line(monkeypatch, tmp_path):
    monkeypatch.setattr(texcompile.shutil, "which", lambda name: None)
    assert not pdflatex_available()
    with pytest.raises(CharlabError, match="pdflatex is not installed"):
        compile_latex("x", MINIMAL)
    with pytest.raises(CharlabError, match="pdftoppm is not installed"):
        render_first_page_png(tmp_path / "a.pdf", tmp_path / "a.png")


@needs_pdflatex
def test_compiles_a_minimal_document_and_renders_it(tmp_path):
    result = compile_latex("Hello $x^2$.", MINIMAL, workdir=tmp_path)
    assert result.ok and result.error_class == "" and result.error_line is None
    assert result.pdf is not None and result.pdf.startswith(b"%PDF")
    assert result.pdf_path is not None and result.pdf_path.parent.parent == tmp_path
    if shutil.which("pdftoppm"):
        png = render_first_page_png(result.pdf_path, tmp_path / "page.png", dpi=30)
        assert png.read_bytes().startswith(b"\x89PNG")


@needs_pdflatex
def test_errors_get_their_class_and_body_line():
    result = compile_latex("fine\n\\begin{proof} x \\end{lemma}", MINIMAL + "\\usepackage{amsthm}\n")
    assert not result.ok and result.pdf is None
    assert result.error_class == "\\begin{X} ended by \\end{Y}" and result.error_line == 2
    assert "ended by \\end{lemma}" in result.error_message
    result = compile_latex("a\nb \\foo", MINIMAL)
    assert result.error_class == "Undefined control sequence" and result.error_line == 2


@needs_pdflatex
def test_a_loop_is_killed_by_the_timeout():
    result = compile_latex("\\def\\a{\\a}\\a", MINIMAL, timeout_s=1.5)
    assert not result.ok and result.error_class == "timeout"
    assert result.seconds >= 1.5  # it ran until the timeout (no upper bound: a busy machine may be slow to kill)


@needs_pdflatex
def test_no_shell_escape_and_no_writing_outside(tmp_path, monkeypatch):
    monkeypatch.setenv("shell_escape", "t")  # a caller's environment that allows everything is overridden
    monkeypatch.setenv("openout_any", "a")
    body = "\\immediate\\write18{touch pwned}\\write18{touch pwned2}Some text."
    result = compile_latex(body, MINIMAL, workdir=tmp_path)
    assert result.ok
    assert "runsystem(touch pwned)...disabled." in result.log  # not even the restricted shell escape
    assert not list(tmp_path.rglob("pwned*"))
    body = "\\newwrite\\f\\immediate\\openout\\f=../escape.txt\\immediate\\write\\f{x}\\immediate\\closeout\\f x"
    result = compile_latex(body, MINIMAL, workdir=tmp_path)
    assert not result.ok and result.error_class == "I can't write on file"  # openout_any=p
    assert not list(tmp_path.rglob("escape.txt"))


@needs_pdflatex
def test_a_repaired_window_compiles_with_the_stacks_preamble():
    window = ("ng $X$.\n\\item $\\Spec(A)$ is affine, see\n\\end{enumerate}\n\\end{lemma}\n\\begin{proof}\n"
              "$$\n\\xymatrix{A \\ar[r] & B}\n$$\nBy Algebra, Lemma \\ref{algebra-lemma-foo} we are done.\n"
              "\\begin{reference}\n\\cite{x}\n\\end{reference}\n\\begin{enumerate}\n\\item and $\\frac{a}{b")
    pre = stacks_preamble(CORPUS)
    assert not compile_latex(window, pre).ok
    result = compile_latex(repair(window), pre)
    assert result.ok, result.error_message


@needs_pdflatex
def test_without_halting_tex_goes_on_past_errors_and_keeps_its_pages(tmp_path):
    from charlab.analysis.texcompile import compile_latex

    body = "Before \\undefinedmacro after.\n\nSecond paragraph $x$."
    strict = compile_latex(body, "\\documentclass{article}", workdir=tmp_path / "a")
    assert not strict.ok and strict.errors == 1
    lenient = compile_latex(body, "\\documentclass{article}", workdir=tmp_path / "b", halt_on_error=False)
    assert not lenient.ok and lenient.error_class == "Undefined control sequence"
    assert lenient.pdf_path is not None and lenient.pdf_path.read_bytes().startswith(b"%PDF")
