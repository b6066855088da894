"""Measures of Wikipedia samples: balanced brackets, well-formed XML, invented links, wikitext structure.

The post trains on enwik8, the first 100 MB of a 2006 Wikipedia XML dump: `<page>` elements holding a
`<title>`, an `<id>` and a `<revision>` (`<id>`, `<timestamp>`, `<contributor>`, `<comment>`, `<text>`), the
article's wikitext inside `<text>`. There the dump escapes `<`, `>`, `"` and `&`, so a `<ref>` of the wikitext
reads `&lt;ref&gt;`, and a raw `<` only ever belongs to the XML layer. The post claims the model opens and
closes parentheses correctly, writes "random but valid XML" that closes tags "in the correct nested order",
and invents URLs, timestamps and ids. Samples are fixed-length windows that start and end mid-structure, so
every measure is meant to be computed on real windows of the same length too, as a control, and to keep what
the cut ends cause apart:

* `bracket_stats` scans the whole window (the wikitext and the XML layer's `<title>` and `<comment>` alike)
  once, left to right, with one stack for `[[ ]]`, `{{ }}`, `( )`, italic `''` and bold `'''`. An opener is
  pushed. A closer of kind k pops the innermost open k: "in order" when that opener was on top of the stack;
  otherwise the openers above it are popped through and count as never closed, so `[[a (b]] c)` gives `[[`
  closed out of order, `(` never closed and `)` an unmatched closer. A closer with no open opener of its kind
  is unmatched (at a window's start that is the cut). Apostrophe runs follow MediaWiki: `''` toggles italic,
  `'''` bold, `'''''` both (the inner one first), `''''` is `'` plus `'''`, a longer run is `'`s plus
  `'''''`, one `'` (`don't`) is text; `'''s` right after an open italic with no bold open is an italic closer
  plus a possessive (`''Hamlet'''s`). The two halves of one `'''''` may close in either order. MediaWiki ends
  italic and bold at a line end, so open ones count as never closed there; a raw XML tag ends every open
  bracket (wikitext never spans the XML layer). What is still open when the text ends is `open_at_end`: the
  cut, kept out of `closed_share`. A toggle never makes an unmatched closer, so an italic cut by the window's
  start reads as an opener that its line end leaves never closed, in real windows as in samples. `{{{1}}}`
  counts as `{{` plus `{`; brackets in `<nowiki>` or `<math>` count like any other.
* `xml_blocks` cuts out the `<page>` (or other) elements that start and end inside the window, and
  `xml_report` parses each on its own with lxml (no recovery, no entities resolved, no network);
  `tag_closes` checks every closing tag of the XML layer against a stack, complete blocks or not.
* `wikilink_targets`, `external_urls`/`url_hosts` and `timestamps` list what a sample names, to compare with
  the training text using `novel_share`; `url_well_formed` says whether a URL could be a real one (a scheme, a
  host with a dot and a top-level domain, only the characters a URL may hold), so an invented URL is told from
  a malformed one (`http://ww.`, `http://60007,306`). Wikitext is parsed with mwparserfromhell one `<text>` element at a
  time (`wikitext_spans`), after undoing the XML escaping: about 5 s for 3.9 MB of enwik8 (4 s of it in the
  parser), where the raw file as one string takes 22 s (mwparserfromhell then also parses the XML tags). Call
  `wiki_items` to get every list from one parse.
* `structure_counts` counts headings, list items, templates, links, HTML tags and comments per 1,000
  characters of wikitext.

Everything returns zeros, NaN or empty lists on empty, unmarked or garbage text instead of raising.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import astuple, dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

import mwparserfromhell
from lxml import etree
from mwparserfromhell.nodes import Comment, ExternalLink, Heading, Tag, Template, Wikilink

from charlab.errors import CharlabError

_ENTITIES = {"lt": "<", "gt": ">", "quot": '"', "amp": "&", "apos": "'"}
_ENTITY_RE = re.compile(r"&(lt|gt|quot|amp|apos);")
_XML_TAG = r"</?[A-Za-z][\w:.-]*(?:\s[^<>]*)?/?>"  # a raw tag: in enwik8 only the XML layer has a raw "<"
_TEXT_OPEN_RE = re.compile(r"<text(?:\s[^<>]*)?>")
_TEXT_CLOSE = "</text>"


def unescape_xml(s: str) -> str:
    """Undo the dump's XML escaping in one pass: `&lt;` `&gt;` `&quot;` `&amp;` `&apos;` (`&amp;nbsp;` gives
    `&nbsp;`, the wikitext the editor typed); other entities are left alone."""
    return _ENTITY_RE.sub(lambda m: _ENTITIES[m.group(1)], s)


def wikitext_spans(text: str) -> list[str]:
    """The (still escaped) wikitext of a window: the content of each `<text ...>` element, up to its `</text>`
    or the end of the window; before the first `<text ...>`, the part up to a `</text>` (the window started
    inside an article). A window with no `<text>` tag is all wikitext if it holds no raw XML tag at all (it lies
    inside one article), else it has none (it lies in the XML layer)."""
    first_open = _TEXT_OPEN_RE.search(text)
    first_close = text.find(_TEXT_CLOSE)
    if first_open is None and first_close < 0:
        inside_one_article = text and not re.search(_XML_TAG, text)
        return [text] if inside_one_article else []
    spans, pos = [], 0
    if first_close >= 0 and (first_open is None or first_close < first_open.start()):
        spans.append(text[:first_close])
        pos = first_close + len(_TEXT_CLOSE)
    while (m := _TEXT_OPEN_RE.search(text, pos)) is not None:
        if m.group().endswith("/>"):  # <text xml:space="preserve" />: an empty article
            pos = m.end()
            continue
        end = text.find(_TEXT_CLOSE, m.end())
        spans.append(text[m.end() :] if end < 0 else text[m.end() : end])
        if end < 0:
            break
        pos = end + len(_TEXT_CLOSE)
    return spans


# ---------------------------------------------------------------------------------------------------- brackets

BRACKETS = ("[[", "{{", "(", "''", "'''")
_CLOSERS = {"]]": "[[", "}}": "{{", ")": "("}
_TOGGLES = ("''", "'''")
_BRACKET_RE = re.compile(rf"\[\[|\]\]|\{{\{{|\}}\}}|[()]|'{{2,}}|\n|{_XML_TAG}")
_POSSESSIVE_RE = re.compile(r"s(?!\w)")


@dataclass(frozen=True)
class BracketStats:
    """How the openers of one bracket kind fared in a text (see the module docstring for the rules)."""

    opened: int = 0
    closed: int = 0  # closed by a closer of the same kind
    closed_in_order: int = 0  # ... that found its opener on top of the stack
    unmatched_closers: int = 0  # closers with no open opener of their kind
    open_at_end: int = 0  # still open when the text ends: the window's cut, not a mistake

    @property
    def never_closed(self) -> int:
        """Openers popped through by another closer, or ended by a line end (italic, bold) or an XML tag."""
        return self.opened - self.closed - self.open_at_end

    @property
    def closed_share(self) -> float:
        """closed / (opened - open_at_end); NaN when no opener could have been closed."""
        n = self.opened - self.open_at_end
        return self.closed / n if n else math.nan

    @property
    def in_order_share(self) -> float:
        """closed_in_order / closed; NaN when nothing was closed."""
        return self.closed_in_order / self.closed if self.closed else math.nan

    def __add__(self, other: BracketStats) -> BracketStats:
        return BracketStats(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))


def bracket_stats(text: str) -> dict[str, BracketStats]:
    """Count openers and closers of each kind in `BRACKETS` with one stack scan of the whole window."""
    stack: list[tuple[str, int]] = []  # (kind, id of the apostrophe run that opened it, or -1)
    n: Counter[tuple[str, str]] = Counter()

    def open_(kind: str, run: int = -1) -> None:
        stack.append((kind, run))
        n[kind, "opened"] += 1

    def close(kind: str) -> None:
        kinds = [k for k, _ in stack]
        if kind not in kinds:
            n[kind, "unmatched"] += 1
            return
        if len(stack) >= 2 and stack[-2][0] == kind and stack[-1][1] == stack[-2][1] >= 0:
            stack[-2], stack[-1] = stack[-1], stack[-2]  # the two halves of one ''''' close in any order
        n[kind, "closed"] += 1
        n[kind, "in_order"] += stack[-1][0] == kind
        while stack.pop()[0] != kind:  # pops through the openers above it: they are never closed
            pass

    for i, m in enumerate(_BRACKET_RE.finditer(text)):
        tok = m.group()
        if tok in _CLOSERS:
            close(_CLOSERS[tok])
        elif tok in ("[[", "{{", "("):
            open_(tok)
        elif tok == "\n":
            stack[:] = [e for e in stack if e[0] not in _TOGGLES]
        elif tok.startswith("<"):
            stack.clear()
        else:  # a run of two or more apostrophes
            length = len(tok) if len(tok) in (2, 3) else 3 if len(tok) == 4 else 5
            is_open = {k: any(e[0] == k for e in stack) for k in _TOGGLES}
            if length == 3 and is_open["''"] and not is_open["'''"] and _POSSESSIVE_RE.match(text, m.end()):
                length = 2  # ''Hamlet'''s: the italic closes, the third apostrophe is a possessive
            if length == 5:  # close what is open, innermost first, then open what was not open
                for kind in dict.fromkeys(k for k, _ in reversed(stack) if k in _TOGGLES):
                    close(kind)
                for kind in _TOGGLES:
                    if not is_open[kind]:
                        open_(kind, i)
            elif is_open[kind := "''" if length == 2 else "'''"]:
                close(kind)
            else:
                open_(kind)
    at_end = Counter(k for k, _ in stack)
    return {k: BracketStats(n[k, "opened"], n[k, "closed"], n[k, "in_order"], n[k, "unmatched"], at_end[k])
            for k in BRACKETS}


def pool_bracket_stats(stats: Iterable[dict[str, BracketStats]]) -> dict[str, BracketStats]:
    """Sum the `bracket_stats` of many windows kind by kind (short windows hold few brackets each)."""
    total = {k: BracketStats() for k in BRACKETS}
    for s in stats:
        total = {k: total[k] + s.get(k, BracketStats()) for k in BRACKETS}
    return total


# --------------------------------------------------------------------------------------------------------- XML

# (parent, child) element pairs that occur in enwik8's XML layer (export-0.3 schema)
DUMP_PAIRS = frozenset({
    ("mediawiki", "siteinfo"), ("mediawiki", "page"), ("siteinfo", "sitename"), ("siteinfo", "base"),
    ("siteinfo", "generator"), ("siteinfo", "case"), ("siteinfo", "namespaces"), ("namespaces", "namespace"),
    ("page", "title"), ("page", "id"), ("page", "restrictions"), ("page", "revision"), ("revision", "id"),
    ("revision", "timestamp"), ("revision", "contributor"), ("revision", "minor"), ("revision", "comment"),
    ("revision", "text"), ("contributor", "username"), ("contributor", "id"), ("contributor", "ip"),
})
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)
_E = etree.ErrorTypes
_ERROR_CLASSES = {_E.ERR_TAG_NAME_MISMATCH: "mismatched tag", _E.ERR_UNDECLARED_ENTITY: "undefined entity",
                  _E.WAR_UNDECLARED_ENTITY: "undefined entity", _E.ERR_TAG_NOT_FINISHED: "unclosed tag",
                  _E.ERR_LTSLASH_REQUIRED: "unclosed tag", _E.ERR_GT_REQUIRED: "unclosed tag"}
_MISMATCH_RE = re.compile(r"mismatch: (\S+) line \d+ and (\S+?),")


def xml_blocks(text: str, tag: str = "page") -> list[str]:
    """Every `<tag ...>`...`</tag>` element that starts and ends inside the window, outermost first, each from an
    opening tag to the closing tag that matches it by nesting depth. An element cut by the window's end is left
    out, but a complete element inside it is kept; a `</tag>` before any opener (the window's start cut an
    element) is skipped."""
    if not re.fullmatch(r"[A-Za-z][\w.-]*", tag):
        raise CharlabError(f"{tag!r} is not an XML element name")
    tokens = [(m.start(), m.end(), m.group(1) == "/")
              for m in re.finditer(rf"<(/?){tag}(?:\s[^<>]*)?>", text) if not m.group().endswith("/>")]
    blocks, i = [], 0
    while i < len(tokens):
        depth = 0
        for j in range(i, len(tokens)):
            depth += -1 if tokens[j][2] else 1
            if depth <= 0:
                break
        if tokens[i][2] or depth > 0:  # a stray closer, or an opener never closed inside the window
            i += 1
            continue
        blocks.append(text[tokens[i][0] : tokens[j][1]])
        i = j + 1
    return blocks


@dataclass(frozen=True)
class XmlReport:
    """Well-formedness of a set of XML blocks (e.g. `xml_blocks(sample)`), parsed one by one."""

    blocks: int
    well_formed: int
    errors: Counter[str] = field(default_factory=Counter)  # class of the first error -> number of blocks
    mismatched: Counter[tuple[str, str]] = field(default_factory=Counter)  # (opened, closed) tag names
    misplaced: Counter[tuple[str, str]] = field(default_factory=Counter)  # (parent, child) not in DUMP_PAIRS
    other_messages: Counter[str] = field(default_factory=Counter)  # lxml's message for class "other"

    @property
    def well_formed_share(self) -> float:
        """well_formed / blocks; NaN for no blocks."""
        return self.well_formed / self.blocks if self.blocks else math.nan


def xml_report(blocks: Iterable[str]) -> XmlReport:
    """Parse each block with lxml, without recovery, and sort the failures by their first error: "mismatched tag"
    (with the innermost open tag and the closing tag that does not match it), "undefined entity" (`&nbsp;`),
    "unclosed tag" or "other". In the well-formed blocks, count parent-child element pairs that the dump never
    has (`DUMP_PAIRS`), e.g. a `<page>` inside a `<page>`: well-formed XML, but not the dump's structure."""
    blocks = list(blocks)
    good, errors, mismatched, misplaced, other = 0, Counter(), Counter(), Counter(), Counter()
    for block in blocks:
        try:
            root = etree.fromstring(block.encode("utf-8"), _PARSER)
        except etree.XMLSyntaxError as e:
            kind = _ERROR_CLASSES.get(e.code, "other")
            errors[kind] += 1
            if kind == "mismatched tag" and (m := _MISMATCH_RE.search(e.msg)):
                mismatched[m.group(1), m.group(2)] += 1
            elif kind == "other":
                other[re.sub(r",? line \d+, column \d+$", "", e.msg)] += 1
            continue
        good += 1
        misplaced.update((el.tag, ch.tag) for el in root.iter(tag=etree.Element) for ch in el
                         if isinstance(ch.tag, str) and (el.tag, ch.tag) not in DUMP_PAIRS)
    return XmlReport(len(blocks), good, errors, mismatched, misplaced, other)


@dataclass(frozen=True)
class TagCloses:
    """How the closing tags of the XML layer close (see `tag_closes`)."""

    closes: int = 0  # closing tags that close an open element of their name
    in_order: int = 0  # ... that was the innermost open element
    unmatched: int = 0  # closing tags with no open element of their name (at a window's start: the cut)
    wrong: Counter[tuple[str, str]] = field(default_factory=Counter)  # (innermost open, closing tag), out of order

    @property
    def in_order_share(self) -> float:
        """in_order / closes; NaN when nothing was closed."""
        return self.in_order / self.closes if self.closes else math.nan

    def __add__(self, other: TagCloses) -> TagCloses:
        return TagCloses(self.closes + other.closes, self.in_order + other.in_order,
                         self.unmatched + other.unmatched, self.wrong + other.wrong)


_TAG_RE = re.compile(r"<(/?)([A-Za-z][\w:.-]*)(?:\s[^<>]*?)?(/?)>")


def tag_closes(text: str) -> TagCloses:
    """The post's "closes the correct tags appropriately and in the correct nested order", counted on the raw
    tags of the XML layer with one stack: an opening tag is pushed (`<minor />` is neither opened nor closed); a
    closing tag closes the innermost open element of its name, "in order" when that element is the innermost
    open one, otherwise the elements above it are popped through and the pair (innermost, closing) is counted
    in `wrong`. A closing tag with no open element of its name is `unmatched` (a window's start cuts elements
    open). Unlike `xml_report` this needs no complete block, so it also judges windows that hold only part of
    a `<page>`."""
    stack: list[str] = []
    closes = in_order = unmatched = 0
    wrong: Counter[tuple[str, str]] = Counter()
    for m in _TAG_RE.finditer(text):
        closing, name, empty = m.group(1) == "/", m.group(2), m.group(3) == "/"
        if empty:
            continue
        if not closing:
            stack.append(name)
        elif name not in stack:
            unmatched += 1
        else:
            closes += 1
            if stack[-1] == name:
                in_order += 1
            else:
                wrong[stack[-1], name] += 1
            del stack[len(stack) - 1 - stack[::-1].index(name):]
    return TagCloses(closes, in_order, unmatched, wrong)


# ------------------------------------------------------------------------------------- links, urls, timestamps

TIMESTAMP_FIRST = "2001-01-15T00:00:00Z"  # Wikipedia went online
TIMESTAMP_LAST = "2006-03-04T23:59:59Z"  # the day of the newest revision in enwik8 (2006-03-04T05:30:24Z)
_REDIRECT_RE = re.compile(r"\A\s*#redirect", re.I)
_TIMESTAMP_RE = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)Z")
_STRUCTURE = ("headings", "headings_2", "headings_3", "headings_4plus", "list_items", "templates", "wikilinks",
              "categories", "external_links", "html_tags", "comments")


@dataclass(frozen=True)
class WikiItems:
    """What one parse of a window's wikitext yields (see `wiki_items`)."""

    wikilinks: list[str]  # normalised targets, see `normalize_title`
    urls: list[str]  # external links, bracketed or bare, as written
    hosts: list[str]  # their hosts, see `url_hosts`
    chars: int  # characters of wikitext, after unescaping
    counts: dict[str, int]  # structure counts, see `structure_counts`


def normalize_title(title: str) -> str:
    """A link target as MediaWiki resolves it: the `#section` dropped, underscores and runs of white space made one
    space, a leading `:` (`[[:Category:X]]` links instead of categorising) and outer spaces removed, the first
    letter upper-cased (`foo_bar#Sec` -> `Foo bar`)."""
    t = re.sub(r"[\s_]+", " ", title.split("#", 1)[0]).strip().lstrip(":").strip()
    return t[:1].upper() + t[1:]


def _host(url: str) -> str | None:
    try:
        host = urlsplit(url.strip()).hostname  # lower-cased, without user name and port
    except ValueError:  # e.g. "http://[oops"
        return None
    host = (host or "").rstrip(".")
    return (host[4:] if host.startswith("www.") else host) or None


def _parse(wikitext: str) -> mwparserfromhell.wikicode.Wikicode:
    try:
        return mwparserfromhell.parse(wikitext)
    except (mwparserfromhell.parser.ParserError, RecursionError):  # never seen; treat the text as plain text
        return mwparserfromhell.parse("")


def wiki_items(text: str) -> WikiItems:
    """Parse each of `wikitext_spans(text)`, unescaped, with mwparserfromhell and collect links and node counts.
    On a training text, build the known sets from one call: `set(wiki_items(train).wikilinks)`."""
    links, urls, chars, counts = [], [], 0, Counter()
    for span in wikitext_spans(text):
        wikitext = unescape_xml(span)
        chars += len(wikitext)
        wikitext = _REDIRECT_RE.sub("", wikitext, count=1)  # else its "#" would parse as a list item
        for node in _parse(wikitext).ifilter(recursive=True):
            if isinstance(node, Wikilink):
                target = normalize_title(str(node.title))
                if target:  # [[#Section]] links within the page
                    links.append(target)
                    counts["categories"] += target.lower().startswith("category:")
                counts["wikilinks"] += 1
            elif isinstance(node, ExternalLink):
                urls.append(str(node.url).strip())
                counts["external_links"] += 1
            elif isinstance(node, Heading):
                counts["headings"] += 1
                counts[f"headings_{node.level}" if node.level < 4 else "headings_4plus"] += 1
            elif isinstance(node, Template):
                counts["templates"] += 1
            elif isinstance(node, Comment):
                counts["comments"] += 1
            elif isinstance(node, Tag):
                if node.wiki_markup is None:
                    counts["html_tags"] += 1
                elif node.wiki_markup in ("*", "#"):
                    counts["list_items"] += 1
    hosts = [h for h in map(_host, urls) if h]
    return WikiItems(links, urls, hosts, chars, {k: counts[k] for k in _STRUCTURE})


def wikilink_targets(text: str) -> list[str]:
    """The `[[...]]` link targets of the window's wikitext, normalised by `normalize_title`, with repeats."""
    return wiki_items(text).wikilinks


def external_urls(text: str) -> list[str]:
    """The URLs of the window's external links: `[http://... label]`, bare `http://...` and those in templates."""
    return wiki_items(text).urls


def url_hosts(text: str) -> list[str]:
    """The hosts of `external_urls`, lower-cased, without port, trailing dot or a leading `www.` (so a sample's
    `www.yahoo.com` matches a training `yahoo.com`); URLs without a host are left out. URLs in the XML layer
    (`<base>`, `<comment>`) are not counted."""
    return wiki_items(text).hosts


URL_SCHEMES = ("http", "https", "ftp")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST_RE = re.compile(rf"(?:{_LABEL}\.)+[a-z]{{2,6}}")  # labels, a dot, an alphabetic top-level domain
_IPV4_RE = re.compile(r"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})")
_URL_CHARS_RE = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")  # RFC 3986: unreserved, reserved, %
_BAD_PERCENT_RE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def url_well_formed(url: str) -> bool:
    """True for a URL that could be a real one, by RFC 3986's grammar narrowed to the web: a scheme of
    `URL_SCHEMES`, a host that is either dotted labels of letters, digits and inner hyphens ending in an
    alphabetic top-level domain of 2 to 6 letters (`www.humah.yahoo.com`) or an IPv4 address, an optional
    numeric port, and nothing but the characters a URL may hold (`%` only before two hex digits). `http://ww.`
    (no dot left in the host), `http://60007,306` (a comma in the host) and `http://example` (no top-level
    domain) are not well-formed; whether the host exists is not asked (it cannot be, offline)."""
    url = url.strip()
    if not _URL_CHARS_RE.fullmatch(url) or _BAD_PERCENT_RE.search(url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number in 0..65535)
    except ValueError:
        return False
    host = parts.hostname or ""
    if parts.scheme.lower() not in URL_SCHEMES or not parts.netloc or not host:
        return False
    if (ip := _IPV4_RE.fullmatch(host)) is not None:
        return all(int(b) <= 255 for b in ip.groups())
    return _HOST_RE.fullmatch(host) is not None


def element_texts(text: str, tag: str) -> list[str]:
    """The unescaped contents of `<tag>...</tag>` elements with no element inside, e.g. the XML layer's
    `timestamp`, `title`, `username` or `id` (page, revision and contributor ids alike)."""
    return [unescape_xml(c) for c in re.findall(rf"<{re.escape(tag)}(?:\s[^<>]*)?>([^<]*)</{re.escape(tag)}>", text)]


def timestamps(text: str) -> list[str]:
    """The contents of the window's complete `<timestamp>` elements."""
    return element_texts(text, "timestamp")


def valid_timestamp(s: str) -> bool:
    """True for the dump's format `YYYY-MM-DDTHH:MM:SSZ` naming a real date and time (no 30 February, no 24:00)."""
    m = _TIMESTAMP_RE.fullmatch(s)
    try:
        return m is not None and bool(datetime(*map(int, m.groups())))
    except ValueError:
        return False


def timestamp_in_range(s: str, first: str = TIMESTAMP_FIRST, last: str = TIMESTAMP_LAST) -> bool:
    """True for a `valid_timestamp` between `first` and `last` inclusive (default: from Wikipedia's start to the
    day of enwik8's newest revision)."""
    if not (valid_timestamp(first) and valid_timestamp(last)):
        raise CharlabError(f"timestamp bounds must look like 2006-03-04T05:30:24Z, got {first!r} and {last!r}")
    return valid_timestamp(s) and first <= s <= last  # this fixed-width format sorts like time


def novel_share(items: Iterable[str], known: set[str]) -> float:
    """Share of `items` (with repeats) not in `known`; NaN when there is no item."""
    items = list(items)
    return sum(x not in known for x in items) / len(items) if items else math.nan


def structure_counts(text: str) -> dict[str, float]:
    """Wikitext structure per 1,000 characters of the window's unescaped wikitext (NaN when it has none), plus
    `chars`, that number of characters. Counted on mwparserfromhell nodes, nested ones included: `headings` (all
    levels; also `headings_2`, `headings_3`, `headings_4plus`), `list_items` (lines starting `*` or `#`, not
    `#REDIRECT`), `templates`, `wikilinks` (`categories` are those to `Category:`), `external_links`, `html_tags`
    (`<ref>...</ref>` or `<br/>` is one) and `comments`. A window that starts mid-line reads its first line as a
    whole one."""
    items = wiki_items(text)
    rate = 1000 / items.chars if items.chars else math.nan
    return {"chars": float(items.chars)} | {k: v * rate for k, v in items.counts.items()}
