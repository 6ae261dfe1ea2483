"""Record extraction and detection outputs for a set of pages, or compare them with a record.

The pages are the labelled cases (each folder with a case.json) and every HTML
page of a corpus folder. A record stores each page's extracted text, its
publication date and the full `detect` output, so that a change meant to keep
results (a speed-up) can be checked for zero differences:

    .venv/bin/python benchmarks/compare_detection.py record /tmp/before.json
    .venv/bin/python benchmarks/compare_detection.py compare /tmp/before.json
    .venv/bin/python benchmarks/compare_detection.py compare /tmp/before.json --stored-text

`--stored-text` runs `detect` on the recorded text instead of extracting the
page again, which isolates detection changes from extraction changes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from k12signals.detection import detect
from k12signals.extraction import extract
from k12signals.extraction.sniff import sniff_kind

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CASES = [REPO.parent / "shared" / "eval" / "cases", REPO / "tests" / "cases"]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"


def list_pages(case_folders: list[Path], corpus: Path) -> list[dict]:
    """Return one entry per page: its path, URL, source type and state."""
    pages = []
    for folder in case_folders:
        for case_file in sorted(folder.glob("*/case.json")):
            case = json.loads(case_file.read_text(encoding="utf-8"))
            pages.append({"path": str(case_file.parent / case["file"]), "url": case.get("url"),
                          "source_type": case.get("source_type") or "district_site",
                          "state": case.get("state")})
    for path in sorted(corpus.rglob("*")):
        if not path.is_file() or path.suffix.lower() not in {".html", ".htm"}:
            continue
        if sniff_kind(path.read_bytes(), url=path.name, content_type=None) == "html":
            pages.append({"path": str(path), "url": f"https://example.org/{path.name}",
                          "source_type": "district_site", "state": None})
    return pages


def run_detection(page: dict, text: str, published_at: str | None,
                  page_starts: list[int] | None) -> dict:
    detection = detect(text, url=page["url"], source_type=page["source_type"],
                       state=page["state"], published_at=published_at, page_starts=page_starts)
    return {"cbe_stage": detection.cbe_stage, "signals": detection.signals}


def record_page(page: dict) -> dict:
    url = page["url"] or Path(page["path"]).resolve().as_uri()
    extracted = extract(Path(page["path"]).read_bytes(), url=url,
                        source_type=page["source_type"])
    entry = dict(page, url=url, text=extracted.text, published_at=extracted.published_at,
                 page_starts=extracted.page_starts)
    entry["detection"] = run_detection(entry, extracted.text, extracted.published_at,
                                       extracted.page_starts)
    return entry


def compare(record: list[dict], stored_text: bool) -> int:
    """Print each page whose text or detection differs from the record; return the count."""
    differences = 0
    for old in record:
        if stored_text:
            new = dict(old)
            new["detection"] = run_detection(old, old["text"], old["published_at"],
                                             old["page_starts"])
        else:
            new = record_page({key: old[key] for key in ("path", "url", "source_type", "state")})
        changed = [key for key in ("text", "published_at", "detection") if old[key] != new[key]]
        if changed:
            differences += 1
            print(f"DIFFERENT {old['path']}: {', '.join(changed)}")
            if "detection" in changed:
                print("  before:", json.dumps(old["detection"], sort_keys=True)[:2000])
                print("  after: ", json.dumps(new["detection"], sort_keys=True)[:2000])
    print(f"{differences} of {len(record)} pages differ")
    return differences


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=["record", "compare"])
    parser.add_argument("record_file", type=Path, help="JSON file written by record")
    parser.add_argument("--stored-text", action="store_true",
                        help="compare: run detect on the recorded text, without extracting again")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                        help="folder searched for .html and .htm files")
    args = parser.parse_args()

    if args.mode == "record":
        entries = [record_page(page) for page in list_pages(DEFAULT_CASES, args.corpus)]
        args.record_file.write_text(json.dumps(entries, indent=1, sort_keys=True), encoding="utf-8")
        print(f"recorded {len(entries)} pages in {args.record_file}")
        return 0
    record = json.loads(args.record_file.read_text(encoding="utf-8"))
    return 1 if compare(record, args.stored_text) else 0


if __name__ == "__main__":
    sys.exit(main())
