"""Measures of sampled C code: syntax errors, brackets, indentation and names (the Linux chapter).

The post says the model trained on the kernel makes "very few syntactic errors", "opens and closes brackets
correctly and learns to indent its code very well", but "often uses undefined variables" and "declares
variables it never uses". Each claim gets a count here. Every measure is meant to be computed on the samples
*and* on real kernel windows of the same length (the control), because real code scores far from perfect on
some of them: windows are cut at fixed offsets, so they start and end mid-function, and kernel code uses
macros, globals and constants from headers that are not in the window.

Truncation. A window's leading fragment (the tail of a function whose start was cut off) has closing braces
without openers, and tree-sitter parses it as a run of top-level statements and an ERROR node; the trailing
fragment becomes another ERROR node, or MISSING "}" nodes. `trim_to_top_level` keeps only the complete
top-level items: it drops everything up to the first line at column 0 that follows a line starting with "}"
at column 0 (the end of the cut function) and is not itself "}" or blank, and everything after the last line
starting with "}" at column 0. A text without such lines trims to "". `c_measures` trims every text by default
(samples and real windows alike); the four reports measure exactly the text they are given.

* `parse_report`: tree-sitter C parse. ERROR nodes (text the grammar could not place) and MISSING nodes
  (tokens the parser had to invent, like a ";") are counted separately; `errors_per_kchar` uses both. A
  function definition is *top-level* when no other function definition contains it, and *clean* when its
  subtree has no ERROR or MISSING node.
* `bracket_report`: a small lexer skips comments, string and character literals, then a stack matches
  `{}`, `()` and `[]` (preprocessor lines included). Per kind: opened, closed, closed in order (the
  innermost open bracket was of the same kind), mismatched (the innermost open bracket is another kind),
  unmatched (nothing open), unclosed (skipped over when a mismatched closer closes an outer bracket of its
  kind, as in `a(b[1)`), and open at the end of the text (truncation, kept apart from errors).
* `indent_report`: share of counted lines whose indentation is one tab per brace level (8 columns per level).
* `name_report`: undefined variables and unused locals in the clean top-level functions, and identifiers the
  training text never uses (`identifiers` builds that vocabulary).

Every function accepts any string (empty, prose, garbage) and returns zeros, NaN shares or empty tuples.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

import tree_sitter_c
from tree_sitter import Language, Node, Parser

# -- Trimming and lexing -------------------------------------------------------------------------------------------


def trim_to_top_level(code: str, tail: bool = True) -> str:
    """The complete top-level items of a window: from the first column-0 line after a column-0 "}" line
    (not blank, not starting with "}") up to and including the last line that starts with "}"; "" if none.
    With `tail=False` the end is kept (only the leading fragment is dropped)."""
    lines = code.split("\n")
    closers = [i for i, line in enumerate(lines) if line.startswith("}")]
    if not closers:
        return ""
    starts = (i for i in range(closers[0] + 1, len(lines)) if lines[i][:1] not in ("", " ", "\t", "\r", "}"))
    start, end = next(starts, None), closers[-1] if tail else len(lines) - 1
    if start is None or start > end:
        return ""
    return "\n".join(lines[start : end + 1]) + ("\n" if end < len(lines) - 1 else "")


# One regex finds every token that matters to the bracket and indentation measures. Alternatives are tried
# in order at the leftmost position, so a "{" inside a string or a comment is part of that token. The
# `open_*` alternatives catch a comment that never ends (to the end of the text) and literals that reach the
# end of the line (or of the text) without their closing quote.
_TOKEN_RE = re.compile(
    r"""(?P<comment>/\*.*?\*/|//[^\n]*)
      | (?P<open_comment>/\*.*)
      | (?P<string>"(?:\\.|[^"\\\n])*")
      | (?P<open_string>"(?:\\.|[^"\\\n])*)
      | (?P<char>'(?:\\.|[^'\\\n])*')
      | (?P<open_char>'(?:\\.|[^'\\\n])*)
      | (?P<bracket>[{}()\[\]])""",
    re.S | re.X,
)


def mask_code(code: str) -> str:
    """`code` with comments and the insides of string and character literals replaced by spaces (newlines
    kept), so that what remains is code only and every offset and line is where it was."""
    parts, pos = [], 0
    for m in _TOKEN_RE.finditer(code):
        kind = m.lastgroup
        if kind == "bracket":
            continue
        parts.append(code[pos : m.start()])
        token = m.group()
        keep = 0 if kind in ("comment", "open_comment") else 1  # keep a literal's opening quote
        parts.append(token[:keep] + re.sub(r"[^\n]", " ", token[keep:]))
        pos = m.end()
    parts.append(code[pos:])
    return "".join(parts)


# -- parse_report --------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _parser() -> Parser:
    return Parser(Language(tree_sitter_c.language()))


def _parse(code: str) -> Node:
    return _parser().parse(code.encode("utf-8", "replace")).root_node


def _nodes(root: Node, prune: Callable[[Node, str | None, Node | None], bool] | None = None,
           ) -> Iterator[tuple[Node, str | None, Node | None]]:
    """Pre-order (node, field name, parent) over the tree, with a cursor (no recursion: garbage can nest
    deeply); subtrees whose root satisfies `prune` are skipped."""
    cursor = root.walk()
    parents: list[Node | None] = [None]
    while True:
        node, fld = cursor.node, cursor.field_name
        if node is not None and (prune is None or not prune(node, fld, parents[-1])):
            yield node, fld, parents[-1]
            if cursor.goto_first_child():
                parents.append(node)
                continue
        while not cursor.goto_next_sibling():
            if len(parents) == 1 or not cursor.goto_parent():
                return
            parents.pop()


def _top_level_functions(root: Node) -> list[Node]:
    """Function definitions that no other function definition contains."""
    return [n for n, _, _ in _nodes(root, prune=lambda n, f, p: p is not None and p.type == "function_definition")
            if n.type == "function_definition"]


@dataclass(frozen=True)
class ParseReport:
    """Tree-sitter's verdict on a piece of C code."""

    chars: int
    error_nodes: int  # ERROR nodes, at any depth
    missing_nodes: int  # MISSING nodes: tokens the parser inserted to recover
    error_chars: int  # bytes covered by the outermost ERROR nodes (= characters for ASCII code)
    functions: int  # top-level function definitions
    functions_clean: int  # ... without an ERROR or MISSING node inside

    @property
    def errors(self) -> int:
        return self.error_nodes + self.missing_nodes

    @property
    def errors_per_kchar(self) -> float:
        return 1000 * self.errors / self.chars if self.chars else math.nan

    @property
    def error_char_share(self) -> float:
        return self.error_chars / self.chars if self.chars else math.nan

    @property
    def clean_share(self) -> float:
        return self.functions_clean / self.functions if self.functions else math.nan


def parse_report(code: str) -> ParseReport:
    """Parse `code` with tree-sitter C and count errors and (clean) top-level functions.

    Windows start mid-function: the leading fragment shows up as top-level statements followed by an ERROR
    node at the fragment's closing "}", and a cut-off last function as an ERROR node or MISSING "}". Apply
    `trim_to_top_level` first (to samples and real windows alike) to count only complete items.
    """
    root = _parse(code)
    errors = missing = 0
    for node, _, _ in _nodes(root):
        missing += node.is_missing
        errors += node.is_error
    outermost = (n for n, _, _ in _nodes(root, prune=lambda n, f, p: p is not None and p.is_error) if n.is_error)
    error_chars = sum(n.end_byte - n.start_byte for n in outermost)
    functions = _top_level_functions(root)
    return ParseReport(chars=len(code), error_nodes=errors, missing_nodes=missing, error_chars=error_chars,
                       functions=len(functions), functions_clean=sum(not f.has_error for f in functions))


# -- bracket_report ------------------------------------------------------------------------------------------------

_CLOSER_OF = {"{": "}", "(": ")", "[": "]"}
_OPENER_OF = {v: k for k, v in _CLOSER_OF.items()}


@dataclass(frozen=True)
class BracketCounts:
    """What happened to one kind of bracket; every opener ends up closed (in order or by recovery), unclosed
    or open at the end: opened = in_order + recovered + unclosed + open_at_end."""

    opened: int = 0
    closed: int = 0  # closers seen: in_order + mismatched + unmatched
    in_order: int = 0  # closed the innermost open bracket, which was of this kind
    mismatched: int = 0  # the innermost open bracket was of another kind
    unmatched: int = 0  # nothing was open
    recovered: int = 0  # openers closed by a mismatched closer that skipped inner brackets
    unclosed: int = 0  # openers skipped over by such a closer
    open_at_end: int = 0  # still open when the text ends (a cut-off window ends with some)

    @property
    def errors(self) -> int:
        """Mismatched and unmatched closers plus skipped openers; brackets open at the end do not count."""
        return self.mismatched + self.unmatched + self.unclosed


@dataclass(frozen=True)
class BracketReport:
    """Bracket balance of a piece of C code, and literals or comments that never end."""

    chars: int
    braces: BracketCounts  # {}
    parens: BracketCounts  # ()
    brackets: BracketCounts  # []
    unterminated_comment: bool  # a "/*" that is never closed (on a cut-off window: often truncation)
    unterminated_strings: int  # string literals that reach a newline without their closing quote
    unterminated_chars: int  # the same for character literals

    @property
    def errors(self) -> int:
        """Bracket errors of all kinds plus unterminated strings and character literals."""
        kinds = (self.braces, self.parens, self.brackets)
        return sum(k.errors for k in kinds) + self.unterminated_strings + self.unterminated_chars

    @property
    def open_at_end(self) -> int:
        return self.braces.open_at_end + self.parens.open_at_end + self.brackets.open_at_end

    @property
    def errors_per_kchar(self) -> float:
        return 1000 * self.errors / self.chars if self.chars else math.nan


def bracket_report(code: str) -> BracketReport:
    """Match `{}`, `()` and `[]` outside comments and literals with a stack (definitions: module docstring).

    A mismatched closer closes the innermost open bracket of its own kind if there is one (the openers above
    it become `unclosed`), and is otherwise ignored. A literal cut off by the end of the text is truncation,
    not an unterminated literal.
    """
    counts = {k: dict.fromkeys(BracketCounts.__dataclass_fields__, 0) for k in _CLOSER_OF}
    stack: list[str] = []
    open_comment, strings, chars = False, 0, 0
    for m in _TOKEN_RE.finditer(code):
        kind, token = m.lastgroup, m.group()
        if kind == "open_comment":
            open_comment = True
        elif kind in ("open_string", "open_char") and m.end() < len(code):
            strings += kind == "open_string"
            chars += kind == "open_char"
        elif kind != "bracket":
            continue
        elif token in _CLOSER_OF:
            counts[token]["opened"] += 1
            stack.append(token)
        else:
            c = counts[_OPENER_OF[token]]
            c["closed"] += 1
            if not stack:
                c["unmatched"] += 1
            elif stack[-1] == _OPENER_OF[token]:
                c["in_order"] += 1
                stack.pop()
            else:
                c["mismatched"] += 1
                if _OPENER_OF[token] in stack:
                    while stack[-1] != _OPENER_OF[token]:
                        counts[stack.pop()]["unclosed"] += 1
                    c["recovered"] += 1
                    stack.pop()
    for opener in stack:
        counts[opener]["open_at_end"] += 1
    return BracketReport(chars=len(code), braces=BracketCounts(**counts["{"]), parens=BracketCounts(**counts["("]),
                         brackets=BracketCounts(**counts["["]), unterminated_comment=open_comment,
                         unterminated_strings=strings, unterminated_chars=chars)


# -- indent_report -------------------------------------------------------------------------------------------------

_CASE_RE = re.compile(r"(?:case\b|default\s*:)")
_LABEL_RE = re.compile(r"[A-Za-z_]\w*\s*:$")
_ENDS_STATEMENT = (";", "{", "}")
_MAX_START_DEPTH = 6


@dataclass(frozen=True)
class IndentReport:
    """How many counted lines are indented one tab per brace level."""

    lines: int  # lines counted (see `indent_report`)
    matched: int  # ... whose indentation is right
    start_depth: int  # brace depth assumed at the start of the text
    mismatched: tuple[int, ...] = field(default=())  # 1-based line numbers of the counted lines that are wrong
    steps: int = 0  # pairs of consecutive counted code lines (case and label lines left out)
    steps_matched: int = 0  # ... whose change of indentation is one tab per change of brace depth

    @property
    def share(self) -> float:
        return self.matched / self.lines if self.lines else math.nan

    @property
    def step_share(self) -> float:
        """steps_matched / steps: does the indentation *follow* the braces, whatever depth it started from? One
        brace too many shifts every later line in `share` but only one step here."""
        return self.steps_matched / self.steps if self.steps else math.nan


def _columns(line: str) -> int:
    """Width of the leading whitespace, a tab advancing to the next multiple of 8."""
    col = 0
    for ch in line:
        if ch == "\t":
            col = col // 8 * 8 + 8
        elif ch == " ":
            col += 1
        else:
            break
    return col


def indent_report(code: str, start_depth: int | None = None, unit: int = 8) -> IndentReport:
    """Share of counted lines indented as kernel style wants: 8 columns (a tab) per open brace (`unit` columns:
    the post's page prints the kernel's tabs of its samples as two spaces, so its samples are read with 2).

    The brace depth of a line is the number of "{" minus "}" before it (outside comments and literals; braces
    on preprocessor lines ignored). A line is *counted* when it has code outside comments and starts with it,
    is not a preprocessor line (or a backslash continuation of one), and is not a continuation line: the
    previous code line (counted or not) ends with ";", "{" or "}" (comments removed), or is a `case`,
    `default` or label line, or there is none (a line after `x ? a :` is a continuation).
    Continuation lines (arguments, conditions, the body of an `if` without braces, enum and initializer items
    after the first) are aligned freely, so they are left out. A counted line matches when its indentation is
    8 * depth columns, with exceptions: a line starting with "}" wants depth - 1; `case X:` and `default:` may
    sit at depth or depth - 1 (kernel style puts them at the switch's level); a label `out:` may sit at column
    0, 1 or the depth. `start_depth` is the depth at the start of the text: 0 for a trimmed text. None is for
    windows cut anywhere: it tries 0..6 and keeps the one with the most matches (ties: the smallest), and
    does not count the first line (it may start mid-line).
    """
    masked = mask_code(code).split("\n")
    original = code.split("\n")
    candidates: list[tuple[int, int, str]] = []  # (line number, relative depth, kind) of counted lines
    depth, previous_ends, in_macro = 0, True, False
    for number, (line, mline) in enumerate(zip(original, masked, strict=True), start=1):
        stripped = mline.strip()
        if in_macro or stripped.startswith("#"):
            in_macro = mline.rstrip().endswith("\\")
            continue
        if not stripped:
            continue
        first = len(mline) - len(mline.lstrip())
        starts_clean = first == len(line) - len(line.lstrip()) and (number > 1 or start_depth is not None)
        kind = ("close" if stripped.startswith("}") else "case" if _CASE_RE.match(stripped)
                else "label" if _LABEL_RE.match(stripped) else "code")
        if starts_clean and previous_ends:
            candidates.append((number, depth, kind))
        depth += stripped.count("{") - stripped.count("}")
        previous_ends = stripped.endswith(_ENDS_STATEMENT) or (kind in ("case", "label") and stripped.endswith(":"))
    columns = {number: _columns(original[number - 1]) for number, _, _ in candidates}

    def wrong(offset: int) -> list[int]:
        bad = []
        for number, rel, kind in candidates:
            col, d = columns[number], offset + rel
            ok = {"close": col == unit * (d - 1), "case": col in (unit * d, unit * (d - 1)),
                  "label": col in (0, 1, unit * d), "code": col == unit * d}[kind]
            if not ok or d < 0 or (kind == "close" and d < 1):
                bad.append(number)
        return bad

    offsets = [start_depth] if start_depth is not None else range(_MAX_START_DEPTH + 1)
    best = min(offsets, key=lambda o: (len(wrong(o)), o))
    bad = wrong(best)
    # the local version: consecutive code or "}" lines, the change of column against 8 x the change of the depth
    # each wants ("}" wants one level less)
    plain = [(columns[n], d - (k == "close")) for n, d, k in candidates if k in ("code", "close")]
    steps = list(zip(plain, plain[1:], strict=False))
    matched_steps = sum(c2 - c1 == unit * (d2 - d1) for (c1, d1), (c2, d2) in steps)
    return IndentReport(lines=len(candidates), matched=len(candidates) - len(bad), start_depth=best,
                        mismatched=tuple(bad), steps=len(steps), steps_matched=matched_steps)


# -- name_report and identifiers -----------------------------------------------------------------------------------

C_KEYWORDS = frozenset(
    "auto break case char const continue default do double else enum extern float for goto if inline int long "
    "register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while "
    "_Alignas _Alignof _Atomic _Bool _Complex _Generic _Imaginary _Noreturn _Static_assert _Thread_local "
    "asm typeof __asm__ __attribute__ __inline__ __typeof__ __volatile__".split()
)
# An identifier not glued to a preceding letter or digit, so the "x1F" of 0x1F and the "UL" of 10UL are not.
_IDENT_RE = re.compile(r"(?<![A-Za-z0-9_])[A-Za-z_][A-Za-z0-9_]*")
_CAPS_RE = re.compile(r"_*[A-Z][A-Z0-9_]*")
# Identifiers in these places are not variable uses: macro tests, macro parameters and attributes.
_NOT_USES = ("preproc_defined", "preproc_params", "attribute_specifier", "attribute_declaration")
_MACRO_CONDITIONS = ("preproc_if", "preproc_elif")
_FILE_SCOPE_NAMED = ("enumerator", "preproc_def", "preproc_function_def")


def identifiers(text: str) -> set[str]:
    """Every distinct C identifier in `text` (regex, comments and strings included), C keywords excluded.

    Meant for the training text (the known vocabulary for `name_report`): 11.7 MB take about a second.
    """
    return set(_IDENT_RE.findall(text)) - C_KEYWORDS


@dataclass(frozen=True)
class NameReport:
    """Variable uses and local declarations in the clean top-level functions, and invented identifiers."""

    functions: int  # clean top-level functions analysed
    uses: int  # variable uses: local + file_scope + caps + undefined
    local_uses: int  # declared in the function (parameter or local)
    file_scope_uses: int  # declared at file scope in the text (variable, function, #define, enum constant)
    caps_uses: int  # ALL_CAPS and declared nowhere in the text: macros and constants from headers
    undefined_uses: int  # the rest: lower- or mixed-case names declared nowhere in the text
    calls: int  # calls of a plain name (f(x)), not counted as uses
    locals: int  # local variables declared in function bodies
    unused_locals: int  # ... whose name never occurs after the declaration in that function
    undefined_names: tuple[str, ...]  # distinct names of the undefined uses, sorted
    unused_names: tuple[str, ...]  # distinct names of the unused locals, sorted
    distinct_identifiers: int  # in the whole text's code (outside comments and literals)
    invented: tuple[str, ...] | None  # those not in known_identifiers (None: no vocabulary given)

    @property
    def undefined_share(self) -> float:
        return self.undefined_uses / self.uses if self.uses else math.nan

    @property
    def caps_share(self) -> float:
        return self.caps_uses / self.uses if self.uses else math.nan

    @property
    def unused_share(self) -> float:
        return self.unused_locals / self.locals if self.locals else math.nan

    @property
    def invented_share(self) -> float:
        if self.invented is None or not self.distinct_identifiers:
            return math.nan
        return len(self.invented) / self.distinct_identifiers


def _text(node: Node) -> str:
    return node.text.decode("utf-8", "replace") if node.text is not None else ""


def _function_declarator(function: Node) -> Node | None:
    node = function.child_by_field_name("declarator")
    while node is not None and node.type != "function_declarator":
        node = node.child_by_field_name("declarator")
    return node


def _declared(root: Node, prune: Callable[[Node, str | None, Node | None], bool]) -> list[Node]:
    """Identifiers in a declarator position (field "declarator") under `root`."""
    return [n for n, f, _ in _nodes(root, prune) if n.type == "identifier" and f == "declarator"]


def _file_scope_names(root: Node) -> set[str]:
    """Names declared outside function bodies (not prototype parameters), plus macros and enum constants."""
    def outside_bodies(n: Node, f: str | None, p: Node | None) -> bool:
        return n.type == "parameter_list" or (f == "body" and p is not None and p.type == "function_definition")

    names = {_text(n) for n in _declared(root, outside_bodies)}
    names |= {_text(n) for n, f, p in _nodes(root)
              if n.type == "identifier" and f == "name" and p is not None and p.type in _FILE_SCOPE_NAMED}
    return names


def _is_not_use(n: Node, f: str | None, p: Node | None) -> bool:
    return n.type in _NOT_USES or (f == "condition" and p is not None and p.type in _MACRO_CONDITIONS)


def name_report(code: str, known_identifiers: set[str] | None = None, clean_only: bool = True) -> NameReport:
    """Undefined variables and unused locals in the clean top-level functions of `code` (with `clean_only=False`
    in every top-level function: a declaration inside a parse error may then be missed, so a text with many
    errors gets more "undefined" uses; say so when comparing).

    In each top-level function without parse errors, a *use* is an identifier node (tree-sitter keeps field
    names, type names and goto labels apart) that is not a declarator, an enum constant or macro name, a name
    in a preprocessor condition or attribute, or the callee of a call (`calls`: functions usually come from
    elsewhere). A use is local if the function declares the name (parameter or local, anywhere in it), else
    file-scope if the text declares it outside functions, else caps if ALL_CAPS, else undefined. Real kernel
    code uses globals (`current`, `jiffies`) and macro arguments (the `member` of `list_for_each_entry`) that
    are declared in headers, so real windows have undefined uses too: compare samples with real windows.

    A local (a declarator in the body, not in a parameter list) is unused when its name never occurs as a
    use or callee after the declaration in that function. With `known_identifiers` (`identifiers` of the
    training text), `invented` lists the distinct identifiers of the text's code (`mask_code`) that the
    training text never contains, like the post's `MARN_EPT`.
    """
    root = _parse(code)
    file_scope = _file_scope_names(root)
    counts = dict.fromkeys(("uses", "local", "file", "caps", "undefined", "calls", "locals", "unused"), 0)
    undefined_names: set[str] = set()
    unused_names: set[str] = set()
    functions = [f for f in _top_level_functions(root) if not (clean_only and f.has_error)]
    for function in functions:
        declarator, body = _function_declarator(function), function.child_by_field_name("body")
        if body is None:
            continue
        params = declarator.child_by_field_name("parameters") if declarator is not None else None
        declared = {_text(n) for n in _declared(params, _is_not_use)} if params is not None else set()
        local_nodes = _declared(body, lambda n, f, p: n.type == "parameter_list")
        declared |= {_text(n) for n in _declared(body, lambda n, f, p: False)}
        occurrences: list[tuple[str, int]] = []  # (name, start byte) of uses and callees
        for n, f, p in _nodes(body, _is_not_use):
            if n.type != "identifier" or f in ("declarator", "name") or n.is_missing:  # MISSING: invented, empty
                continue
            name = _text(n)
            occurrences.append((name, n.start_byte))
            if f == "function" and p is not None and p.type == "call_expression":
                counts["calls"] += 1
                continue
            counts["uses"] += 1
            if name in declared:
                counts["local"] += 1
            elif name in file_scope:
                counts["file"] += 1
            elif _CAPS_RE.fullmatch(name):
                counts["caps"] += 1
            else:
                counts["undefined"] += 1
                undefined_names.add(name)
        for n in (n for n in local_nodes if not n.is_missing):
            counts["locals"] += 1
            name = _text(n)
            if not any(o == name and start >= n.end_byte for o, start in occurrences):
                counts["unused"] += 1
                unused_names.add(name)
    distinct = identifiers(mask_code(code))
    invented = None if known_identifiers is None else tuple(sorted(distinct - known_identifiers))
    return NameReport(functions=len(functions), uses=counts["uses"], local_uses=counts["local"],
                      file_scope_uses=counts["file"], caps_uses=counts["caps"], undefined_uses=counts["undefined"],
                      calls=counts["calls"], locals=counts["locals"], unused_locals=counts["unused"],
                      undefined_names=tuple(sorted(undefined_names)), unused_names=tuple(sorted(unused_names)),
                      distinct_identifiers=len(distinct), invented=invented)


# -- All measures of one text --------------------------------------------------------------------------------------


def c_measures(code: str, known_identifiers: set[str] | None = None, trim: bool = True) -> dict[str, float]:
    """The headline number of every report on one text, as a flat dict (one row of a chapter's table).

    With `trim` (the default) the text is first cut by `trim_to_top_level` and the indentation starts at
    depth 0; `kept_share` says how much of the text that kept. Without it, the starting depth is estimated.
    """
    kept = trim_to_top_level(code) if trim else code
    parse, brackets = parse_report(kept), bracket_report(kept)
    indent, names = indent_report(kept, start_depth=0 if trim else None), name_report(kept, known_identifiers)
    return {
        "kept_share": len(kept) / len(code) if code else math.nan,
        "parse_errors_per_kchar": parse.errors_per_kchar,
        "error_char_share": parse.error_char_share,
        "functions": float(parse.functions),
        "clean_function_share": parse.clean_share,
        "bracket_errors_per_kchar": brackets.errors_per_kchar,
        "brackets_open_at_end": float(brackets.open_at_end),
        "unterminated_comment": float(brackets.unterminated_comment),
        "indent_share": indent.share,
        "undefined_share": names.undefined_share,
        "caps_share": names.caps_share,
        "unused_share": names.unused_share,
        "invented_share": names.invented_share,
    }
