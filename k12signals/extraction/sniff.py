"""Tell PDF, HTML and plain text apart by their bytes, and decode text bodies."""

from __future__ import annotations

import codecs
import re

_BOMS = [
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_META_CHARSET = re.compile(
    rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.IGNORECASE)
_HTML_START = re.compile(
    rb"<(?:!doctype\s+html|html|head|body|meta|title|div|p|table|h[1-6])[\s>/]", re.IGNORECASE)
# Single-byte charsets that servers often declare for pages that are really UTF-8.
_LATIN_CHARSETS = {"iso-8859-1", "latin-1", "latin1", "cp1252", "windows-1252", "us-ascii", "ascii"}


def sniff_kind(body: bytes, *, url: str | None = None, content_type: str | None = None) -> str:
    """Return "pdf", "html" or "text" for a body.

    The bytes decide over the content type and the file name, because servers
    and file names often misstate them: a PDF is any body whose first kilobyte
    contains "%PDF-".
    """
    head = body[:1024]
    if b"%PDF-" in head:
        return "pdf"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n\x00\xff\xfe")
    if _HTML_START.search(stripped[:512]):
        return "html"
    lowered = (content_type or "").lower()
    if "html" in lowered or "xml" in lowered:
        return "html"
    if not content_type and url and re.search(r"\.(?:html?|aspx?|php|jsp)(?:$|[?#])", url, re.I):
        return "html" if b"<" in head else "text"
    return "text"


def charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = _HEADER_CHARSET.search(content_type)
    return match.group(1).lower() if match else None


def _usable(encoding: str | None) -> str | None:
    if not encoding:
        return None
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return None


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Decode an HTML body: BOM first, then the header charset, then the meta charset.

    A declared charset that fails on the bytes is skipped, and a single-byte
    charset declared for bytes that are valid UTF-8 yields to UTF-8. The last
    resort is Windows-1252 with replacement, which decodes any bytes.
    """
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(encoding, errors="replace")

    meta = _META_CHARSET.search(body[:4096])
    candidates = [
        _usable(charset_from_content_type(content_type)),
        _usable(meta.group(1).decode("ascii", "ignore")) if meta else None,
    ]
    for encoding in candidates:
        if not encoding:
            continue
        if encoding.replace("_", "-") in _LATIN_CHARSETS or encoding in {"cp1252", "latin-1"}:
            try:
                return body.decode("utf-8")
            except UnicodeDecodeError:
                pass
        if encoding.startswith("utf-16") or encoding.startswith("utf-32"):
            # A body without a BOM that declares UTF-16 in an ASCII meta tag is not UTF-16.
            if b"\x00" not in body[:200]:
                continue
        try:
            return body.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")


def decode_text(body: bytes, content_type: str | None = None) -> tuple[str, str | None]:
    """Decode a plain-text body; return (text, error), error set for binary data."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(encoding, errors="replace"), None
    sample = body[:8192]
    if sample.count(b"\x00") > len(sample) // 100 + 1:
        return "", "body is binary data, not text, HTML or PDF"
    declared = _usable(charset_from_content_type(content_type))
    for encoding in [declared, "utf-8"]:
        if not encoding:
            continue
        try:
            return body.decode(encoding), None
        except (UnicodeDecodeError, LookupError):
            continue
    return body.decode("cp1252", errors="replace"), None
