"""A team's day (`make bench-team`): people reading many different pages of a ten-year archive
while others save drafts.

    python bench/team.py [--incidents 10000] [--duration 20] [--connections 16] [--reuse DIR]

The archive is generated (bench/generate.py) into DATABASE_URL, or a new SQLite file when it
is unset, and served by `postmortem serve`. The readers' mix is at least 2,000 distinct pages —
read views, histories, service pages, list pages and their filters, search, home, the board
and its filters, themes, insights and the API — each request picking one at random, weighted
as a team reads (wrk with bench/team.lua). Measured in one run, in this order:

1. `/healthz` alone: the baseline every ratio is over;
2. the readers' mix alone;
3. the mix while WRITERS people each save a draft every second (PATCH of a section, as the
   editor's autosave does), their saves timed;
4. `/healthz` while they save: what the work after saves (the insight job) leaves.

Then each page kind's own work: its median time rendered in the app with kept answers off,
over a few pages of the kind. Writes the table into docs/benchmarks.md, in this database's
section (`<!-- team:sqlite -->` or `<!-- team:postgresql -->`).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale import (  # noqa: E402
    BIN,
    BUSY_SERVICE,
    ROOT,
    Result,
    database_version,
    free_port,
    login,
    machine,
    prepare_archive,
    wait_until_up,
    write_section,
    wrk,
)

LUA = Path(__file__).resolve().parent / "team.lua"
WRITERS = 3
SEARCH_WORDS = [
    "certificate", "expired", "replication", "lag", "cache", "ttl", "dns", "timeout",
    "deploy", "rollback", "config", "queue", "backlog", "disk", "memory", "leak", "latency",
    "database", "failover", "primary", "replica", "kafka", "consumer", "retry", "storm",
    "rate", "limit", "partner", "webhook", "token", "login", "checkout", "payments", "search",
    "index", "migration", "schema", "lock", "deadlock", "cpu", "throttling", "pager", "alert",
    "runbook", "canary", "feature", "flag", "cron", "batch", "job", "network", "bgp", "load",
    "balancer", "tls", "handshake", "pool", "connection", "exhausted", "oom", "kill", "node",
    "kubernetes", "pod", "eviction", "autoscaling", "s3", "bucket", "permission", "iam",
]


def weighted_paths(rng: random.Random, incidents: int, services: list[str], themes: list[str],
                   people: int) -> tuple[list[str], dict[str, tuple[int, list[str]]]]:
    """Distinct pages in the proportions a team reads them (repeated by weight)."""
    kinds: dict[str, tuple[int, list[str]]] = {}
    keys = [f"INC-{n}" for n in rng.sample(range(1, incidents + 1), min(incidents, 900))]
    kinds["read view"] = (30, [f"/incidents/{k}" for k in keys[:700]])
    kinds["history"] = (4, [f"/incidents/{k}/history" for k in keys[700:900]])
    kinds["service page"] = (5, [f"/services/{name}" for name in services])
    lists = [f"/incidents?page={p}" for p in range(1, 201)]
    lists += [f"/incidents?service={s}" for s in services]
    lists += [f"/incidents?severity=SEV{n}&status={status}" for n in range(1, 5)
              for status in ("draft", "in_review", "published")]
    lists += [f"/incidents?service={s}&severity=SEV{n}" for s in services[:40] for n in (1, 2)]
    kinds["incident list"] = (18, lists)
    words = SEARCH_WORDS
    searches = [f"/incidents/search?q={a}" for a in words]
    searches += [f"/incidents/search?q={a}+{b}" for a, b in zip(words, reversed(words), strict=False)]
    kinds["search"] = (10, searches)
    kinds["home"] = (8, ["/"])
    boards = ["/action-items", "/action-items?status=all", "/action-items/mine",
              "/action-items?group=team", "/action-items?group=owner", "/action-items?overdue=1"]
    boards += [f"/action-items?owner=person{n}@example.com" for n in range(1, people + 1)]
    boards += [f"/action-items?page={p}" for p in range(2, 30)]
    kinds["board"] = (8, boards)
    kinds["themes"] = (5, ["/themes"] + [f"/themes/{t}" for t in themes])
    kinds["insights"] = (3, ["/insights"] + [f"/insights?since=20{y}-01-01&until=20{y}-12-31"
                                             for y in range(17, 27)])
    api = [f"/api/v1/incidents?page={p}" for p in range(1, 60)]
    api += [f"/api/v1/incidents/{k}" for k in keys[:150]]
    kinds["API"] = (9, api)
    paths: list[str] = []
    for weight, pages in kinds.values():
        repeat = max(1, round(weight * 60 / len(pages)))
        paths += pages * repeat
    rng.shuffle(paths)
    return paths, kinds


class Writer(threading.Thread):
    """One person saving a draft's summary every second through the API, timing each save."""

    def __init__(self, base: str, token: str, key: str, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.base, self.token, self.key, self.stop = base, token, key, stop
        self.latencies: list[float] = []
        self.errors = 0

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.base}{path}", data=data, method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def run(self) -> None:
        version = self._call("GET", f"/api/v1/incidents/{self.key}")["version"]
        number = 0
        while not self.stop.wait(1.0):
            number += 1
            text = (f"Save {number}: the checkout errors began when the cache TTL rollout reached "
                    f"the edge; we rolled back at {number % 60:02d} minutes past.")
            started = time.perf_counter()
            try:
                body = self._call("PATCH", f"/api/v1/incidents/{self.key}",
                                  {"version": version, "sections": {"summary": text}})
                version = body["version"]
            except urllib.error.HTTPError as error:
                self.errors += 1
                if error.code == 409:
                    version = self._call("GET", f"/api/v1/incidents/{self.key}")["version"]
                continue
            except OSError:
                self.errors += 1
                continue
            self.latencies.append(time.perf_counter() - started)


def mix(base: str, paths_file: Path, cookie: str, duration: int, connections: int) -> Result:
    os.environ["TEAM_PATHS"] = str(paths_file)
    return wrk(base + "/", {"Cookie": cookie}, duration, connections, script=LUA)


def warm(base: str, paths: list[str], cookie: str) -> float:
    """Ask every page once (four at a time), as a team's morning does: the kept answers a
    longer day would have. Returns the seconds it took."""
    from concurrent.futures import ThreadPoolExecutor

    def get(path: str) -> None:
        request = urllib.request.Request(f"{base}{path}", headers={"Cookie": cookie})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                response.read()
        except OSError as error:  # counted by the loads that follow; said here too
            print(f"warm-up: {path}: {error}", flush=True)

    started = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(get, paths))
    return time.perf_counter() - started


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def own_work(env: dict[str, str], kinds: dict[str, tuple[int, list[str]]]) -> dict[str, float]:
    """Each kind's median time rendered in the app with kept answers off (bench/own_work.py)."""
    sample = {name: pages[:: max(1, len(pages) // 5)][:5] for name, (_, pages) in kinds.items()}
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "own_work.py")],
                         input=json.dumps(sample), env=env, check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def save_cost(env: dict[str, str]) -> dict[str, tuple[float, float]]:
    """One save's latency with no other load, with SQLite's synchronous FULL (the default: a
    save survives a power cut) and NORMAL (bench/save_cost.py)."""
    found = {}
    for level in ("FULL", "NORMAL"):
        out = subprocess.run([sys.executable, str(ROOT / "bench" / "save_cost.py")],
                             env={**env, "POSTMORTEM_SQLITE_SYNCHRONOUS": level}, check=True,
                             capture_output=True, text=True).stdout.strip().splitlines()[-1]
        median, p99 = (float(x) for x in out.split())
        found[level] = (median, p99)
    return found


def main() -> None:  # noqa: PLR0915
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--duration", type=int, default=20, help="seconds of each load")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--no-write", action="store_true", help="do not update the doc")
    parser.add_argument("--reuse", help="a directory to keep the generated SQLite archive in, "
                        "and to reuse it from when it is there")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("error: wrk is missing (Debian: apt-get install wrk; `make bench-team` does)")
    archive = prepare_archive(args.reuse, args.incidents, "postmortem-team-")
    tmp, url, label, env = archive.folder, archive.url, archive.label, archive.env
    subprocess.run([str(BIN / "postmortem"), "insights", "refresh"], env=env, check=True,
                   capture_output=True)
    shutil.rmtree(tmp / "kept", ignore_errors=True)  # every kept answer is made in the run
    token = subprocess.run([str(BIN / "postmortem"), "tokens", "create", "--email",
                            "person1@example.com", "--label", "team"], env=env, check=True,
                           capture_output=True, text=True).stdout.strip().splitlines()[-1]

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp / "team-server.log").open("w")
    server = subprocess.Popen([str(BIN / "postmortem"), "serve", "--bind", f"127.0.0.1:{port}"],
                              env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        wait_until_up(base)

        def api(path: str) -> Any:
            request = urllib.request.Request(f"{base}{path}",
                                             headers={"Authorization": f"Bearer {token}"})
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.load(response)

        services = [s["name"] for s in api("/api/v1/services?per_page=200")["items"]]
        services = [BUSY_SERVICE] + [s for s in services if s != BUSY_SERVICE]
        themes = [t["id"] for t in api("/api/v1/themes")]
        drafts = [i["key"] for i in api(f"/api/v1/incidents?status=draft&per_page={WRITERS}")
                  ["items"]]
        rng = random.Random(7)
        paths, kinds = weighted_paths(rng, args.incidents, services, themes, 40)
        paths_file = tmp / "team-paths.txt"
        paths_file.write_text("\n".join(paths) + "\n")
        distinct = len(set(paths))
        print(f"readers' mix: {distinct:,} distinct pages in {len(kinds)} kinds", flush=True)
        cookie = login(base)
        cold = mix(base, paths_file, cookie, args.duration, args.connections)
        print(f"mix, first pass (cold): {cold.rps:.0f} req/s, p50 {cold.p50:.0f} ms, "
              f"p99 {cold.p99:.0f} ms", flush=True)
        warmed = warm(base, sorted(set(paths)), cookie)
        print(f"every page asked once more ({warmed:.0f} s): the day goes on", flush=True)
        health = wrk(f"{base}/healthz", {}, args.duration, args.connections)
        print(f"/healthz alone: {health.rps:.0f} req/s", flush=True)
        alone = mix(base, paths_file, cookie, args.duration, args.connections)
        print(f"mix alone: {alone.rps:.0f} req/s, p50 {alone.p50:.0f} ms, p99 {alone.p99:.0f} ms, "
              f"errors {alone.errors + alone.timeouts}", flush=True)
        stop = threading.Event()
        writers = [Writer(base, token, key, stop) for key in drafts[:WRITERS]]
        for writer in writers:
            writer.start()
        time.sleep(2)
        busy = mix(base, paths_file, cookie, args.duration, args.connections)
        health_busy = wrk(f"{base}/healthz", {}, args.duration, args.connections)
        stop.set()
        for writer in writers:
            writer.join()
        saves = [s for writer in writers for s in writer.latencies]
        save_errors = sum(writer.errors for writer in writers)
        print(f"mix while {len(writers)} save: {busy.rps:.0f} req/s, p50 {busy.p50:.0f} ms, "
              f"p99 {busy.p99:.0f} ms, errors {busy.errors + busy.timeouts}", flush=True)
        print(f"/healthz while they save: {health_busy.rps:.0f} req/s", flush=True)
        print(f"saves: {len(saves)}, p50 {percentile(saves, 0.5) * 1000:.0f} ms, "
              f"p99 {percentile(saves, 0.99) * 1000:.0f} ms, errors {save_errors}", flush=True)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
    work = own_work(env, kinds)
    durability = save_cost(env) if label == "sqlite" else {}
    for level, (median, p99) in durability.items():
        print(f"one save alone, synchronous = {level}: median {median:.1f} ms, p99 {p99:.1f} ms",
              flush=True)
    for name, ms in work.items():
        print(f"own work, {name}: {ms:.1f} ms", flush=True)
    if args.no_write:
        return
    ratio_alone = alone.rps / health.rps
    ratio_busy = busy.rps / health.rps
    health_ratio = health_busy.rps / health.rps

    def mark(ok: bool) -> str:
        return "✓" if ok else "✗"

    lines = [
        f"### {database_version(url)}", "",
        f"{args.incidents:,} post-mortems (bench/generate.py), served by `postmortem serve` on "
        f"{machine()}. Readers: wrk, {args.connections} connections, {args.duration} s per load, "
        f"each request a page picked at random from {distinct:,} distinct pages weighted as a "
        f"team reads ({', '.join(f'{k} {w}' for k, (w, _) in kinds.items())}). Writers: "
        f"{len(writers)} people each saving a draft's summary every second (API PATCH). "
        f"Generated by `make bench-team` on {time.strftime('%Y-%m-%d')}.", "",
        "| load | req/s | p50 ms | p99 ms | ratio to `/healthz` alone | target | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| `/healthz` alone | {health.rps:.0f} | {health.p50:.1f} | {health.p99:.1f} | 1.00 | | "
        f"{health.errors + health.timeouts} |",
        f"| readers' mix, first pass (nothing kept yet) | {cold.rps:.0f} | {cold.p50:.1f} | "
        f"{cold.p99:.1f} | {cold.rps / health.rps:.2f} | | {cold.errors + cold.timeouts} |",
        f"| readers' mix alone | {alone.rps:.0f} | {alone.p50:.1f} | {alone.p99:.1f} | "
        f"{ratio_alone:.2f} {mark(ratio_alone >= 0.15 and alone.p99 < 300 and not alone.errors)} "
        f"| ≥ 0.15, p99 < 300 | {alone.errors + alone.timeouts} |",
        f"| readers' mix while {len(writers)} save | {busy.rps:.0f} | {busy.p50:.1f} | "
        f"{busy.p99:.1f} | {ratio_busy:.2f} "
        f"{mark(ratio_busy >= 0.15 and busy.p99 < 300 and not busy.errors)} | ≥ 0.15, p99 < 300 | "
        f"{busy.errors + busy.timeouts} |",
        f"| `/healthz` while they save | {health_busy.rps:.0f} | {health_busy.p50:.1f} | "
        f"{health_busy.p99:.1f} | {health_ratio:.2f} {mark(health_ratio >= 0.85)} | ≥ 0.85 | "
        f"{health_busy.errors + health_busy.timeouts} |",
        f"| the saves themselves ({len(saves)}) | | {percentile(saves, 0.5) * 1000:.1f} | "
        f"{percentile(saves, 0.99) * 1000:.1f} | | p99 < 200 "
        f"{mark(percentile(saves, 0.99) < 0.2 and not save_errors)} | {save_errors} |",
        "", "Each kind's own work, rendered in the app with kept answers off (median over five of "
        "its pages, five times each; target < 50 ms):", "",
        "| page kind | own work ms |", "|---|---:|",
    ]
    # The insights page is the digest in the browser, which the target sets aside.
    lines += [f"| {name} (the digest, aside) | {ms:.1f} |" if name == "insights"
              else f"| {name} | {ms:.1f} {mark(ms < 50)} |" for name, ms in work.items()]
    if durability:
        lines += ["", "One save with no other load (API PATCH of a draft's summary, 40 saves): "
                  + "; ".join(f"`synchronous = {level}` median {median:.1f} ms, p99 {p99:.1f} ms"
                              for level, (median, p99) in durability.items())
                  + ". FULL is what Postmortem runs with: an acknowledged save survives a "
                  "power cut."]
    write_section(label, "\n".join(lines), kind="team")
    print(f"wrote the {label} table into docs/benchmarks.md")
    if not args.reuse:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
