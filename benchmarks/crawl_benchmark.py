"""Measure the districts crawl against generated sites on 127.0.0.1, and record it in docs/benchmarks.md.

One run measures:

1. throughput: `scrapy crawl districts` (fetch, extraction, detection,
   storage) against benchmarks/bare_spider.py, which fetches the same pages
   and does nothing with them, in pages per second;
2. the re-crawl: a second `scrapy crawl districts` of the unchanged sites into
   the same database, its 304 responses and skipped pages, and its bytes and
   time as fractions of the first crawl's;
3. peak memory: the peak resident set size (VmHWM in /proc) of the crawl's
   process and of each process it starts (the page analysis worker), in the
   first crawl and in a crawl of `--memory-districts` smaller sites;
4. from those, an estimate of the hours a crawl of every US district takes at
   the default politeness settings.

Both throughput crawls use the same settings without politeness (see
`COMMON_SETTINGS`). Requests for any host but 127.0.0.1 go to a closed
port, through the proxy variables, so nothing leaves the machine.

    .venv/bin/python benchmarks/crawl_benchmark.py [--districts 200] [--pages 30]
        [--memory-districts 2000] [--memory-pages 8] [--no-sitemaps] [--profile]
        [--timeout 900] [--workdir FOLDER] [--output docs/benchmarks.md] [--no-write]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import pstats
import re
import shlex
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import scrapy

from district_sites import SiteFarm, build_sites

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from crawlers import settings as crawl_settings  # noqa: E402 - needs the project on the path
BENCHMARKS = Path(__file__).resolve().parent
SECTION = "## Crawl throughput, re-crawl and memory"

# Settings of every benchmark crawl, bare or full. CONCURRENT_REQUESTS_PER_DOMAIN
# equals CONCURRENT_REQUESTS because Scrapy's download slot is the host name
# without the port, so all the sites on 127.0.0.1 share one slot.
COMMON_SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS": "32",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "32",
    "CRAWL_ALLOW_NETWORKS": "127.0.0.1/32",
    "ROBOTSTXT_OBEY": "True",
    "DOWNLOAD_TIMEOUT": "30",
    "LOG_LEVEL": "INFO",
    "TELNETCONSOLE_ENABLED": "False",
    "REMOTE_CONTROL_ENABLED": "False",
    "EXTENSIONS": json.dumps({"stats_file.StatsFile": 0}),
}

# The project's own extension (progress lines).
PROJECT_EXTENSIONS = {"crawlers.extensions.DistrictProgress": 500}

# Scrapy's HttpProxyMiddleware sends any host but 127.0.0.1 to port 9, where
# nothing listens. An empty suffix-list source keeps tldextract offline in the
# bare spider as well (crawlers/__init__.py sets it for the districts crawl).
OFFLINE_ENVIRONMENT = {
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "no_proxy": "127.0.0.1,localhost",
    "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "",
    "K12SIGNALS_CONTACT": "benchmark@example.org",
}

# The districts crawl's own value, for the tuned bare run.
CRAWL_CONCURRENT_ITEMS = crawl_settings.CONCURRENT_ITEMS

# Defaults of crawlers/settings.py that the estimate of a full crawl uses.
POLITE_DELAY_SECONDS = 1.0
POLITE_CONCURRENT_REQUESTS = 16
PAGES_PER_DISTRICT = 150
US_DISTRICTS = 13_700

# Functions whose cumulative time the --profile summary reports, by file and name.
# The profiled crawl runs with ANALYSIS_WORKERS=0, so that extraction and
# detection run on the crawl's thread, which cProfile measures.
PROFILED_STAGES = [
    ("extraction", "k12signals/extraction/__init__.py", "extract"),
    ("detection", "k12signals/detection/__init__.py", "detect"),
    ("storage", "k12signals/storage.py", "store_page"),
    ("incremental look-up", "k12signals/storage.py", "stored_page_fingerprint"),
    ("link reading", "crawlers/links.py", "page_links"),
]


@dataclass
class CrawlRun:
    label: str
    command: list[str]
    returncode: int
    wall_seconds: float
    cpu_seconds: float
    max_rss_mb: float
    """Sum of the peak resident sizes of the crawl's process and its child processes."""
    process_peaks_mb: dict[str, float]
    """Peak resident size of each process of the crawl, by its role."""
    stats: dict
    log_path: Path
    load_average: float
    """One-minute load average of the machine when the crawl ended; other work on the machine slows the crawl."""

    @property
    def elapsed(self) -> float:
        """Seconds from the engine's start to its stop, without interpreter start-up and imports."""
        return float(self.stats.get("elapsed_time_seconds") or self.wall_seconds)

    @property
    def responses(self) -> int:
        return int(self.stats.get("downloader/response_count", 0))

    @property
    def response_bytes(self) -> int:
        return int(self.stats.get("downloader/response_bytes", 0))

    @property
    def pages_per_second(self) -> float:
        return self.responses / self.elapsed

    def status_count(self, status: int) -> int:
        return int(self.stats.get(f"downloader/response_status_count/{status}", 0))


def write_registry(path: Path, sites) -> Path:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["nces_id", "name", "state", "website"])
        for site in sites:
            writer.writerow([site.nces_id, site.name, site.state, site.website])
    return path


def scrapy_environment() -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if key != "SCRAPY_SETTINGS_MODULE"}
    environment.update(OFFLINE_ENVIRONMENT)
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(BENCHMARKS), environment.get("PYTHONPATH")]))
    return environment


def setting_arguments(settings: dict[str, str]) -> list[str]:
    arguments = []
    for name, value in settings.items():
        arguments += ["-s", f"{name}={value}"]
    return arguments


def run_scrapy(label: str, command: list[str], cwd: Path, workdir: Path, timeout: float) -> CrawlRun:
    """Run one crawl to its end (killed after `timeout` seconds) and collect its stats and resource use."""
    stats_path = workdir / f"{label}.stats.json"
    log_path = workdir / f"{label}.log"
    stats_path.unlink(missing_ok=True)
    command = command + ["-s", f"STATS_FILE={stats_path}"]
    print(f"[{label}] {shlex.join(command)}", flush=True)

    started = time.perf_counter()
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(command, cwd=cwd, env=scrapy_environment(), stdout=log, stderr=subprocess.STDOUT)
        timer = threading.Timer(timeout, process.kill)
        timer.start()
        peaks = PeakMemory(process.pid)
        peaks.start()
        try:
            # wait4 gives the CPU time. Its ru_maxrss is not used, because Linux
            # copies into it the peak of the benchmark's own process, which
            # contains every generated site, when the child executes scrapy.
            _pid, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
            peaks.stop()
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started

    stats = json.loads(stats_path.read_text(encoding="utf-8")) if stats_path.exists() else {}
    process_peaks = peaks.peaks_by_role()
    run = CrawlRun(label, command, process.returncode, wall, usage.ru_utime + usage.ru_stime,
                   sum(process_peaks.values()), process_peaks, stats, log_path, os.getloadavg()[0])
    print(f"[{label}] exit {run.returncode}, {run.responses} responses in {run.elapsed:.1f} s "
          f"({run.pages_per_second:.1f}/s), {run.response_bytes / 1e6:.1f} MB, CPU {run.cpu_seconds:.1f} s, "
          f"peak RSS {run.max_rss_mb:.0f} MB ({describe_peaks(run.process_peaks_mb)}), "
          f"load {run.load_average:.1f}", flush=True)
    if run.returncode != 0 or not stats:
        raise SystemExit(f"[{label}] crawl failed with exit status {run.returncode}; see {log_path}")
    return run


class PeakMemory:
    """Follow the peak resident size (VmHWM) of a process and of every process below it.

    VmHWM only grows, so the last value read before a process ends is its
    peak, to within the polling interval.
    """

    def __init__(self, root_pid: int, interval: float = 0.2):
        self.root_pid = root_pid
        self.interval = interval
        self.peaks_kb: dict[int, int] = {}
        self.depths: dict[int, int] = {}
        self.finished = threading.Event()
        self.thread = threading.Thread(target=self.poll, name="peak-memory", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.finished.set()
        self.thread.join()

    def poll(self) -> None:
        while not self.finished.is_set():
            for pid, depth in self.process_tree().items():
                peak = read_peak_kb(pid)
                if peak is not None:
                    self.peaks_kb[pid] = max(peak, self.peaks_kb.get(pid, 0))
                    self.depths[pid] = depth
            self.finished.wait(self.interval)

    def process_tree(self) -> dict[int, int]:
        """Find the root process and its descendants, each with its depth below the root."""
        parents = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                        # The command name in parentheses may hold spaces; the parent id follows the state.
                        fields = stat.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                parents[int(entry)] = int(fields[1])
        tree = {self.root_pid: 0}
        frontier = [self.root_pid]
        while frontier:
            pid = frontier.pop()
            for child, parent in parents.items():
                if parent == pid and child not in tree:
                    tree[child] = tree[pid] + 1
                    frontier.append(child)
        return tree

    def peaks_by_role(self) -> dict[str, float]:
        """Peak megabytes by role.

        The crawl is the root. Its children are multiprocessing's resource
        tracker and forkserver ("helpers"), and the forkserver's children are
        the analysis workers.
        """
        roles: dict[str, float] = {}
        for pid, peak_kb in self.peaks_kb.items():
            role = {0: "crawl", 1: "helpers"}.get(self.depths[pid], "workers")
            roles[role] = roles.get(role, 0.0) + peak_kb / 1024
        return roles


def read_peak_kb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def describe_peaks(peaks: dict[str, float]) -> str:
    return ", ".join(f"{role} {megabytes:.0f}" for role, megabytes in sorted(peaks.items()))


def districts_command(registry: Path, database: Path, profile_path: Path | None = None) -> list[str]:
    prefix = [sys.executable]
    if profile_path is not None:
        prefix += ["-m", "cProfile", "-o", str(profile_path)]
    # EXTENSIONS on the command line replaces the project's, so name them again.
    extensions = {**json.loads(COMMON_SETTINGS["EXTENSIONS"]), **PROJECT_EXTENSIONS}
    return prefix + ["-m", "scrapy", "crawl", "districts", "-a", f"registry={registry}"] + setting_arguments(
        {**COMMON_SETTINGS, "EXTENSIONS": json.dumps(extensions), "SIGNALS_DB": str(database)}
    )


def bare_command(registry: Path) -> list[str]:
    return [sys.executable, "-m", "scrapy", "runspider", str(BENCHMARKS / "bare_spider.py"),
            "-a", f"registry={registry}"] + setting_arguments(COMMON_SETTINGS)


def signal_counts(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as connection:
        return dict(connection.execute("select kind, count(*) from signals group by kind order by kind").fetchall())


def profile_summary(profile_path: Path) -> list[tuple[str, float]]:
    """Cumulative seconds of each stage in PROFILED_STAGES, from a cProfile output file."""
    stats = pstats.Stats(str(profile_path))
    totals = []
    for label, file_suffix, function in PROFILED_STAGES:
        seconds = 0.0
        for (filename, _line, name), (_calls, _primitive, _total, cumulative, _callers) in stats.stats.items():
            if name == function and filename.endswith(file_suffix):
                seconds += cumulative
        totals.append((label, seconds))
    return totals


def measure(args, workdir: Path) -> dict:
    print(f"Generating {args.districts} sites of about {args.pages} documents", flush=True)
    sites = build_sites(args.districts, args.pages, sitemaps=not args.no_sitemaps)
    results: dict = {"sites": len(sites), "documents": sum(len(site.documents) for site in sites)}
    database = workdir / "signals.db"
    database.unlink(missing_ok=True)

    with SiteFarm(sites):
        registry = write_registry(workdir / "registry.csv", sites)
        bare_before = run_scrapy("bare-1", bare_command(registry), workdir, workdir, args.timeout)
        results["first"] = run_scrapy("first", districts_command(registry, database), REPO, workdir, args.timeout)
        results["second"] = run_scrapy("second", districts_command(registry, database), REPO, workdir, args.timeout)
        # The bare spider runs again after the districts crawls, and the faster
        # of its two runs is the baseline, so that a slow moment of the machine
        # does not flatter the ratio.
        bare_after = run_scrapy("bare-2", bare_command(registry), workdir, workdir, args.timeout)
        results["bare"] = max(bare_before, bare_after, key=lambda run: run.pages_per_second)
        results["bare_runs"] = [bare_before, bare_after]
        # The districts crawl sets CONCURRENT_ITEMS below Scrapy's default. A bare
        # run with the same value shows how much of the ratio that setting explains.
        results["bare_tuned"] = run_scrapy(
            "bare-tuned", bare_command(registry) + ["-s", f"CONCURRENT_ITEMS={CRAWL_CONCURRENT_ITEMS}"],
            workdir, workdir, args.timeout,
        )
        results["signals"] = signal_counts(database)
        if args.profile:
            profile_database = workdir / "profiled.db"
            profile_database.unlink(missing_ok=True)
            profile_path = workdir / "first.prof"
            profiled = run_scrapy("profiled", districts_command(registry, profile_database, profile_path)
                                  + ["-s", "ANALYSIS_WORKERS=0"], REPO, workdir, args.timeout)
            results["profile"] = (profiled, profile_summary(profile_path))

    if args.memory_districts:
        print(f"Generating {args.memory_districts} sites of about {args.memory_pages} documents", flush=True)
        big_sites = build_sites(args.memory_districts, args.memory_pages, sitemaps=not args.no_sitemaps)
        results["big_documents"] = sum(len(site.documents) for site in big_sites)
        big_database = workdir / "memory.db"
        big_database.unlink(missing_ok=True)
        with SiteFarm(big_sites):
            registry = write_registry(workdir / "registry-memory.csv", big_sites)
            results["big"] = run_scrapy("memory", districts_command(registry, big_database), REPO, workdir,
                                        args.timeout)
    return results


def estimate_hours(cpu_bound_pages_per_second: float) -> tuple[float, float, float]:
    """Pages per second and hours of a crawl of every US district at the default politeness settings.

    Scrapy sends one request per DOWNLOAD_DELAY to each download slot, and
    AutoThrottle never goes below DOWNLOAD_DELAY. At most CONCURRENT_REQUESTS
    requests are in the downloader, waiting ones included, so at most that many
    hosts progress at a time: the politeness bound is CONCURRENT_REQUESTS /
    DOWNLOAD_DELAY pages per second. The crawl runs at the lower of that bound
    and the rate at which this machine processes pages.
    """
    polite_rate = POLITE_CONCURRENT_REQUESTS / POLITE_DELAY_SECONDS
    rate = min(polite_rate, cpu_bound_pages_per_second)
    requests = US_DISTRICTS * (PAGES_PER_DISTRICT + 2)  # robots.txt and /sitemap.xml per district
    return polite_rate, rate, requests / rate / 3600


def verdict(met: bool) -> str:
    return "met" if met else "**missed**"


def render(results: dict, args, command: str) -> str:
    bare, first, second = results["bare"], results["first"], results["second"]
    throughput_ratio = first.pages_per_second / bare.pages_per_second
    tuned_ratio = first.pages_per_second / results.get("bare_tuned", bare).pages_per_second
    bytes_ratio = second.response_bytes / first.response_bytes
    time_ratio = second.elapsed / first.elapsed
    not_modified = second.status_count(304)
    skipped = int(second.stats.get("k12signals/incremental/unchanged_200", 0))
    skipped_by_sitemap = int(second.stats.get("k12signals/incremental/skipped_by_sitemap", 0))
    sitemap_note = ("Each site publishes /sitemap.xml with a `lastmod` for every document."
                    if not args.no_sitemaps else "The sites publish no sitemap (`--no-sitemaps`).")
    polite_rate, rate, hours = estimate_hours(first.pages_per_second)
    requests = US_DISTRICTS * (PAGES_PER_DISTRICT + 2)
    signals = ", ".join(f"{kind} {count}" for kind, count in results["signals"].items()) or "none"

    lines = [
        SECTION,
        "",
        f"Measured {dt.date.today().isoformat()} on a {os.cpu_count()}-core machine with "
        f"{total_memory_gb():.0f} GB of memory ({platform.machine()}, Python {platform.python_version()}, "
        f"Scrapy {scrapy.__version__}), against {results['sites']} generated district sites with "
        f"{results['documents']} documents in all (HTML pages and fpdf2 PDFs; benchmarks/district_sites.py), "
        "each site on its own port of 127.0.0.1:",
        "",
        f"    {command}",
        "",
        "Every crawl ran with `DOWNLOAD_DELAY=0`, `AUTOTHROTTLE_ENABLED=False`, `CONCURRENT_REQUESTS=32`, "
        "`CONCURRENT_REQUESTS_PER_DOMAIN=32`, `ROBOTSTXT_OBEY=True` and "
        "`CRAWL_ALLOW_NETWORKS=127.0.0.1/32`. The per-domain limit equals the global one because Scrapy's "
        "download slot is the host name without the port, so all the sites share one slot. Pages per second "
        "are responses over Scrapy's `elapsed_time_seconds`, which leaves out interpreter start-up. "
        f"The sites are served from the benchmark's own process, on the same {os.cpu_count()} cores. " + sitemap_note,
        "",
        "| crawl | responses | seconds | pages/s | MB received | CPU s | peak RSS MB | of which crawl / workers / helpers | load |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    bare_runs = results.get("bare_runs", [bare])
    runs = [(f"bare Scrapy spider (benchmarks/bare_spider.py), run {number}", run)
            for number, run in enumerate(bare_runs, start=1)]
    if "bare_tuned" in results:
        runs.append((f"bare Scrapy spider with CONCURRENT_ITEMS={CRAWL_CONCURRENT_ITEMS}", results["bare_tuned"]))
    runs += [("districts, first crawl", first), ("districts, second crawl, sites unchanged", second)]
    if "big" in results:
        runs.append((f"districts, {args.memory_districts} sites of {args.memory_pages} documents", results["big"]))
    for name, run in runs:
        lines.append(f"| {name} | {run.responses} | {run.elapsed:.1f} | {run.pages_per_second:.1f} | "
                     f"{run.response_bytes / 1e6:.1f} | {run.cpu_seconds:.1f} | {run.max_rss_mb:.0f} | "
                     f"{run.process_peaks_mb.get('crawl', 0):.0f} / {run.process_peaks_mb.get('workers', 0):.0f} / "
                     f"{run.process_peaks_mb.get('helpers', 0):.0f} | "
                     f"{run.load_average:.1f} |")
    lines += [
        "",
        f"- Throughput: the districts crawl runs at {throughput_ratio:.2f} of the pages per second of the bare "
        "spider's faster run "
        f"(aim 0.8 or better: {verdict(throughput_ratio >= 0.8)}). The bare spider runs with Scrapy's defaults; "
        f"against the bare run with CONCURRENT_ITEMS={CRAWL_CONCURRENT_ITEMS}, as the districts crawl sets it, "
        f"the ratio is {tuned_ratio:.2f}. The bare spider finds links with Scrapy's `LinkExtractor`, and the "
        "districts crawl with its own smaller reader (`crawlers/links.py`), which accounts for part of both ratios.",
        f"- Second crawl: {skipped_by_sitemap} pages were skipped with no request, because their sitemap "
        f"`lastmod` predates their last fetch. Of its {second.responses} responses (robots.txt, sitemap and "
        f"pages), {not_modified} were 304, and {skipped} more pages were skipped because their body hash had "
        f"not changed. It received {bytes_ratio:.1%} of the first crawl's "
        f"bytes (aim at most 15%: {verdict(bytes_ratio <= 0.15)}) in {time_ratio:.1%} of its time "
        f"(aim at most 25%: {verdict(time_ratio <= 0.25)}).",
        f"- Signals stored by the first crawl: {signals}.",
    ]
    if "big" in results:
        big = results["big"]
        growth = big.max_rss_mb / first.max_rss_mb
        lines.append(
            f"- Peak memory: {first.max_rss_mb:.0f} MB at {results['sites']} districts, {big.max_rss_mb:.0f} MB at "
            f"{args.memory_districts} districts with {args.memory_pages} documents each "
            f"({results['big_documents']} documents), {growth:.2f} times the first. The aims are under 400 MB "
            f"({verdict(big.max_rss_mb < 400)}) and at most 1.5 times ({verdict(growth <= 1.5)}). Each figure is "
            "the sum of the peak resident sizes (VmHWM, read from /proc every 0.2 s) of the crawl's process, "
            "its analysis worker and multiprocessing's two helper processes."
        )
    if "profile" in results:
        profiled, stages = results["profile"]
        shares = ", ".join(f"{label} {seconds:.1f} s" for label, seconds in stages)
        lines.append(
            f"- Where the first crawl's time goes (cProfile, cumulative, of {profiled.elapsed:.1f} s "
            f"under the profiler): {shares}."
        )
    lines += [
        "",
        "Estimate of a crawl of all US districts at the default politeness settings "
        f"(`DOWNLOAD_DELAY` {POLITE_DELAY_SECONDS:g} s, 2 requests per host, `CONCURRENT_REQUESTS` "
        f"{POLITE_CONCURRENT_REQUESTS}, about {PAGES_PER_DISTRICT} pages per district):",
        "",
        f"- requests: {US_DISTRICTS:,} districts × ({PAGES_PER_DISTRICT} pages + robots.txt + sitemap) = {requests:,};",
        f"- politeness bound: Scrapy sends at most one request per `DOWNLOAD_DELAY` to a host, and at most "
        f"{POLITE_CONCURRENT_REQUESTS} requests wait in or pass through the downloader, so at most "
        f"{POLITE_CONCURRENT_REQUESTS} hosts progress at once: {polite_rate:.0f} pages/s;",
        f"- processing bound: {first.pages_per_second:.1f} pages/s, the first crawl above;",
        f"- so about {rate:.1f} pages/s, and {requests:,} / {rate:.1f} / 3600 = **{hours:.0f} hours** "
        f"({hours / 24:.1f} days).",
        "",
        "This is an estimate. It assumes that district servers answer within the 1 s delay and that "
        "AutoThrottle keeps the delay at its minimum; slower servers raise AutoThrottle's delay and the hours. "
        "Real pages are larger than the generated ones, and the Detection speed section measures "
        "extraction and detection of real pages at about 100 pages/s on one core, well above the politeness bound.",
    ]
    return "\n".join(lines) + "\n"


def total_memory_gb() -> float:
    with open("/proc/meminfo", encoding="ascii") as meminfo:
        kilobytes = int(meminfo.readline().split()[1])
    return kilobytes / 1024 / 1024


def write_section(markdown: str, target: Path) -> None:
    """Replace this benchmark's section of the target file, or append it, and keep the other sections."""
    existing = target.read_text(encoding="utf-8") if target.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(SECTION) + r"\n.*?(?=\n## |\Z)", re.DOTALL)
    if pattern.search(existing):
        updated = pattern.sub(lambda _match: markdown.rstrip("\n"), existing)
    else:
        updated = existing.rstrip("\n") + "\n\n" + markdown
    target.write_text(updated.rstrip("\n") + "\n", encoding="utf-8")


def whole_number(minimum: int):
    """Build an argparse type for a whole number of at least `minimum`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid value {text!r}; expected a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"invalid value {value}; expected {minimum} or more")
        return value

    return parse


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--districts", type=whole_number(1), default=200, help="sites of the throughput and re-crawl runs")
    parser.add_argument("--pages", type=whole_number(8), default=30, help="documents per site, at least 8")
    parser.add_argument("--memory-districts", type=whole_number(0), default=2000,
                        help="sites of the memory run; 0 skips it")
    parser.add_argument("--memory-pages", type=whole_number(8), default=8, help="documents per site of the memory run")
    parser.add_argument("--no-sitemaps", action="store_true",
                        help="sites without /sitemap.xml, so that a re-crawl sends a conditional request per page")
    parser.add_argument("--profile", action="store_true",
                        help="run the first crawl once more under cProfile and report where its time goes")
    parser.add_argument("--timeout", type=float, default=900, help="seconds before a crawl is killed")
    parser.add_argument("--workdir", type=Path, help="folder for logs, stats and databases (default: a new temporary one)")
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "benchmarks.md",
                        help="Markdown file whose section on this benchmark is rewritten")
    parser.add_argument("--no-write", action="store_true", help="print the section instead of writing it")
    args = parser.parse_args()

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="crawl-benchmark-"))
    try:
        workdir.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        parser.error(f"--workdir {workdir} is a file or lies below one; give a folder")
    print(f"Logs, stats and databases in {workdir}", flush=True)
    command = ".venv/bin/python benchmarks/crawl_benchmark.py " + shlex.join(sys.argv[1:])
    results = measure(args, workdir)
    markdown = render(results, args, command.strip())
    if args.no_write:
        print(markdown)
    else:
        write_section(markdown, args.output)
        print(markdown)
        print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
