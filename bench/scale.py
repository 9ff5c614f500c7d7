"""The scale benchmark (`make bench-scale`): every page of a ten-year archive under load.

    python bench/scale.py [--incidents 10000] [--duration 5] [--connections 16]

Generates the archive (bench/generate.py) into DATABASE_URL, or into a new SQLite file when it
is unset; serves it with `postmortem serve` (gunicorn with its production defaults); loads each
page with wrk between two loads of `/healthz` in the same run, and prints requests per second,
p50 and p99 and the ratio to `/healthz` (the mean of the two). Then the CSV export's first
byte, the PDFs, and the workers' memory. Writes the table into docs/benchmarks.md, in the
section of this database.
"""

from __future__ import annotations

import argparse
import http.client
import http.cookiejar
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
DOC = ROOT / "docs" / "benchmarks.md"
PASSWORD = "bench-password-1"
BUSY_SERVICE = "payments-worker"  # the generator's busiest service (first in its weights)


@dataclass
class Page:
    name: str
    path: str
    auth: str = "session"  # "token", or "token+gzip" (a client that accepts gzip)
    heavy: bool = False  # the read view, the editor, the board, insights, the service page
    deploying: bool = False  # measured while a pipeline records a deployment every second

    @property
    def target(self) -> float:
        return 0.25 if self.heavy else 0.5


def pages(key: str, service: str, draft: str) -> list[Page]:
    return [
        Page("home", "/"),
        Page("incident list", "/incidents"),
        Page("incident list, page 200", "/incidents?page=200"),
        Page("incident list, filtered", f"/incidents?service={service}&severity=SEV2"),
        Page("read view", f"/incidents/{key}", heavy=True),
        # The read view's post-mortem is published (frozen): the editor opens a draft.
        Page("editor (a draft)", f"/incidents/{draft}/edit", heavy=True),
        Page("history", f"/incidents/{key}/history"),
        Page("review page", f"/incidents/{key}/review", heavy=True),
        Page("Markdown export", f"/incidents/{key}.md"),
        Page("retro board", "/action-items", heavy=True),
        Page("retro board, all statuses", "/action-items?status=all", heavy=True),
        Page("my action items", "/action-items/mine"),
        Page("presentation view", "/action-items/present", heavy=True),
        Page("services", "/services"),
        Page("busy service", f"/services/{service}", heavy=True),
        Page("insights", "/insights", heavy=True),
        Page("themes", "/themes"),
        Page("one theme", "/themes/config-change"),
        Page("search", "/incidents/search?q=certificate+expired"),
        Page("search, a version", "/incidents/search?q=4.2.1"),
        Page("users", "/admin/users"),
        Page("API incidents", "/api/v1/incidents", "token"),
        Page("API incidents, filtered", f"/api/v1/incidents?service={service}", "token"),
        Page("API incident", f"/api/v1/incidents/{key}", "token"),
        Page("API action items", "/api/v1/action-items", "token"),
        Page("API action-item stats", "/api/v1/action-items/stats", "token"),
        Page("API deployments", "/api/v1/deployments", "token"),
        Page("API services", "/api/v1/services", "token"),
        Page("API service", f"/api/v1/services/{service}", "token"),
        Page("API last known good", f"/api/v1/services/{service}/last-known-good"
             "?environment=production", "token"),
        Page("API suggested deployments", f"/api/v1/incidents/{key}/suggested-deployments",
             "token"),
        Page("API search", "/api/v1/search?q=replication+lag", "token"),
        Page("API themes", "/api/v1/themes", "token"),
        Page("API incidents, gzip accepted", "/api/v1/incidents", "token+gzip"),
        Page("API themes, gzip accepted", "/api/v1/themes", "token+gzip"),
        Page("API similar", f"/api/v1/incidents/{key}/similar", "token"),
        # Real use: CI records deployments all day. Pages that show none stay shared.
        Page("retro board, a deployment every second", "/action-items", heavy=True,
             deploying=True),
        Page("incident list, a deployment every second", "/incidents", deploying=True),
    ]


@dataclass
class Result:
    rps: float
    p50: float
    p99: float
    requests: int
    errors: int  # non-2xx/3xx answers
    timeouts: int


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    return float(match.group(1)) * UNITS[match.group(2)] if match else float("nan")


def wrk(url: str, headers: dict[str, str], duration: int, connections: int,
        script: Path | None = None) -> Result:
    command = ["wrk", "--latency", "-t", "2", "-c", str(connections), "-d", f"{duration}s",
               "--timeout", "30s"]
    if script is not None:
        command += ["-s", str(script)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    percent = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M))
    requests = re.search(r"(\d+) requests in", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    timeouts = re.search(r"timeout (\d+)", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return Result(float(rps.group(1)) if rps else 0.0, _ms(percent.get("50", "nan")),
                  _ms(percent.get("99", "nan")), int(requests.group(1)) if requests else 0,
                  int(errors.group(1)) if errors else 0, int(timeouts.group(1)) if timeouts else 0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def login(base: str) -> str:
    """The session cookie of the bench admin, logged in through the form."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    body = urllib.parse.urlencode({"csrf_token": token, "email": "person1@example.com",
                                   "password": PASSWORD}).encode()
    opener.open(f"{base}/login", body).read()
    cookie = next(c for c in jar if c.name == "session")
    return f"session={cookie.value}"


def first_draft(base: str, headers: dict[str, str]) -> str:
    """The key of the newest draft (the editor of a published post-mortem redirects)."""
    request = urllib.request.Request(f"{base}/api/v1/incidents?status=draft&per_page=1",
                                     headers=headers)
    with urllib.request.urlopen(request, timeout=60) as response:
        return str(json.load(response)["items"][0]["key"])


class Pipeline(threading.Thread):
    """Records a new deployment of a known service every second, as CI does, until stopped."""

    def __init__(self, base: str, headers: dict[str, str], service: str) -> None:
        super().__init__(daemon=True)
        self.base, self.headers, self.service = base, headers, service
        self.stopped = threading.Event()
        self.recorded = 0

    def run(self) -> None:
        while not self.stopped.wait(1.0):
            number = f"{time.time_ns()}"
            body = json.dumps({
                "service": self.service, "version": f"9.{number[-9:]}", "environment": "staging",
                "artifact": f"registry.example.com/{self.service}@sha256:{number:0>64}",
                "deployed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}).encode()
            request = urllib.request.Request(
                f"{self.base}/api/v1/deployments", data=body, method="POST",
                headers={**self.headers, "Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=30) as response:
                self.recorded += response.status == 201


def timed_get(base: str, path: str, headers: dict[str, str]) -> tuple[int, float, float, int]:
    """(status, seconds to the first byte, seconds to the last, bytes) of one GET."""
    parsed = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120)
    start = time.perf_counter()
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    response.read(1)
    first = time.perf_counter() - start
    size = 1 + len(response.read())
    total = time.perf_counter() - start
    connection.close()
    return response.status, first, total, size


def worker_memory_mb(master: int) -> float:
    """The largest resident set of the gunicorn workers (children of the master)."""
    biggest = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        ppid = re.search(r"^PPid:\s+(\d+)", text, re.M)
        rss = re.search(r"^VmRSS:\s+(\d+) kB", text, re.M)
        if ppid and rss and int(ppid.group(1)) == master:
            biggest = max(biggest, int(rss.group(1)))
    return biggest / 1024


def machine() -> str:
    cpu = "unknown CPU"
    info = Path("/proc/cpuinfo")
    if info.exists():
        match = re.search(r"model name\s*:\s*(.+)", info.read_text())
        cpu = match.group(1).strip() if match else cpu
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kb = int(re.search(r"MemTotal:\s+(\d+)", meminfo.read_text()).group(1))
        memory = f", {kb / 1024 / 1024:.0f} GB RAM"
    return (f"{os.cpu_count()} × {cpu}{memory}; {platform.platform(terse=True)}; "
            f"Python {platform.python_version()}")


def database_version(url: str) -> str:
    if url.startswith("sqlite"):
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    from sqlalchemy import create_engine, text

    with create_engine(url).connect() as connection:
        return "PostgreSQL " + connection.execute(text("SHOW server_version")).scalar().split()[0]


def wait_until_up(base: str, seconds: float = 30.0) -> None:
    """Until the server at base answers /healthz (or the time is up)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=1).read()
            return
        except OSError:
            time.sleep(0.1)


def write_section(label: str, body: str, kind: str = "scale") -> None:
    """Put body between the `<!-- {kind}:{label} -->` marks of docs/benchmarks.md."""
    start, end = f"<!-- {kind}:{label} -->", f"<!-- /{kind}:{label} -->"
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    block = f"{start}\n{body.rstrip()}\n{end}"
    if start in text:
        text = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    DOC.write_text(text)


@dataclass
class Archive:
    folder: Path
    url: str
    label: str  # "sqlite" or "postgresql"
    env: dict[str, str]
    generated: str  # what bench/generate.py said


def prepare_archive(reuse: str | None, incidents: int, prefix: str) -> Archive:
    """The generated archive in DATABASE_URL (or a new SQLite file), kept in and reused from
    the folder `reuse` when given (SQLite only), on the schema of the code being measured."""
    tmp = Path(reuse) if reuse else Path(tempfile.mkdtemp(prefix=prefix))
    tmp.mkdir(parents=True, exist_ok=True)
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/scale.db"
    label = "sqlite" if url.startswith("sqlite") else "postgresql"
    env = {**os.environ, "DATABASE_URL": url, "POSTMORTEM_INSTANCE_PATH": str(tmp)}
    reused = tmp / "generated.txt"
    if reuse and reused.exists() and url.startswith("sqlite"):
        generated = reused.read_text()
        print(f"== {label}: reusing the archive in {tmp}", flush=True)
        subprocess.run([str(BIN / "postmortem"), "init-db"], env=env, check=True,
                       capture_output=True)
    else:
        print(f"== {label}: generating {incidents:,} post-mortems", flush=True)
        generated = subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"),
                                    "--incidents", str(incidents),
                                    "--deployments", str(incidents * 5)],
                                   env=env, check=True, capture_output=True, text=True).stdout
        if reuse:
            reused.write_text(generated)
    print(generated.strip(), flush=True)
    return Archive(tmp, url, label, env, generated)


def main() -> None:  # noqa: PLR0915
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--duration", type=int, default=5, help="seconds of load per page")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: serve's own)")
    parser.add_argument("--only", help="measure only the pages whose name contains this")
    parser.add_argument("--no-write", action="store_true", help="do not update the doc")
    parser.add_argument("--reuse", help="a directory to keep the generated SQLite archive in, "
                        "and to reuse it from when it is there (for measuring again)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("error: wrk is missing (Debian: apt-get install wrk; `make bench-scale` does)")

    archive = prepare_archive(args.reuse, args.incidents, "postmortem-scale-")
    tmp, url, label, env, generated = (archive.folder, archive.url, archive.label, archive.env,
                                       archive.generated)
    token = subprocess.run([str(BIN / "postmortem"), "tokens", "create", "--email",
                            "person1@example.com", "--label", "bench"], env=env, check=True,
                           capture_output=True, text=True).stdout
    api_token = token.strip().splitlines()[-1]
    started = time.perf_counter()
    refreshed = subprocess.run([str(BIN / "postmortem"), "insights", "refresh"], env=env,
                               check=True, capture_output=True, text=True).stdout.strip()
    recompute = time.perf_counter() - started
    print(f"insight job, full recompute: {recompute:.1f} s ({refreshed})", flush=True)
    timing = tmp / "recompute.txt"  # a reused archive is up to date: keep the first timing
    if args.reuse and timing.exists() and refreshed.startswith("Nothing done"):
        recompute = float(timing.read_text())
    elif args.reuse:
        timing.write_text(f"{recompute:.1f}")

    shutil.rmtree(tmp / "kept", ignore_errors=True)  # every kept answer is made in the run
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    serve = [str(BIN / "postmortem"), "serve", "--bind", f"127.0.0.1:{port}"]
    if args.workers:
        serve += ["--workers", str(args.workers)]
    log = (tmp / "server.log").open("w")
    server = subprocess.Popen(serve, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    results: list[tuple[Page, Result, Result, float]] = []
    try:
        wait_until_up(base)
        headers = {"session": {"Cookie": login(base)},
                   "token": {"Authorization": f"Bearer {api_token}"},
                   "token+gzip": {"Authorization": f"Bearer {api_token}",
                                  "Accept-Encoding": "gzip"}}
        key = f"INC-{args.incidents // 2}"
        draft = first_draft(base, headers["token"])
        print(f"{'page':<30}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'/healthz':>10}"
              f"{'ratio':>8}{'first s':>9}{'errors':>8}", flush=True)
        for page in pages(key, BUSY_SERVICE, draft):
            if args.only and args.only not in page.name:
                continue
            try:
                status, _, cold, _ = timed_get(base, page.path, headers[page.auth])
            except TimeoutError:
                status, cold = 504, 120.0
            # /healthz right before and right after the page, so a swing in the machine's
            # speed during the pair shows in the baseline too: the ratio uses their mean.
            before = wrk(f"{base}/healthz", {}, args.duration, args.connections)
            pipeline = Pipeline(base, headers["token"], BUSY_SERVICE) if page.deploying else None
            if pipeline:
                pipeline.start()
            result = wrk(f"{base}{page.path}", headers[page.auth], args.duration,
                         args.connections)
            if pipeline:
                pipeline.stopped.set()
                pipeline.join()
                if pipeline.recorded < args.duration - 1:
                    result.errors = max(result.errors, 1)  # the pipeline was not served
            after = wrk(f"{base}/healthz", {}, args.duration, args.connections)
            health = Result((before.rps + after.rps) / 2, 0.0, 0.0,
                            before.requests + after.requests, 0, 0)
            if status >= 400:
                result.errors = max(result.errors, 1)
            results.append((page, result, health, cold))
            ratio = result.rps / health.rps if health.rps else 0.0
            print(f"{page.name:<30}{result.rps:>9.1f}{result.p50:>9.1f}{result.p99:>9.1f}"
                  f"{health.rps:>10.0f}{ratio:>8.2f}{cold:>9.2f}"
                  f"{result.errors + result.timeouts:>8}", flush=True)
        exports = []
        for name, path in [("action items CSV (all)", "/action-items.csv?status=all"),
                           ("incident PDF", f"/incidents/{key}.pdf"),
                           ("digest PDF, one year", "/reports/digest.pdf?since=2025-11-01")]:
            status, first, total, size = timed_get(base, path, headers["session"])
            exports.append((name, status, first, total, size))
            print(f"{name:<30} status {status}, first byte {first:.2f} s, "
                  f"whole {total:.2f} s, {size / 1e6:.1f} MB", flush=True)
        memory = worker_memory_mb(server.pid)
        print(f"largest worker: {memory:.0f} MB", flush=True)
        ours, alone = map(float, subprocess.run(
            [sys.executable, str(ROOT / "bench" / "pdf_alone.py"), key], env=env, check=True,
            capture_output=True, text=True).stdout.split())
        print(f"incident PDF {ours:.2f} s, WeasyPrint alone on the same HTML {alone:.2f} s "
              f"({ours / alone:.2f}×)", flush=True)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()

    # Each page's own work: rendered in the app with kept answers off (bench/own_work.py).
    own = json.loads(subprocess.run(
        [sys.executable, str(ROOT / "bench" / "own_work.py")],
        input=json.dumps({page.name: [page.path] for page, _, _, _ in results}), env=env,
        check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])
    for page, _, _, _ in results:
        print(f"own work, {page.name}: {own.get(page.name, float('nan')):.1f} ms", flush=True)
    if args.no_write or args.only:
        return
    healthz = sorted(h.rps for _, _, h, _ in results)
    lines = [
        f"### {database_version(url)}",
        "",
        f"{args.incidents:,} post-mortems ({generated.split(':', 1)[1].strip().rstrip('.')}). "
        f"Served by `postmortem serve` (gunicorn, its default workers and threads) on "
        f"{machine()}. Load: wrk, {args.connections} connections, {args.duration} s per page, "
        f"each page between two loads of `/healthz` in the same run, its ratio over their mean "
        f"(`/healthz`: "
        f"{healthz[0]:.0f}–{healthz[-1]:.0f} req/s). Generated by `make bench-scale` on "
        f"{time.strftime('%Y-%m-%d')}.",
        "",
        "| page | req/s | p50 ms | p99 ms | ratio to `/healthz` | target | first request s "
        "| own work ms | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for page, result, health, cold in results:
        ratio = result.rps / health.rps if health.rps else 0.0
        met = ratio >= page.target and result.p99 < 250 and not (result.errors or result.timeouts)
        lines.append(f"| {page.name} (`{page.path}`) | {result.rps:.1f} | {result.p50:.1f} | "
                     f"{result.p99:.1f} | {ratio:.2f} {'✓' if met else '✗'} | "
                     f"{page.target:.2f} | {cold:.2f} | {own.get(page.name, float('nan')):.1f} | "
                     f"{result.errors + result.timeouts} |")
    lines += ["", "| export | status | first byte s | whole s | size |", "|---|---:|---:|---:|---:|"]
    for name, status, first, total, size in exports:
        lines.append(f"| {name} | {status} | {first:.2f} | {total:.2f} | "
                     f"{size / 1e6:.1f} MB |")
    lines += ["", f"The incident PDF, rendered in the app: {ours:.2f} s; WeasyPrint alone on the "
              f"same HTML: {alone:.2f} s ({ours / alone:.2f}×, target ≤ 1.2×; medians of five).",
              "", f"Largest gunicorn worker after the run: {memory:.0f} MB resident. "
              f"The insight job's full recompute (`postmortem insights refresh`, off the request "
              f"path): {recompute:.1f} s."]
    write_section(label, "\n".join(lines))
    print(f"wrote the {label} table into {DOC.relative_to(ROOT)}")
    if not args.reuse:
        (tmp / "scale.db").unlink(missing_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
