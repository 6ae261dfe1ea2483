"""The project's HTTP download handler (crawlers/handlers.py)."""

from __future__ import annotations

import subprocess
import sys

from crawlers import settings as project_settings
from tests.sitekit import REPO_ROOT

# The handler needs an installed Twisted reactor, so it is built in a process of its own.
BUILD_HANDLER = """
from scrapy.utils.reactor import install_reactor
install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
from scrapy.utils.test import get_crawler
from crawlers.handlers import HTTPDownloadHandler
handler = HTTPDownloadHandler(get_crawler(settings_dict={"HTTP_IDLE_CONNECTION_TIMEOUT": 7.5}))
print(handler._pool.cachedConnectionTimeout)
"""


def test_idle_connection_timeout_from_settings():
    completed = subprocess.run(
        [sys.executable, "-c", BUILD_HANDLER], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "7.5"


def test_project_uses_handler_for_http_and_https():
    assert project_settings.DOWNLOAD_HANDLERS == {
        "http": "crawlers.handlers.HTTPDownloadHandler",
        "https": "crawlers.handlers.HTTPDownloadHandler",
    }
    assert project_settings.HTTP_IDLE_CONNECTION_TIMEOUT == 15.0
