"""A version string for the detectors: changes whenever their code or vocabulary changes.

Each stored page records the version that produced its signals, so a crawl
or `k12signals reprocess` can tell which pages to detect again from their
stored text.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent
HASHED_FOLDERS = ("detection", "extraction")
VOCABULARY_VARIABLE = "K12SIGNALS_VOCABULARY"


@lru_cache(maxsize=1)
def detector_version() -> str:
    """Hash of the detection and extraction code, the vocabulary and any user vocabulary file."""
    digest = hashlib.sha256()
    for folder in HASHED_FOLDERS:
        for path in sorted((PACKAGE_ROOT / folder).glob("*")):
            if path.suffix in (".py", ".toml"):
                digest.update(path.name.encode("utf-8"))
                digest.update(path.read_bytes())
    extra = os.environ.get(VOCABULARY_VARIABLE)
    if extra and Path(extra).is_file():
        digest.update(Path(extra).read_bytes())
    return digest.hexdigest()[:16]
