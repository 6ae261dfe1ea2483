"""A version string for the detectors: changes whenever their code or vocabulary changes.

Each stored page records the version that produced its signals, so a crawl
or `k12signals reprocess` can tell which pages to detect again from their
stored text.
"""

from __future__ import annotations

import hashlib
import os
from importlib import resources
from functools import lru_cache
from pathlib import Path

# Packages whose code and data decide what the detectors report.
HASHED_PACKAGES = ("k12signals.detection", "k12signals.extraction")
VOCABULARY_VARIABLE = "K12SIGNALS_VOCABULARY"


@lru_cache(maxsize=1)
def detector_version() -> str:
    """Hash of the detection and extraction code, the vocabulary and any user vocabulary file.

    The files are read through importlib.resources, so the version is the
    same when the project runs from a zipped egg, as Scrapyd runs it.
    """
    digest = hashlib.sha256()
    for package in HASHED_PACKAGES:
        entries = sorted(resources.files(package).iterdir(), key=lambda entry: entry.name)
        for entry in entries:
            if entry.is_file() and entry.name.endswith((".py", ".toml")):
                digest.update(entry.name.encode("utf-8"))
                digest.update(entry.read_bytes())
    extra = os.environ.get(VOCABULARY_VARIABLE)
    if extra and Path(extra).is_file():
        digest.update(Path(extra).read_bytes())
    return digest.hexdigest()[:16]
