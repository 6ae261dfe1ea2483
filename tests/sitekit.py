"""Serve test web sites on 127.0.0.1 and run real crawls against them.

`SiteServer` serves a dict of routes from a thread and records every request
it receives, with its headers, so tests can assert what the crawler fetched
and what it did not. `run_crawl` runs `scrapy crawl districts` as a user
would, in a subprocess started from the repository root, with a proxy setting
that sends any request for a host other than 127.0.0.1 to a closed port.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"

# Settings that make a test crawl fast without changing what it fetches.
FAST_CRAWL_SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_START_DELAY": "0",
    "AUTOTHROTTLE_MAX_DELAY": "1",
    "RETRY_BACKOFF_BASE": "0.05",
    "RETRY_BACKOFF_MAX": "0.2",
    "DOWNLOAD_TIMEOUT": "10",
    "LOG_LEVEL": "INFO",
    # The test sites are on loopback, which the crawl refuses by default.
    "CRAWL_ALLOW_NETWORKS": "127.0.0.1/32",
}


# Scrapy's HttpProxyMiddleware reads these variables. A request for any host
# but 127.0.0.1 goes to port 9 on the loopback address, where nothing listens,
# so a crawl under test fails that request instead of reaching the internet.
OFFSITE_GUARD_ENVIRONMENT = {
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "no_proxy": "127.0.0.1,localhost",
}


@dataclass
class Route:
    """A response to serve. A callable body gets the request path and returns the
    body, or another Route to serve in its place (to vary status and headers
    from one request to the next)."""

    body: bytes | str | Callable[[str], "bytes | str | Route"]
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


class SiteServer:
    """An HTTP server on 127.0.0.1 with fixed routes; unknown paths answer 404.

    A route with an ETag header returns 304 to a request whose If-None-Match matches it.
    """

    def __init__(self, routes: dict[str, Route] | None = None):
        self.routes: dict[str, Route] = dict(routes or {})
        self.requests: list[str] = []
        self.request_headers: list[tuple[str, dict[str, str]]] = []
        self.request_times: list[tuple[str, float]] = []
        """Each request's path and arrival time (time.monotonic)."""
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                with server.lock:
                    server.requests.append(self.path)
                    server.request_headers.append((self.path, dict(self.headers.items())))
                    server.request_times.append((self.path, time.monotonic()))
                parts = urlsplit(self.path)
                route = server.routes.get(self.path) or server.routes.get(parts.path)
                if route is None:
                    self._send(404, "text/html", b"<html><body><h1>Not found</h1></body></html>", {})
                    return
                body = route.body(self.path) if callable(route.body) else route.body
                if isinstance(body, Route):
                    route, body = body, body.body
                if isinstance(body, str):
                    body = body.encode("utf-8")
                etag = route.headers.get("ETag")
                if etag is not None and self.headers.get("If-None-Match") == etag:
                    self._send(304, route.content_type, b"", {"ETag": etag})
                    return
                self._send(route.status, route.content_type, body, route.headers)

            def _send(self, status, content_type, body, headers):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def base_url(self) -> str:
        return f"http://{self.host}"

    def __enter__(self) -> "SiteServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def requested_paths(self) -> list[str]:
        with self.lock:
            return list(self.requests)

    def headers_of(self, path: str) -> list[dict[str, str]]:
        """Headers of each request for `path` (path and query), in arrival order."""
        with self.lock:
            return [headers for requested, headers in self.request_headers if requested == path]


def write_registry(path: Path, rows: list[dict]) -> Path:
    columns = ["nces_id", "name", "state", "website"]
    lines = [",".join(columns)]
    for row in rows:
        lines.append(",".join(str(row.get(column, "")) for column in columns))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass
class CrawlResult:
    returncode: int
    log: str
    feed: list[dict]
    stdout: str = ""
    stderr: str = ""


def run_crawl(
    database: Path,
    *spider_arguments: str,
    settings: dict[str, str] | None = None,
    feed: Path | None = None,
    timeout: int = 240,
    spider: str = "districts",
) -> CrawlResult:
    """Run `scrapy crawl` in a subprocess from the repository root and return its log."""
    command = [sys.executable, "-m", "scrapy", "crawl", spider]
    for argument in spider_arguments:
        command += ["-a", argument]
    merged = {**FAST_CRAWL_SETTINGS, "SIGNALS_DB": str(database), **(settings or {})}
    for name, value in merged.items():
        command += ["-s", f"{name}={value}"]
    if feed is not None:
        command += ["-O", str(feed)]
    environment = {**os.environ, **OFFSITE_GUARD_ENVIRONMENT, "K12SIGNALS_CONTACT": "tests@example.org"}
    completed = subprocess.run(
        command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout, env=environment
    )
    items = []
    if feed is not None and feed.exists():
        items = [json.loads(line) for line in feed.read_text(encoding="utf-8").splitlines() if line.strip()]
    return CrawlResult(
        completed.returncode, completed.stdout + completed.stderr, items, completed.stdout, completed.stderr
    )
