"""Main text, title and publication date of an HTML page, from one parse."""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.etree
import lxml.html
import trafilatura
from htmldate import find_date

from k12signals.extraction.dates import (
    POSTED_LABEL,
    UPDATED_LABEL,
    date_only_line,
    labelled_date,
    meeting_heading_date,
    parse_date_string,
)
from k12signals.extraction.maintext import read_page_text, text_of
from k12signals.extraction.sniff import decode_html

# Elements whose class or id marks them as page furniture rather than the page's content.
_BOILERPLATE = re.compile(
    r"sidebar|calendar|upcoming|breadcrumb|copyright|site-header|header-top|skip-?link"
    r"|(?:^|[\s_-])(?:events?|event-list|footer|nav|navbar|navigation|menu|menus|related"
    r"|similar|other-postings|widget-area)(?:$|[\s_-])",
    re.IGNORECASE,
)
_SKIPPED_TAGS = {"script", "style", "noscript", "nav", "aside", "footer", "template", "svg",
                 "select", "option", "iframe", "form"}
_BLOCK_TAGS = {"p", "div", "section", "article", "main", "header", "h1", "h2", "h3", "h4",
               "h5", "h6", "li", "ul", "ol", "tr", "table", "br", "dt", "dd", "dl", "td", "th",
               "blockquote", "pre", "figure", "figcaption", "time", "span"}
_KEPT_CONTAINERS = {"html", "body", "main", "article"}
_PUBLISHED_META = [
    "article:published_time", "og:published_time", "datepublished", "date.issued",
    "dc.date.issued", "dcterms.issued", "publish-date", "publish_date", "pubdate",
    "publication_date", "sailthru.date", "parsely-pub-date", "date", "dc.date", "dcterms.date",
    "citation_publication_date",
]
_HTML_PARSER = lxml.etree.HTMLParser(remove_comments=False)
# Below this many characters of main text, on a page with at least
# _MIN_PAGE_TEXT characters of visible text, trafilatura reads the page instead.
_MIN_MAIN_TEXT = 80
_MIN_PAGE_TEXT = 400
# Plain strings: the default "smart" strings keep a reference to their element each.
_TABLE_ROW = re.compile(r"^\|(.*)\|\s*$")
_LIST_MARKER = re.compile(r"^- (?=\S)")
_TABLE_RULE = re.compile(r"^\|(?:\s*:?-{2,}:?\s*\|)+\s*$")


@dataclass
class HtmlResult:
    text: str = ""
    title: str | None = None
    published_at: str | None = None
    error: str | None = None
    used_fallback: bool = False
    """Whether the main text came from trafilatura because the own extractor found too little."""
    markup_errors: int = 0
    """Markup errors (mismatched or stray tags) that the parser repaired."""
    first_markup_error: str | None = None


def parse_html(body: bytes, content_type: str | None = None) -> lxml.etree._Element | None:
    markup = decode_html(body, content_type)
    # lxml rejects str input that carries an XML encoding declaration.
    markup = re.sub(r"^\s*<\?xml[^>]*\?>", "", markup)
    markup = markup.replace("\x00", "")
    if not markup.strip():
        return None
    try:
        # A plain lxml.etree tree: lxml.html's element classes cost a Python call
        # for every element touched, which doubles the cost of walking the tree.
        tree = lxml.etree.fromstring(markup, _HTML_PARSER)
    except (lxml.etree.ParserError, lxml.etree.XMLSyntaxError, ValueError):
        return None
    return tree if tree is not None and isinstance(tree.tag, str) else None


def extract_html(body: bytes, *, url: str, content_type: str | None = None,
                 source_type: str = "district_site") -> HtmlResult:
    """Read main text, title and publication date from one parse of the body."""
    tree = parse_html(body, content_type)
    if tree is None:
        return HtmlResult(error="HTML could not be parsed")
    # The parser's log contains the repairs of this parse only.
    repairs = [entry.message for entry in _HTML_PARSER.error_log if entry.level >= lxml.etree.ErrorLevels.ERROR]

    heading = _first_heading(tree)
    title = _page_title(tree, heading)
    page_text = read_page_text(tree)
    published_at = find_published_date(tree, source_type=source_type, lines=page_text.date_lines)
    text = "\n".join(page_text.main_lines)
    used_fallback = False
    if len(text) < _MIN_MAIN_TEXT and page_text.body_length >= _MIN_PAGE_TEXT:
        text = _trafilatura_text(tree, url) or text
        used_fallback = True
    if heading and heading not in text[:len(heading) + 400]:
        text = heading + "\n" + text
    if text.strip() and not text.endswith("\n"):
        text += "\n"
    return HtmlResult(text=text if text.strip() else "", title=title,
                      published_at=published_at, used_fallback=used_fallback,
                      markup_errors=len(repairs), first_markup_error=repairs[0] if repairs else None)


def _trafilatura_text(tree: lxml.etree._Element, url: str) -> str:
    """Main text from trafilatura's fast mode, for pages where the own extractor finds too little."""
    # trafilatura reads only lxml.html trees, so it gets this page's tree serialized;
    # the second parse costs time only on the pages that need the fallback.
    markup = lxml.etree.tostring(tree, encoding="unicode", method="html")
    text = trafilatura.extract(
        markup, url=url, fast=True, include_tables=True, include_comments=False,
        include_images=False, include_links=False, favor_recall=True, deduplicate=False,
        output_format="txt",
    ) or ""
    return _tidy_text(text)


def _tidy_text(text: str) -> str:
    """Turn trafilatura's Markdown-style table rows into tab-separated cells.

    The pipes are not in the page, so quotes taken from a row would not be found
    there. Tabs are white space, and they still separate the cells for detection.
    """
    lines = []
    for line in text.splitlines():
        if _TABLE_RULE.match(line):
            continue
        # List markers that trafilatura adds are not in the page.
        line = _LIST_MARKER.sub("", line)
        row = _TABLE_ROW.match(line)
        if row:
            cells = [cell.strip() for cell in row.group(1).split(" | ")]
            line = "\t".join(cell for cell in cells if cell)
            if not line:
                continue
        lines.append(line.rstrip())
    return "\n".join(lines)


def _normalize_space(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip()


def _first_heading(tree: lxml.etree._Element) -> str | None:
    for heading in tree.iter("h1"):
        if _in_boilerplate(heading):
            continue
        value = _normalize_space(text_of(heading))
        if value:
            return value
    return None


def _page_title(tree: lxml.etree._Element, heading: str | None = None) -> str | None:
    """Return the first <h1> outside page furniture, else the <title>.

    `heading` is that first <h1> when the caller has found it already.
    """
    if heading is None:
        heading = _first_heading(tree)
    if heading:
        return heading
    title = tree.find(".//title")
    if title is not None and text_of(title).strip():
        return _normalize_space(text_of(title))
    return None


def _is_boilerplate_element(element: lxml.etree._Element) -> bool:
    if not isinstance(element.tag, str):
        return True
    tag = element.tag.lower()
    if tag in _SKIPPED_TAGS:
        return True
    if tag in _KEPT_CONTAINERS:
        return False
    if tag == "header" and element.getparent() is not None and element.getparent().tag == "body":
        return True
    marks = " ".join(filter(None, [element.get("class"), element.get("id"), element.get("role")]))
    return bool(marks and _BOILERPLATE.search(marks))


def _in_boilerplate(element: lxml.etree._Element) -> bool:
    node = element
    while node is not None:
        if _is_boilerplate_element(node):
            return True
        node = node.getparent()
    return False


def content_lines(tree: lxml.etree._Element) -> list[str]:
    """Visible text lines of the page outside navigation, sidebars and footers."""
    parts: list[str] = []

    def walk(element: lxml.etree._Element) -> None:
        if _is_boilerplate_element(element):
            return
        block = element.tag in _BLOCK_TAGS
        if block:
            parts.append("\n")
        if element.text:
            parts.append(element.text)
        for child in element:
            walk(child)
            if child.tail:
                parts.append(child.tail)
        if block:
            parts.append("\n")

    body = tree.find("body")
    walk(body if body is not None else tree)
    lines = []
    for line in "".join(parts).split("\n"):
        line = _normalize_space(line)
        if line:
            lines.append(line)
    return lines


def _meta_published(tree: lxml.etree._Element) -> str | None:
    found: dict[str, str] = {}
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        content = meta.get("content")
        if key in _PUBLISHED_META and content:
            found.setdefault(key, content)
    for key in _PUBLISHED_META:
        if key in found:
            parsed = parse_date_string(found[key])
            if parsed:
                return parsed
    for script in tree.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        match = re.search(r'"datePublished"\s*:\s*"([^"]+)"', script.text)
        if match:
            parsed = parse_date_string(match.group(1))
            if parsed:
                return parsed
    return None


def _time_element_date(tree: lxml.etree._Element) -> tuple[str | None, str | None]:
    """Return the (posted, other) dates of <time> elements in the content, outside sidebars."""
    posted = other = None
    for element in tree.iter("time"):
        value = element.get("datetime") or text_of(element)
        parsed = parse_date_string(value) if value else None
        if not parsed or _in_boilerplate(element):
            continue
        marks = " ".join(filter(None, [element.get("class"), element.get("itemprop"),
                                       element.getparent().get("class") or ""])).lower()
        if re.search(r"updated|modified", marks):
            continue
        if re.search(r"publish|posted|entry-date|date", marks) and posted is None:
            posted = parsed
        elif other is None:
            other = parsed
    return posted, other


def find_published_date(tree: lxml.etree._Element, *, source_type: str,
                        lines: list[str] | None = None) -> str | None:
    """Publication date of an HTML page, in order of trust.

    A "Posted" label shown on the page comes first, then publication metadata,
    then <time> elements in the content, the meeting heading of minutes, a line
    that shows only a date near the top, and last a "Last updated" label. Dates
    in sidebars, calendars, footers and copyright lines are never read.
    """
    if lines is None:
        lines = content_lines(tree)
    posted = labelled_date(lines, POSTED_LABEL)
    if posted:
        return posted
    meta = _meta_published(tree)
    if meta:
        return meta
    time_posted, time_other = _time_element_date(tree)
    if time_posted or time_other:
        return time_posted or time_other
    if source_type == "board_minutes":
        heading = meeting_heading_date(lines, limit=40)
        if heading:
            return heading
    only = date_only_line(lines)
    if only:
        return only
    updated = labelled_date(lines, UPDATED_LABEL)
    if updated:
        return updated
    return _htmldate_fallback(tree)


def _htmldate_fallback(tree: lxml.etree._Element) -> str | None:
    """Ask htmldate for header metadata that the rules above do not know.

    Only the <head> is passed, and extensive_search is off, so htmldate reads
    markup that states a date and never a sidebar date or stray numbers in the body.
    """
    head = tree.find("head")
    if head is None or not len(head):
        return None
    try:
        head_only = lxml.html.document_fromstring(
            "<html>" + lxml.etree.tostring(head, encoding="unicode", method="html")
            + "<body></body></html>")
        return find_date(head_only, extensive_search=False, original_date=True,
                         outputformat="%Y-%m-%d")
    except (ValueError, TypeError, lxml.etree.LxmlError):
        return None
