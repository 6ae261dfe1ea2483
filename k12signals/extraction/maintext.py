"""Main text and date lines of a parsed HTML page, read in one walk over the tree.

The walk yields two renderings of the same elements:

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


def _content_candidates(body: lxml.etree._Element,
                        calendars: list | None = None) -> list[list[lxml.etree._Element]]:
    """Return the content-marked elements under body, one list per tier of trust.

    When given, `calendars` collects the elements whose class, id or role names a
    calendar or event listing, in document order, so that no second pass is needed.
    """
    tiers: list[list[lxml.etree._Element]] = [[], [], [], []]
    for element in body.iter(lxml.etree.Element):
        tag = element.tag
        attributes = element.attrib
        if calendars is not None and attributes:
            # Searching the raw attribute text first spares most elements the word split.
            hint = _CALENDAR_HINT.search(" ".join(attributes.values()))
            if hint and _calendar_furniture(_marks(element)):
                calendars.append(element)
        if tag == "main":
            tiers[_TIER_MAIN].append(element)
            continue
        if tag == "article":
            tiers[_TIER_ARTICLE].append(element)
        if not attributes:
            continue
        if attributes.get("role") == "main":
            tiers[_TIER_MAIN].append(element)
            continue
        element_id = attributes.get("id")
        if element_id and element_id.lower() in _CONTENT_IDS:
            tiers[_TIER_ID].append(element)
            continue
        classes = attributes.get("class")
        if classes and not _CONTENT_CLASSES.isdisjoint(classes.lower().split()):
            tiers[_TIER_CLASS].append(element)
    return tiers


def find_container(body: lxml.etree._Element, body_length: int,
                   calendars: list | None = None) -> tuple[lxml.etree._Element | None, set]:
    """Return the element that holds the page's content or None to walk the whole body.

    Also return the content-marked elements and their ancestors, which no class
    or id rule may drop: a wrapper named "page-w-sidebar-container" that contains
    the page's <section id="main"> is layout, not a sidebar. `calendars` is
    passed on to _content_candidates.
    """
    protected: set = set()
    container = None
    for tier, matches in enumerate(_content_candidates(body, calendars)):
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
            if _visible_length(element) >= minimum:
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


def _page_wrappers(body: lxml.etree._Element, body_length: int) -> set:
    """Return the <nav>, <header> and <form> elements that wrap most of the body's text."""
    wrappers = set()
    for element in body.iter(*_WRAPPER_TAGS):
        length = _visible_length(element)
        if length < _WRAPPER_MIN_SHARE * body_length:
            continue
        link_length = sum(len(text_of(link)) for link in element.iter("a"))
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
    """Walk the body once and return its main text lines and date lines."""
    body = tree.find("body")
    if body is None:
        body = tree
    body_length = _visible_length(body)
    calendar_elements: list = []
    container, container_path = find_container(body, body_length, calendar_elements)
    wrappers = _page_wrappers(body, body_length) if body_length else set()
    scope_length = _visible_length(container) if container is not None else body_length
    calendars = _content_calendars(calendar_elements, container, scope_length) \
        if scope_length and calendar_elements else set()

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
    return PageText(
        main_lines=_main_lines("".join(main_parts)),
        date_lines=_date_lines("".join(date_parts)),
        container_found=container is not None,
        body_length=body_length,
    )


def _date_lines(text: str) -> list[str]:
    # One substitution over the whole text: _LINE_SPACES leaves the line breaks alone.
    lines = []
    for line in _LINE_SPACES.sub(" ", text).split("\n"):
        line = line.strip()
        if line:
            lines.append(line)
    return lines


def _main_lines(text: str) -> list[str]:
    lines = []
    for line in _LINE_SPACES.sub(" ", text).split("\n"):
        if _CELL_BREAK in line:
            cells = [cell.strip() for cell in line.split(_CELL_BREAK)]
            line = "\t".join(cell for cell in cells if cell)
        else:
            line = line.strip()
        if line:
            lines.append(line)
    return lines
