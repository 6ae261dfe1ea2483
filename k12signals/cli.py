"""The `k12signals` command: registry import, page detection and database reports.

Each subcommand lives in a module of `k12signals.commands` that exposes
`register(subparsers)`; the module sets `handler` on its parser, and `main`
calls it with the parsed arguments.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from k12signals import __version__
from k12signals.errors import InputError

COMMAND_MODULES = ["districts", "detect", "feed", "segments", "reprocess", "status", "boards"]

logger = logging.getLogger("k12signals")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="k12signals",
        description="Find competency-based education signals on US school district web sites.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log debug messages to standard error"
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"k12signals.commands.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return args.handler(args) or 0
    except InputError as error:
        print(f"k12signals: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("k12signals: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
