"""Text of a PDF, page by page, with pypdfium2."""

from __future__ import annotations

import pypdfium2


def extract_pdf(body: bytes) -> tuple[str, list[int], str | None]:
    """Return (text, page_starts, error) for a PDF body.

    Each page's text ends with "\\n", and page_starts[i] is the offset in the
    text where page i + 1 starts. A PDF that pdfium cannot open gives an error
    and empty text.
    """
    try:
        document = pypdfium2.PdfDocument(body)
    except pypdfium2.PdfiumError as error:
        return "", [], f"PDF could not be opened: {error}"
    parts: list[str] = []
    page_starts: list[int] = []
    offset = 0
    try:
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            try:
                page_text = textpage.get_text_range()
            finally:
                textpage.close()
                page.close()
            page_text = page_text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
            if page_text and not page_text.endswith("\n"):
                page_text += "\n"
            page_starts.append(offset)
            parts.append(page_text)
            offset += len(page_text)
    except pypdfium2.PdfiumError as error:
        return "", [], f"PDF page could not be read: {error}"
    finally:
        document.close()
    return "".join(parts), page_starts, None
