import math

import pytest

from charlab.analysis.csource import (
    bracket_report,
    c_measures,
    identifiers,
    indent_report,
    mask_code,
    name_report,
    parse_report,
    trim_to_top_level,
)

# A window cut from a stream: it starts in the middle of one function and ends in the middle of another.
WINDOW = (
    "\t\treturn x;\n"
    "\t}\n"
    "\treturn 0;\n"
    "}\n"
    "\n"
    "static int g(void)\n"
    "{\n"
    "\treturn 1;\n"
    "}\n"
    "\n"
    "static int h(int a)\n"
    "{\n"
    "\tif (a"
)

# Kernel style, correctly indented: a switch with case labels at the switch's level, a goto label at column 0,
# a continuation line aligned with spaces, a comment and a preprocessor block.
GOOD = """static int good(int a, int b)
{
\tint ret = 0;

\t/* a comment { that is not code */
\tswitch (a) {
\tcase 1:
\t\tret = b;
\t\tbreak;
\tdefault:
\t\tret = some_function(a,
\t\t\t\t    b);
\t}
#ifdef CONFIG_FOO
\tret++;
#endif
\tif (ret < 0)
\t\tgoto out;
\treturn ret;
out:
\treturn -1;
}
"""


# -- trimming and masking --------------------------------------------------------------------------------------------

def test_trim_drops_the_leading_fragment_and_the_cut_off_tail():
    assert trim_to_top_level(WINDOW) == "static int g(void)\n{\n\treturn 1;\n}\n"
    head_only = trim_to_top_level(WINDOW, tail=False)
    assert head_only.startswith("static int g(void)") and head_only.endswith("\tif (a")
    assert trim_to_top_level("\treturn 0;\n\tfoo();\n") == ""  # inside one function: nothing complete
    assert trim_to_top_level("") == ""
    assert trim_to_top_level("\treturn;\n}\nint x;\n") == ""  # no "}" closes anything after the start


def test_trim_turns_a_window_into_code_that_parses():
    assert parse_report(WINDOW).errors > 0  # the leading "}" and the cut-off "if (a"
    trimmed = parse_report(trim_to_top_level(WINDOW))
    assert (trimmed.errors, trimmed.functions, trimmed.functions_clean) == (0, 1, 1)


def test_mask_code_blanks_comments_and_literals_but_keeps_lines():
    code = 'a = "x{y"; /* {\n} */ b = \'{\'; // }\n'
    masked = mask_code(code)
    assert len(masked) == len(code) and masked.count("\n") == 2
    assert "{" not in masked and "}" not in masked and "x" not in masked
    assert masked.startswith('a = "') and "b = '" in masked


# -- parse_report ----------------------------------------------------------------------------------------------------

def test_parse_report_on_valid_code():
    r = parse_report(GOOD)
    assert (r.error_nodes, r.missing_nodes, r.functions, r.functions_clean) == (0, 0, 1, 1)
    assert r.errors_per_kchar == 0.0 and r.clean_share == 1.0 and r.error_char_share == 0.0


def test_parse_report_on_broken_code():
    missing = parse_report("int f(void)\n{\n\treturn x\n}\n")  # the parser inserts the missing ";"
    assert (missing.error_nodes, missing.missing_nodes, missing.functions, missing.functions_clean) == (0, 1, 1, 0)
    assert missing.errors_per_kchar == pytest.approx(1000 / 26)
    garbage = parse_report("int f(void) { return 1; }\n) ) ) int int = = ;\n")
    assert garbage.error_nodes >= 1 and garbage.error_chars > 0 and garbage.functions_clean == 1
    assert math.isnan(parse_report("").clean_share)


# -- bracket_report --------------------------------------------------------------------------------------------------

def test_missing_closing_brace_is_open_at_end_not_an_error():
    r = bracket_report("int f(void)\n{\n\tif (a) {\n\t\tb();\n}\n")
    assert (r.braces.opened, r.braces.in_order, r.braces.open_at_end) == (2, 1, 1)
    assert r.errors == 0 and r.open_at_end == 1


def test_extra_closing_brace_is_unmatched():
    r = bracket_report("int f(void)\n{\n}\n}\n")
    assert (r.braces.closed, r.braces.in_order, r.braces.unmatched, r.braces.open_at_end) == (2, 1, 1, 0)
    assert r.errors == 1


def test_mismatched_closers():
    r = bracket_report("x = a(b];")  # "]" while "(" is open and no "[" is: ignored
    assert (r.brackets.closed, r.brackets.mismatched, r.parens.open_at_end) == (1, 1, 1)
    r = bracket_report("x = a(b[1);")  # ")" closes the "(" and skips the "["
    assert (r.parens.mismatched, r.parens.recovered, r.brackets.unclosed, r.open_at_end) == (1, 1, 1, 0)
    assert r.errors == 2


def test_brackets_in_strings_comments_and_chars_are_ignored():
    r = bracket_report('printf("{ ( [", x); /* } ] */ // )\nc = \'{\'; s = "a\\"}"; d = \'\\\'\';\n')
    assert (r.braces.opened, r.braces.closed, r.brackets.opened, r.brackets.closed) == (0, 0, 0, 0)
    assert (r.parens.opened, r.parens.in_order) == (1, 1)
    assert r.errors == 0 and not r.unterminated_comment


def test_unterminated_comment_and_string():
    r = bracket_report("int x; /* never closed {\n}\n")
    assert r.unterminated_comment and r.braces.opened == 0 and r.braces.closed == 0
    r = bracket_report('char *s = "abc;\nint y;\n')
    assert (r.unterminated_strings, r.unterminated_chars, r.errors) == (1, 0, 1)
    assert bracket_report('char *s = "cut off by the end of the window').unterminated_strings == 0


# -- indent_report ---------------------------------------------------------------------------------------------------

def test_correct_kernel_indentation_scores_one():
    r = indent_report(GOOD, start_depth=0)
    # counted: all but the blank line, the comment, the continuations ("{" after the signature, "b);" and
    # "goto out;", the body of an if without braces) and the two preprocessor lines
    assert (r.lines, r.matched, r.share, r.mismatched) == (15, 15, 1.0, ())
    assert indent_report(GOOD.replace("\t", " " * 8), start_depth=0).share == 1.0  # 8 spaces = one tab


def test_a_misindented_line_is_found():
    bad = GOOD.replace("\t\tbreak;", "\tbreak;")
    r = indent_report(bad, start_depth=0)
    assert (r.lines, r.matched, r.mismatched) == (15, 14, (9,))
    assert r.share == pytest.approx(14 / 15)
    case_too_deep = GOOD.replace("\tcase 1:", "\t\t\tcase 1:")
    assert indent_report(case_too_deep, start_depth=0).mismatched == (7,)


def test_start_depth_is_estimated_for_a_fragment():
    fragment = "ult);\n\t\tif (a) {\n\t\t\tb();\n\t\t}\n\t\treturn c;\n\t}\n"
    r = indent_report(fragment)
    assert (r.start_depth, r.lines, r.share) == (2, 5, 1.0)  # the first line may be cut: not counted
    assert indent_report(fragment, start_depth=0).share < 0.5


# -- name_report and identifiers -------------------------------------------------------------------------------------

def test_undeclared_variable_is_undefined_and_parameter_is_not():
    r = name_report("int f(int a) { return a + b; }")
    assert (r.functions, r.uses, r.local_uses, r.undefined_uses, r.undefined_names) == (1, 2, 1, 1, ("b",))
    assert r.undefined_share == 0.5


def test_declared_but_unused_local():
    r = name_report("int f(void)\n{\n\tint used = 1, unused;\n\tint *p = &used;\n\treturn *p;\n}\n")
    assert (r.locals, r.unused_locals, r.unused_names) == (3, 1, ("unused",))
    assert r.unused_share == pytest.approx(1 / 3)


def test_a_use_before_the_declaration_does_not_use_the_local():
    r = name_report("int f(void)\n{\n\ttmp = 1;\n\t{\n\t\tint tmp;\n\t}\n\treturn 0;\n}\n")
    assert (r.locals, r.unused_locals, r.local_uses) == (1, 1, 1)


def test_calls_and_caps_are_counted_apart_from_undefined_variables():
    r = name_report("int f(int a) { return undeclared_function(a) - EINVAL; }")
    assert (r.calls, r.uses, r.caps_uses, r.undefined_uses) == (1, 2, 1, 0)
    assert r.caps_share == 0.5


def test_file_scope_names_fields_types_and_labels_are_not_undefined():
    code = """static int count;
#define LIMIT 3
enum { red, green };
int helper(int x);
int f(struct s *p)
{
	if (p->x > sizeof(struct s))
		goto out;
	return count + LIMIT + green + jiffies + helper(1);
out:
	return 0;
}
"""
    r = name_report(code)
    assert (r.uses, r.local_uses, r.file_scope_uses, r.undefined_names, r.calls) == (5, 1, 3, ("jiffies",), 1)


def test_functions_with_parse_errors_are_skipped():
    r = name_report("int f(void) { return b + ; }\nint g(int a) { return a; }\n")
    assert (r.functions, r.uses, r.local_uses) == (1, 1, 1)


def test_invented_identifiers_against_the_training_vocabulary():
    known = identifiers("int f(int a) { return a; } /* a comment */")
    assert known == {"f", "a", "comment"}
    r = name_report("int f(int a) { return a + MARN_EPT; } /* zzz */ char *s = \"qqq\";", known)
    assert r.invented == ("MARN_EPT", "s") and r.distinct_identifiers == 4
    assert r.invented_share == 0.5
    assert name_report("int f(void) { return 0; }").invented is None
    assert math.isnan(name_report("int f(void) { return 0; }").invented_share)


def test_identifiers_skips_keywords_and_number_suffixes():
    assert identifiers("unsigned long x = 0x1F + 10UL + y2; while (_z) break;") == {"x", "y2", "_z"}


# -- robustness ------------------------------------------------------------------------------------------------------

BAD_INPUTS = ["", "/*", '"unterminated', "'", "}}}{{{ ((( ]]", "\x00\x01\xff\ufffd garbage\n\n",
              "The quick brown fox isn't C at all.\n", "{" * 3000 + "}" * 2999, "(" * 5000, "}\nx\n}\n"]


@pytest.mark.parametrize("text", BAD_INPUTS)
def test_every_measure_survives_bad_input(text):
    parse_report(text)
    bracket_report(text)
    indent_report(text)
    indent_report(text, start_depth=0)
    name_report(text, {"x"})
    trim_to_top_level(text)
    values = c_measures(text, {"x"})
    values_untrimmed = c_measures(text, {"x"}, trim=False)
    assert set(values) == set(values_untrimmed)
    assert all(isinstance(v, float) for v in values.values())


def test_empty_text_gives_nan_shares_and_zero_counts():
    values = c_measures("", set(), trim=False)
    assert values["functions"] == 0.0 and values["brackets_open_at_end"] == 0.0
    for key in ("kept_share", "parse_errors_per_kchar", "indent_share", "undefined_share", "invented_share"):
        assert math.isnan(values[key])


def test_c_measures_trims_windows():
    values = c_measures(WINDOW, set())
    assert values["kept_share"] == pytest.approx(len("static int g(void)\n{\n\treturn 1;\n}\n") / len(WINDOW))
    assert (values["parse_errors_per_kchar"], values["brackets_open_at_end"], values["indent_share"]) == (0, 0, 1)
    assert c_measures(WINDOW, set(), trim=False)["brackets_open_at_end"] == 2  # "{" of h and "(" of "if (a"


def test_indent_steps_follow_the_braces_whatever_the_starting_depth():
    from charlab.analysis.csource import indent_report

    shifted = "int f(void)\n{\n\t\tint a = 1;\n\t\tif (a) {\n\t\t\ta = 2;\n\t\t}\n\t\treturn a;\n}\n"
    r = indent_report(shifted, start_depth=0)  # every body line is one tab too deep
    assert r.share < 0.5
    # steps between counted code lines (the "{" after the signature is a continuation, not counted):
    # signature -> int (+2 tabs for +1 depth: wrong), int->if, if->a=2, a=2->"}", "}"->return (right),
    # return -> "}" (-2 tabs for -1 depth: wrong)
    assert (r.steps, r.steps_matched) == (6, 4)


def test_names_in_functions_with_parse_errors_only_when_asked():
    from charlab.analysis.csource import name_report

    code = "int f(int a)\n{\n\tint b = a + ghost;\n\treturn b ) ;\n}\n"
    assert name_report(code).functions == 0
    loose = name_report(code, clean_only=False)
    assert loose.functions == 1 and "ghost" in loose.undefined_names


def test_identifiers_the_parser_invented_are_not_names():
    from charlab.analysis.csource import name_report

    # "int = 3;" makes tree-sitter invent a MISSING identifier (empty text): it is neither a local nor a use
    r = name_report("int f(void)\n{\n\tint = 3;\n\treturn 0;\n}\n", clean_only=False)
    assert "" not in r.unused_names and "" not in r.undefined_names


def test_indent_unit_reads_two_space_indentation():
    two = "int f(void)\n{\n  int a;\n  if (a) {\n    a = 1;\n  }\n  return a;\n}\n"
    assert indent_report(two, start_depth=0).matched < indent_report(two, start_depth=0).lines
    r = indent_report(two, start_depth=0, unit=2)
    assert r.matched == r.lines == 7 and r.steps_matched == r.steps == 6  # every line but the continuation "{"
    assert indent_report(two.replace("  ", "\t"), start_depth=0).share == 1.0  # the kernel's tabs, unit 8
