"""`k12signals detect`: run extraction and detection on local files and print page results."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from k12signals.detection import detect
from k12signals.errors import InputError
from k12signals.extraction import extract

logger = logging.getLogger(__name__)

SOURCE_TYPES = ("district_site", "board_minutes", "job_posting", "state_policy")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "detect",
        help="detect signals in a local HTML, PDF or text file",
        description="Print the page result (JSON) for one file, or one result a line for "
                    "each entry of a JSON Lines manifest.",
    )
    parser.add_argument("path", nargs="?", type=Path, help="HTML, PDF or plain-text file")
    parser.add_argument("--url", help="the page's URL (default: the file's file:// URL)")
    parser.add_argument("--source-type", default="district_site", choices=SOURCE_TYPES,
                        help="kind of page (default: district_site)")
    parser.add_argument("--state", help="two-letter code of the page's state, such as NH")
    parser.add_argument("--manifest", type=Path,
                        help='JSON Lines file of {"path", "url", "source_type", "state"} objects')
    parser.set_defaults(handler=run)


def _check_state(state: str | None, where: str) -> str | None:
    if state in (None, ""):
        return None
    if not isinstance(state, str) or len(state) != 2 or not state.isalpha():
        raise InputError(f"invalid state {state!r} in {where}: expected a two-letter code such as NH")
    return state.upper()


def _check_source_type(source_type: str | None, where: str) -> str:
    if source_type in (None, ""):
        return "district_site"
    if source_type not in SOURCE_TYPES:
        raise InputError(f"invalid source_type {source_type!r} in {where}: expected one of "
                         + ", ".join(SOURCE_TYPES))
    return source_type


def page_result(path: Path, *, url: str | None, source_type: str, state: str | None) -> dict:
    """Build the page result for one file; a file that cannot be read gets an `error` field."""
    url = url or path.resolve().as_uri()
    result = {"path": str(path), "url": url, "source_type": source_type,
              "published_at": None, "cbe_stage": None, "signals": []}
    try:
        body = path.read_bytes()
    except OSError as error:
        result["error"] = f"cannot read {path}: {error.strerror or error}"
        return result
    page = extract(body, url=url, source_type=source_type)
    if page.error:
        result["error"] = page.error
        return result
    detection = detect(page.text, url=url, source_type=source_type, state=state,
                       published_at=page.published_at, page_starts=page.page_starts)
    result["published_at"] = page.published_at
    result["cbe_stage"] = detection.cbe_stage
    result["signals"] = detection.signals
    return result


def _manifest_entries(manifest: Path):
    try:
        handle = manifest.open(encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot open manifest {manifest}: {error.strerror or error}") from error
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{manifest} line {number}"
            try:
                entry = json.loads(line)
            except json.JSONDecodeError as error:
                raise InputError(f"invalid JSON in {where}: {error.msg}") from error
            if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
                raise InputError(f'missing "path" in {where}: expected an object with a "path" string')
            yield entry, where


def run(args: argparse.Namespace) -> int:
    if args.manifest and args.path:
        raise InputError("give either PATH or --manifest FILE, not both")
    if args.manifest:
        for entry, where in _manifest_entries(args.manifest):
            path = Path(entry["path"])
            if not path.is_absolute():
                path = args.manifest.parent / path
            result = page_result(
                path, url=entry.get("url"),
                source_type=_check_source_type(entry.get("source_type"), where),
                state=_check_state(entry.get("state"), where))
            result["path"] = entry["path"]
            sys.stdout.write(json.dumps(result) + "\n")
            sys.stdout.flush()
        return 0
    if args.path is None:
        raise InputError("missing PATH: give a file to read, or --manifest FILE")
    if not args.path.is_file():
        raise InputError(f"file not found: {args.path}")
    result = page_result(args.path, url=args.url,
                         source_type=_check_source_type(args.source_type, "--source-type"),
                         state=_check_state(args.state, "--state"))
    print(json.dumps(result, indent=2))
    return 0
