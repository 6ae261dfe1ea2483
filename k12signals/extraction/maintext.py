"""Main text and date lines of a parsed HTML page.

One Python pass reads each element's class, id and role and marks the page
furniture. Two XSLT transforms then write two renderings of the same elements:

- main text: the content container (<main>, role=main, a single <article> or a
  CMS content block) without menus, headers, footers, sidebars and link lists.
  Paragraphs end with "\\n" and table rows are one line with tab-separated cells.
- date lines: the whole body outside navigation, sidebars and footers, one line
  per block and per table cell, which the publication-date rules read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import lxml.etree

# Date lines: a class or id that marks page furniture (matched anywhere in the attribute).
_DATE_BOILERPLATE = re.compile(
    r"sidebar|calendar|upcoming|breadcrumb|copyright|site-header|header-top|skip-?link"
    r"|(?:^|[\s_-])(?:events?|event-list|footer|nav|navbar|navigation|menu|menus|related"
    r"|similar|other-postings|widget-area)(?:$|[\s_-])",
    re.IGNORECASE,
)
# Main text: words of a class, id or role (split at camelCase and punctuation) that mark furniture.
_FURNITURE_WORDS = frozenset({
    "nav", "navbar", "navigation", "subnav", "menu", "menus", "submenu", "menubar", "footer",
    "sidebar", "breadcrumb", "breadcrumbs", "skip", "skiplink", "social", "share", "sharing",
    "cookie", "cookies", "banner", "alert", "alerts", "calendar", "events", "upcoming",
    "upcomingevents", "copyright", "colophon", "masthead", "related", "similar", "utility",
    "translate", "search", "toolbar", "pagination", "pager", "comments", "complementary",
    "contentinfo", "secondary", "mystart", "widgets", "shortcut", "shortcuts", "noprint",
})
# Words that mark the site header. They count only outside a content container,
# because inside one "entry-header" or "page-header" contains the page's own title.
_HEADER_WORDS = frozenset({"header", "topbar", "branding"})
# A "widget" is furniture in WordPress sidebars ("widget-area") but contains the
# content in Schoolwires ("ui-widget app flexpage"), so it counts only with these.
_WIDGET_COMPANIONS = frozenset({"area", "sidebar", "side", "footer", "events", "upcoming"})
# Words that keep an element even when its names also contain a furniture word.
# "main" is not one of them, because "main-menu" and "nav-main" are menus.
_CONTENT_WORDS = frozenset({"content", "article", "entry", "post", "body", "story"})
_SKIPPED_TAGS = frozenset({"script", "style", "noscript", "nav", "aside", "footer", "template",
                           "svg", "select", "option", "iframe", "form"})
# Tags left out of the main text only; the date lines keep their text.
_MAIN_SKIPPED_TAGS = frozenset({"button", "object", "embed", "canvas", "map", "label"})
# Tags that start a new line in the date lines (the span and time entries keep the
# line layout that the date rules were written against).
_DATE_BLOCK_TAGS = frozenset({
    "p", "div", "section", "article", "main", "header", "h1", "h2", "h3", "h4", "h5", "h6",
    "li", "ul", "ol", "tr", "table", "br", "dt", "dd", "dl", "td", "th", "blockquote", "pre",
    "figure", "figcaption", "time", "span"})
_MAIN_BLOCK_TAGS = frozenset({
    "p", "div", "section", "article", "main", "header", "h1", "h2", "h3", "h4", "h5", "h6",
    "li", "ul", "ol", "tr", "table", "br", "dt", "dd", "dl", "blockquote", "pre", "figure",
    "figcaption", "address", "hr", "caption", "thead", "tbody", "tfoot", "center", "details",
    "summary", "fieldset", "legend"})
_CELL_TAGS = frozenset({"td", "th"})
# Table cell boundary in the joined main text, later written as a tab. A control
# character is used because tabs can occur in the page's own text.
_CELL_BREAK = "\x1f"
# Elements dropped from the main text when they are mostly link text: menus,
# "quick links" and carousels that no class name marks.
_LINK_BLOCK_TAGS = frozenset({"ul", "ol", "dl", "menu", "div", "section"})
_DATE_KEPT_CONTAINERS = frozenset({"html", "body", "main", "article"})

# Content containers, in order of trust: <main> or role=main, then these ids,
# then these classes (WordPress, Finalsite, Blackboard/Schoolwires, Drupal and
# others), then a single <article>. The first one that contains enough of the
# page's text is walked for the main text.
_CONTENT_IDS = frozenset({"main-content", "maincontent", "content_main", "content-main",
                          "fspagecontent", "main", "content"})
_CONTENT_CLASSES = frozenset({"entry-content", "article-body", "post-content", "page-content",
                              "main-content", "content-main", "fspagecontent", "ui-article",
                              "flexpage"})
_TIER_MAIN, _TIER_ID, _TIER_CLASS, _TIER_ARTICLE = range(4)
# A container must hold at least this share of the body's text, so that an
# empty <main> or a one-line <article> teaser does not stand for the page.
_CONTAINER_MIN_SHARE = 0.15
_CONTAINER_MIN_LENGTH = 200
# A block whose text is mostly link text, with at least this many links, is a menu.
_LINK_LIST_MIN_LINKS = 4
_LINK_LIST_MIN_SHARE = 0.8

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_LINE_SPACES = re.compile(r"[ \t\r\f\v\xa0\u2000-\u200b\u202f\u205f\u3000]+")
# The runs of _LINE_SPACES that are not already a single space: the same result
# from .sub(" ", text) with far fewer replacements.
_LINE_SPACE_RUNS = re.compile(r"[ \t\r\f\v\xa0\u2000-\u200b\u202f\u205f\u3000]{2,}"
                              r"|[\t\r\f\v\xa0\u2000-\u200b\u202f\u205f\u3000]")


@dataclass
class PageText:
    main_lines: list[str]
    """Lines of the main text; table rows have tab-separated cells."""
    date_lines: list[str]
    """Visible lines of the body outside navigation, sidebars and footers."""
    container_found: bool
    """Whether a content container was walked rather than the whole body."""
    body_length: int
    """Characters of body text outside scripts and style sheets."""


@lru_cache(maxsize=4096)
def _date_furniture(marks: str) -> bool:
    return bool(_DATE_BOILERPLATE.search(marks))


@lru_cache(maxsize=4096)
def _main_furniture(marks: str, outside_container: bool) -> bool:
    words = set(_NON_WORD.split(_CAMEL_BOUNDARY.sub(" ", marks).lower()))
    words.discard("")
    if words & _CONTENT_WORDS:
        return False
    if words & _FURNITURE_WORDS:
        return True
    if "widget" in words and words & _WIDGET_COMPANIONS:
        return True
    if outside_container and (words & _HEADER_WORDS or {"top", "bar"} <= words):
        return True
    # Substrings of single-word names such as "upcomingevents" or "sitefooter".
    joined = "".join(sorted(words))
    return any(word in joined for word in ("footer", "navigation", "breadcrumb", "sidebar",
                                           "calendar", "upcoming"))


def _marks(element: lxml.etree._Element) -> str:
    attributes = element.attrib
    if not attributes:
        return ""
    return " ".join(filter(None, (attributes.get("class"), attributes.get("id"),
                                  attributes.get("role"))))


_STRING_VALUE = lxml.etree.XPath("string()")


def text_of(element: lxml.etree._Element) -> str:
    """All text inside an element, as lxml.html's text_content() returns it."""
    return str(_STRING_VALUE(element))


def _visible_length(element: lxml.etree._Element) -> int:
    """Length of an element's text without the text of scripts and style sheets."""
    hidden = sum(len(script.text or "") for script in element.iter("script", "style"))
    return len(text_of(element)) - hidden


@dataclass
class _Scan:
    """Result of _scan: content candidates, calendars and furniture of one page."""

    tiers: list[list[lxml.etree._Element]]
    """Content-marked elements, one list per tier of trust, in document order."""
    calendars: list[lxml.etree._Element]
    """Elements whose class, id or role names a calendar or event listing."""
    furniture: list[tuple[lxml.etree._Element, tuple[bool, bool, bool, bool, int | None]]]
    """Elements whose marks make them furniture for the date lines or the main text,
    with what _decide() found for them."""


# Decisions per (class, id, role) value triple: calendar, date furniture, main
# furniture outside a content container, main furniture inside one, content tier or None.
_DECISIONS: dict[tuple, tuple[bool, bool, bool, bool, int | None]] = {}


def _decide(key: tuple[str | None, str | None, str | None]
            ) -> tuple[bool, bool, bool, bool, int | None]:
    classes, element_id, role = key
    marks = " ".join(filter(None, key))
    if role == "main":
        tier = _TIER_MAIN
    elif element_id and element_id.lower() in _CONTENT_IDS:
        tier = _TIER_ID
    elif classes and not _CONTENT_CLASSES.isdisjoint(classes.lower().split()):
        tier = _TIER_CLASS
    else:
        tier = None
    decision = (_calendar_furniture(marks), _date_furniture(marks),
                _main_furniture(marks, True), _main_furniture(marks, False), tier)
    if len(_DECISIONS) > 20000:
        _DECISIONS.clear()
    _DECISIONS[key] = decision
    return decision


def _scan(body: lxml.etree._Element) -> _Scan:
    """Read every element's class, id and role once, for all the decisions that need them."""
    tiers: list[list[lxml.etree._Element]] = [[], [], [], []]
    calendars = []
    furniture = []
    decided = _DECISIONS.get
    for element in body.iter(lxml.etree.Element):
        tag = element.tag
        if tag == "main":
            tiers[_TIER_MAIN].append(element)
        elif tag == "article":
            tiers[_TIER_ARTICLE].append(element)
        key = (element.get("class"), element.get("id"), element.get("role"))
        if key == _NO_MARKS:
            continue
        decision = decided(key) or _decide(key)
        if decision[0] and _CALENDAR_HINT.search(" ".join(element.attrib.values())):
            # The hint reads every attribute, so that "events" in an href counts too.
            calendars.append(element)
        if decision[1] or decision[2] or decision[3]:
            furniture.append((element, decision))
        tier = decision[4]
        if tier is not None and tag != "main":
            tiers[tier].append(element)
    return _Scan(tiers, calendars, furniture)


_NO_MARKS = (None, None, None)


def _content_candidates(body: lxml.etree._Element,
                        calendars: list | None = None) -> list[list[lxml.etree._Element]]:
    """Return the content-marked elements under body, one list per tier of trust.

    When given, `calendars` collects the elements whose class, id or role names a
    calendar or event listing, in document order, so that no second pass is needed.
    """
    scan = _scan(body)
    if calendars is not None:
        calendars.extend(scan.calendars)
    return scan.tiers


def find_container(body: lxml.etree._Element, body_length: int,
                   calendars: list | None = None,
                   tiers: list[list[lxml.etree._Element]] | None = None,
                   ) -> tuple[lxml.etree._Element | None, set]:
    """Return the element that holds the page's content or None to walk the whole body.

    Also return the content-marked elements and their ancestors, which no class
    or id rule may drop: a wrapper named "page-w-sidebar-container" that contains
    the page's <section id="main"> is layout, not a sidebar. `calendars` is
    passed on to _content_candidates; `tiers`, when given, are its result.
    """
    if tiers is None:
        tiers = _content_candidates(body, calendars)
    protected: set = set()
    container = None
    for tier, matches in enumerate(tiers):
        if not matches:
            continue
        if tier != _TIER_ARTICLE:
            for element in matches:
                protected.add(element)
                protected.update(element.iterancestors())
        if container is not None:
            continue
        if tier == _TIER_ARTICLE and len(matches) > 1:
            # Several <article> elements are teasers on a listing page, not one story.
            continue
        # The outermost match with enough text: nested matches are parts of it.
        # <main> and role=main need no share of the body, because mega-menus can
        # hold most of a page's text.
        minimum = _CONTAINER_MIN_LENGTH
        if tier != _TIER_MAIN:
            minimum = max(minimum, _CONTAINER_MIN_SHARE * body_length)
        for element in matches:
            if len(text_of(element)) >= minimum and _visible_length(element) >= minimum:
                container = element
                break
    if container is not None:
        protected.update(container.iterancestors())
        protected.add(container)
    return container, protected


# Tags skipped whole as menus or forms, unless one wraps most of the page: an
# unclosed <nav> or <header> swallows the rest of the body, and ASP.NET WebForms
# pages put the whole body inside one <form>.
_WRAPPER_TAGS = ("nav", "header", "form")
_WRAPPER_MIN_SHARE = 0.5
# Such a wrapper is a menu after all when at least this share of its text is link text.
_WRAPPER_MAX_LINK_SHARE = 0.5
# Calendar and event listings are furniture beside a page's content, but on a
# meeting-list page they are the content. They are kept when together they contain
# at least this share of the content container's text (or the body's, without one).
_CALENDAR_MIN_SHARE = 0.5
_CALENDAR_WORDS = frozenset({"calendar", "events", "upcoming", "upcomingevents"})
_CALENDAR_HINT = re.compile(r"calendar|event|upcoming", re.IGNORECASE)


@lru_cache(maxsize=4096)
def _calendar_furniture(marks: str) -> bool:
    words = set(_NON_WORD.split(_CAMEL_BOUNDARY.sub(" ", marks).lower()))
    if words & _CALENDAR_WORDS:
        return True
    joined = "".join(sorted(words))
    return "calendar" in joined or "upcoming" in joined


_LINK_TEXTS = lxml.etree.XPath("descendant::a//text()", smart_strings=False)
_NESTED_LINK = lxml.etree.XPath("boolean(descendant::a//a)")


def _link_text_length(element: lxml.etree._Element) -> int:
    """Sum of the text lengths of the links inside element (a nested link counts in both)."""
    if _NESTED_LINK(element):
        return sum(len(text_of(link)) for link in element.iter("a"))
    return sum(map(len, _LINK_TEXTS(element)))


def _page_wrappers(body: lxml.etree._Element, body_length: int) -> set:
    """Return the <nav>, <header> and <form> elements that wrap most of the body's text."""
    wrappers = set()
    minimum = _WRAPPER_MIN_SHARE * body_length
    for element in body.iter(*_WRAPPER_TAGS):
        # The visible text is never longer than all text, which is quicker to measure.
        if len(text_of(element)) < minimum:
            continue
        length = _visible_length(element)
        if length < minimum:
            continue
        link_length = _link_text_length(element)
        if link_length < _WRAPPER_MAX_LINK_SHARE * length:
            wrappers.add(element)
    return wrappers


def _content_calendars(calendars: list, container: lxml.etree._Element | None,
                       scope_length: int) -> set:
    """Return the calendar elements that together contain most of the content's text.

    The content is the container, or the whole body when `container` is None,
    and `scope_length` is the length of its visible text.
    """
    if container is not None:
        calendars = [element for element in calendars
                     if any(ancestor is container for ancestor in element.iterancestors())]
    if not calendars:
        return set()
    members = set(calendars)
    outermost = [element for element in calendars
                 if not any(ancestor in members for ancestor in element.iterancestors())]
    if sum(_visible_length(element) for element in outermost) < _CALENDAR_MIN_SHARE * scope_length:
        return set()
    return members


def read_page_text(tree: lxml.etree._Element) -> PageText:
    """Return the main text lines and date lines of a parsed page."""
    body = tree.find("body")
    if body is None:
        body = tree
    body_text = text_of(body)
    body_length = len(body_text) - sum(len(script.text or "")
                                       for script in body.iter("script", "style"))
    scan = _scan(body)
    container, container_path = find_container(body, body_length, tiers=scan.tiers)
    wrappers = _page_wrappers(body, body_length) if body_length else set()
    scope_length = _visible_length(container) if container is not None else body_length
    calendars = _content_calendars(scan.calendars, container, scope_length) \
        if scope_length and scan.calendars else set()
    texts = None
    if not _MARKER_CHARACTERS.search(body_text):
        texts = _transform_texts(body, container, container_path, wrappers, calendars,
                                 scan.furniture)
    if texts is None:
        texts = _walk_texts(body, container, container_path, wrappers, calendars)
    main_text, date_text = texts
    return PageText(
        main_lines=_main_lines(main_text),
        date_lines=_date_lines(date_text),
        container_found=container is not None,
        body_length=body_length,
    )


# The main text and the date lines are written by XSLT (libxslt), so the work per
# element runs in C rather than in a Python walk. Python decides which elements
# are furniture and marks them with these attributes, and _transform_texts
# removes them again before it returns:
_WRAPPER_MARK = "k12signals-wrapper"  # a page wrapper: its tag does not skip it
_PATH_MARK = "k12signals-path"  # content or one of its ancestors: never a link list
_DATE_MARK = "k12signals-date-skip"  # left out of the date lines
_MAIN_MARK = "k12signals-main-skip"  # left out of the main text
# The main text's transform writes these characters (Unicode noncharacters) around
# links and link-list candidates and for line, space and cell breaks. Then
# _resolve_main_text drops the link lists and writes the breaks. A page whose text
# contains one of them is walked in Python instead.
_LINK_OPEN, _LINK_CLOSE, _LIST_OPEN, _LIST_CLOSE, _LINE, _SPACE, _CELL = (
    chr(code) for code in range(0xFDD0, 0xFDD7))
_MARKER_CHARACTERS = re.compile("[\ufdd0-\ufdd6]")
_LIST_SPLIT = re.compile("([\ufdd0-\ufdd3])")


def _xslt_source() -> dict[str, str]:
    """Return the stylesheets of the date lines ("d") and the main text ("m", and "c" in a cell)."""
    def pattern(tags) -> str:
        return "|".join(sorted(tags))

    skipped = "|".join(f"{tag}[not(@{_WRAPPER_MARK})]" for tag in sorted(_SKIPPED_TAGS))
    # A list of links is dropped only when it contains at least _LINK_LIST_MIN_LINKS links.
    link_list = f"not(@{_PATH_MARK}) and descendant::a[{_LINK_LIST_MIN_LINKS}]"
    templates = [
        '<xsl:output method="text" encoding="UTF-8"/>',
        f'<xsl:template match="{skipped}" priority="20" mode="d"/>',
        f'<xsl:template match="*[@{_DATE_MARK}]" priority="19" mode="d"/>',
        f'<xsl:template match="{pattern(_DATE_BLOCK_TAGS)}" priority="10" mode="d">'
        '<xsl:text>&#10;</xsl:text><xsl:apply-templates mode="d"/>'
        '<xsl:text>&#10;</xsl:text></xsl:template>',
    ]
    block_lists = _MAIN_BLOCK_TAGS & _LINK_BLOCK_TAGS
    other_lists = _LINK_BLOCK_TAGS - _MAIN_BLOCK_TAGS
    for mode, line_break in (("m", _LINE), ("c", _SPACE)):
        apply = f'<xsl:apply-templates mode="{mode}"/>'
        templates += [
            f'<xsl:template match="{skipped}" priority="20" mode="{mode}"/>',
            f'<xsl:template match="*[@{_MAIN_MARK}]" priority="19" mode="{mode}"/>',
            f'<xsl:template match="td|th" priority="10" mode="{mode}">'
            f'<xsl:text>{_CELL}</xsl:text><xsl:apply-templates mode="c"/></xsl:template>',
            f'<xsl:template match="a" priority="10" mode="{mode}">'
            f'<xsl:text>{_LINK_OPEN}</xsl:text>{apply}<xsl:text>{_LINK_CLOSE}</xsl:text>'
            '</xsl:template>',
            f'<xsl:template match="{pattern(block_lists)}" priority="10" mode="{mode}">'
            f'<xsl:choose><xsl:when test="{link_list}"><xsl:text>{_LIST_OPEN}{line_break}'
            f'</xsl:text>{apply}<xsl:text>{line_break}{_LIST_CLOSE}</xsl:text></xsl:when>'
            f'<xsl:otherwise><xsl:text>{line_break}</xsl:text>{apply}'
            f'<xsl:text>{line_break}</xsl:text></xsl:otherwise></xsl:choose></xsl:template>',
            f'<xsl:template match="{pattern(other_lists)}" priority="10" mode="{mode}">'
            f'<xsl:choose><xsl:when test="{link_list}"><xsl:text>{_LIST_OPEN}</xsl:text>'
            f'{apply}<xsl:text>{_LIST_CLOSE}</xsl:text></xsl:when>'
            f'<xsl:otherwise>{apply}</xsl:otherwise></xsl:choose></xsl:template>',
            f'<xsl:template match="{pattern(_MAIN_BLOCK_TAGS - _LINK_BLOCK_TAGS - _CELL_TAGS)}"'
            f' priority="9" mode="{mode}"><xsl:text>{line_break}</xsl:text>{apply}'
            f'<xsl:text>{line_break}</xsl:text></xsl:template>',
        ]
    sources = {}
    for start in ("d", "m", "c"):
        sources[start] = (
            '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">'
            + "".join(templates)
            + f'<xsl:template match="/"><xsl:apply-templates mode="{start}"/></xsl:template>'
            + "</xsl:stylesheet>")
    return sources


_TRANSFORMS = {mode: lxml.etree.XSLT(lxml.etree.fromstring(source))
               for mode, source in _xslt_source().items()}


def _transform_texts(body: lxml.etree._Element, container: lxml.etree._Element | None,
                     container_path: set, wrappers: set, calendars: set,
                     furniture: list) -> tuple[str, str] | None:
    """Return the raw main text and date text written by the transforms, as _walk_texts does.

    Returns None when a transform fails (as on very deep trees), so that the caller walks.
    """
    on_path = container_path | wrappers if wrappers else container_path
    outside = container is None
    marked: list[tuple[lxml.etree._Element, str]] = []

    def mark(element: lxml.etree._Element, name: str) -> None:
        element.set(name, "")
        marked.append((element, name))

    try:
        for element in wrappers:
            mark(element, _WRAPPER_MARK)
        for element in on_path:
            if element.tag in _LINK_BLOCK_TAGS:
                mark(element, _PATH_MARK)
        for element, flags in furniture:
            if element.tag in _DATE_KEPT_CONTAINERS or element in on_path:
                continue
            if flags[1]:
                mark(element, _DATE_MARK)
            if (flags[2] if outside else flags[3]) and element not in calendars:
                mark(element, _MAIN_MARK)
        for element in body.iterchildren("header"):
            if element not in on_path and element.get(_DATE_MARK) is None:
                mark(element, _DATE_MARK)
        scope = body if outside else container
        tags = _MAIN_SKIPPED_TAGS | {"header"} if outside else _MAIN_SKIPPED_TAGS
        for element in scope.iter(*tags):
            if element not in on_path and element.get(_MAIN_MARK) is None:
                mark(element, _MAIN_MARK)

        date_text = str(_TRANSFORMS["d"](body))
        start_mode, link_depth = "m", 0
        if container is not None:
            for ancestor in _path_from_body(body, container):
                tag = ancestor.tag
                if tag in _SKIPPED_TAGS and ancestor not in wrappers:
                    return "", date_text  # the walk never enters the content
                if ancestor is container:
                    break
                if tag in _CELL_TAGS:
                    start_mode = "c"
                elif tag == "a":
                    link_depth = 1
        main_raw = str(_TRANSFORMS[start_mode](scope))
    except lxml.etree.XSLTError:
        return None
    finally:
        for element, name in marked:
            element.attrib.pop(name, None)
    return _resolve_main_text(main_raw, link_depth), date_text


def _path_from_body(body: lxml.etree._Element,
                    element: lxml.etree._Element) -> list[lxml.etree._Element]:
    """Return body, the ancestors of element below it and element, from the top down."""
    path = [element]
    for ancestor in element.iterancestors():
        path.append(ancestor)
        if ancestor is body:
            break
    path.reverse()
    return path


def _resolve_main_text(raw: str, link_depth: int) -> str:
    """Drop the link lists from the main transform's output and write its breaks."""
    # Line breaks in the markup's text are white space; only elements break lines.
    # NOTE: so <pre> text loses its line breaks in the main text.
    raw = raw.replace("\n", " ")
    if _LIST_OPEN in raw:
        raw = _drop_link_lists(raw, link_depth)
    return (raw.replace(_LINK_OPEN, "").replace(_LINK_CLOSE, "").replace(_LINE, "\n")
            .replace(_SPACE, " ").replace(_CELL, _CELL_BREAK))


def _drop_link_lists(raw: str, link_depth: int) -> str:
    """Replace each link-list candidate that is mostly link text with a line break.

    Lengths count the page's text only, not the break characters, as in _walk_texts.
    """
    parts: list[str] = []
    main_length = link_length = links = 0
    lists: list[tuple[int, int, int, int]] = []
    for token in _LIST_SPLIT.split(raw):
        if token == _LINK_OPEN:
            links += 1
            link_depth += 1
        elif token == _LINK_CLOSE:
            link_depth -= 1
        elif token == _LIST_OPEN:
            lists.append((len(parts), main_length, link_length, links))
        elif token == _LIST_CLOSE:
            start_index, start_main, start_link, start_links = lists.pop()
            length = main_length - start_main
            if (links - start_links >= _LINK_LIST_MIN_LINKS and length
                    and link_length - start_link >= _LINK_LIST_MIN_SHARE * length):
                del parts[start_index:]
                parts.append(_LINE)
                main_length = start_main
                link_length = start_link
        elif token:
            parts.append(token)
            length = len(token) - token.count(_LINE) - token.count(_SPACE) - token.count(_CELL)
            main_length += length
            if link_depth:
                link_length += length
    return "".join(parts)


def _walk_texts(body: lxml.etree._Element, container: lxml.etree._Element | None,
                container_path: set, wrappers: set, calendars: set) -> tuple[str, str]:
    """Walk the body once in Python and return its raw main text and date text.

    The main text still contains _CELL_BREAK, and _main_lines and _date_lines make lines of both.
    """

    date_parts: list[str] = []
    main_parts: list[str] = []
    # Running totals of main-text characters and of those inside links, for link density.
    totals = {"main": 0, "link": 0, "links": 0}

    def emit_main(text: str, in_link: bool) -> None:
        # Line breaks in the markup's text are white space; only elements break lines.
        # NOTE: so <pre> text loses its line breaks in the main text.
        text = text.replace("\n", " ")
        main_parts.append(text)
        totals["main"] += len(text)
        if in_link:
            totals["link"] += len(text)

    def walk(element, date_on: bool, main_on: bool, in_container: bool, in_cell: bool,
             in_link: bool) -> None:
        tag = element.tag
        if tag in _SKIPPED_TAGS and element not in wrappers:
            return
        # A wrapper is walked like an ancestor of the content: neither its tag
        # nor its class drops it.
        on_path = (element in container_path if container_path else False) or \
            (element in wrappers if wrappers else False)
        marks = _marks(element)
        if date_on and tag not in _DATE_KEPT_CONTAINERS:
            if tag == "header" and element.getparent() is body:
                date_on = on_path
            elif marks and _date_furniture(marks):
                date_on = on_path
        if element is container:
            in_container = True
            main_on = True
        elif main_on and not on_path and tag not in _DATE_KEPT_CONTAINERS:
            if tag in _MAIN_SKIPPED_TAGS:
                main_on = False
            elif marks and _main_furniture(marks, not in_container) and \
                    element not in calendars:
                main_on = False
            elif tag == "header" and not in_container:
                main_on = False
        if not date_on and not main_on and not on_path:
            return

        date_block = tag in _DATE_BLOCK_TAGS
        if tag in _CELL_TAGS:
            main_break = _CELL_BREAK
            in_cell = True
        elif tag in _MAIN_BLOCK_TAGS:
            main_break = " " if in_cell else "\n"
        else:
            main_break = ""
        if tag == "a":
            in_link = True
            if main_on:
                totals["links"] += 1
        list_start = None
        if main_on and tag in _LINK_BLOCK_TAGS and not on_path:
            list_start = (len(main_parts), totals["main"], totals["link"], totals["links"])

        if date_on and date_block:
            date_parts.append("\n")
        if main_on and main_break:
            main_parts.append(main_break)
        text = element.text
        if text:
            if date_on:
                date_parts.append(text)
            if main_on:
                emit_main(text, in_link)
        for child in element:
            if isinstance(child.tag, str):
                walk(child, date_on, main_on, in_container, in_cell, in_link)
            tail = child.tail
            if tail:
                if date_on:
                    date_parts.append(tail)
                if main_on:
                    emit_main(tail, in_link)
        if date_on and date_block:
            date_parts.append("\n")
        if main_on and main_break and main_break != _CELL_BREAK:
            main_parts.append(main_break)

        if list_start is not None:
            start_index, start_main, start_link, start_links = list_start
            length = totals["main"] - start_main
            link_length = totals["link"] - start_link
            if (totals["links"] - start_links >= _LINK_LIST_MIN_LINKS and length
                    and link_length >= _LINK_LIST_MIN_SHARE * length):
                del main_parts[start_index:]
                main_parts.append("\n")
                totals["main"] = start_main
                totals["link"] = start_link

    walk(body, True, container is None, False, False, False)
    return "".join(main_parts), "".join(date_parts)


def _date_lines(text: str) -> list[str]:
    # One substitution over the whole text: _LINE_SPACES leaves the line breaks alone.
    lines = []
    for line in _LINE_SPACE_RUNS.sub(" ", text).split("\n"):
        line = line.strip()
        if line:
            lines.append(line)
    return lines


def _main_lines(text: str) -> list[str]:
    lines = []
    for line in _LINE_SPACE_RUNS.sub(" ", text).split("\n"):
        if _CELL_BREAK in line:
            cells = [cell.strip() for cell in line.split(_CELL_BREAK)]
            line = "\t".join(cell for cell in cells if cell)
        else:
            line = line.strip()
        if line:
            lines.append(line)
    return lines
