"""Serving the app: `postmortem run` (the development server) and `postmortem serve`
(gunicorn, for production). Both answer errors the server itself raises (a request line too
long, a malformed request) in the API's JSON error shape."""

from __future__ import annotations

import faulthandler
import gc
import os
import threading
from typing import Any

import click
from flask.cli import ScriptInfo, pass_script_info
from werkzeug.serving import WSGIRequestHandler, run_simple


class JSONErrorRequestHandler(WSGIRequestHandler):
    """The development server's handler, whose own error pages (414, 400, 431) are JSON."""

    error_content_type = "application/json"
    error_message_format = '{"error": {"status": %(code)d, "message": "%(message)s"}}\n'



@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--reload/--no-reload", default=False, help="Restart when the code changes.")
@pass_script_info
def run_command(info: ScriptInfo, host: str, port: int, reload: bool) -> None:
    """Serve with the development server (one process, threads): for trying it out."""
    run_simple(host, port, info.load_app(), use_reloader=reload, threaded=True,
               request_handler=JSONErrorRequestHandler)


THREADS = 4


class QuietCollector:
    """Garbage collected between requests, never during one.

    Under load with several workers, a worker's automatic collection, run in a request thread
    while the worker's other threads were in the middle of theirs, crashed it (SIGSEGV in the
    collector, 2–5 times in 2,000 different pages; docs/benchmarks.md). With automatic
    collection off and the same collections made when a worker has no request in flight, the
    crashes stopped. The thresholds are Python's own: the same generations are collected as
    often, only at a quiet moment (or, if a worker is never quiet, after BACKLOG times the
    usual allocations, so memory stays bounded)."""

    BACKLOG = 50

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.busy = 0

    def start(self) -> None:
        gc.disable()

    def request_started(self, *_: Any) -> None:
        with self.lock:
            self.busy += 1

    def request_finished(self, *_: Any) -> None:
        with self.lock:
            self.busy -= 1
            quiet = self.busy == 0
        counts, thresholds = gc.get_count(), gc.get_threshold()
        if not quiet and counts[0] < self.BACKLOG * thresholds[0]:
            return
        for generation in (2, 1, 0):
            if counts[generation] > thresholds[generation]:
                gc.collect(generation)
                return


def gunicorn_options(workers: int | None, bind: str, timeout: int) -> dict[str, Any]:
    """Production settings: workers from the CPU count, bounded timeouts, an access log."""
    return {
        "bind": bind,
        "workers": workers or min(2 * (os.cpu_count() or 1) + 1, 8),
        "worker_class": "gthread",
        "threads": THREADS,
        # A worker holds at most twice as many connections as it has threads (half of them
        # kept alive between requests). Without a bound, a burst of new connections (a proxy's
        # pool, a load test) could all land on the worker that woke first, whose threads share
        # one CPU: measured, 16 connections all on one of five workers served /healthz at 906
        # req/s against 2,300–2,600 spread out. A worker that is full stops accepting, and the
        # others take the next connections.
        "worker_connections": 2 * THREADS,
        "timeout": timeout,
        "graceful_timeout": 30,
        "keepalive": 5,
        "accesslog": "-",
        "errorlog": "-",
        "limit_request_line": 0,  # the app answers over-long URLs itself (414, JSON under /api/)
        # A worker is replaced after this many requests, as a guard against slow leaks; high
        # enough that a busy health check does not recycle workers every few seconds, and
        # spread so that workers under even load are not all replaced at once.
        "max_requests": 100_000,
        "max_requests_jitter": 50_000,
        # The app is loaded once and workers are forked from it: a replaced worker is serving
        # in milliseconds instead of importing everything again, and shares the master's pages.
        "preload_app": True,
        "forwarded_allow_ips": os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
    }


@click.command("serve")
@click.option("--bind", default="127.0.0.1:8000", show_default=True,
              help="Address to listen on (host:port, or unix:/path).")
@click.option("--workers", type=int, help="Worker processes (default: 2 × CPUs + 1, at most 8).")
@click.option("--timeout", default=60, show_default=True, type=int,
              help="Seconds before a stuck worker is restarted.")
@pass_script_info
def serve_command(info: ScriptInfo, bind: str, workers: int | None, timeout: int) -> None:
    """Serve with gunicorn for production (run `postmortem init-db` first)."""
    from gunicorn.app.base import BaseApplication

    app = info.load_app()
    with app.app_context():  # loaded once here, shared by every worker forked from it
        from .services.exchange.pdf import warm_up

        warm_up()
    # What is loaded by now lives as long as the server: the garbage collector leaves it be in
    # every worker. A worker's full collection then scans only what it made itself (it took
    # about 0.1 s of CPU over the ~170,000 objects loaded here, a pause that showed in the p99
    # of pages), and the pages shared with the master stay shared instead of being copied.
    gc.collect()
    gc.freeze()

    collector = QuietCollector()

    def post_fork(_server: Any, _worker: Any) -> None:
        # A worker that dies of a fatal signal writes every thread's Python stack to the log.
        faulthandler.enable()
        collector.start()
        # No connection may cross a fork: each worker opens its own (the pool is empty unless
        # loading the app used the database).
        with app.app_context():
            from .extensions import db

            db.engine.dispose(close=False)

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in gunicorn_options(workers, bind, timeout).items():
                self.cfg.set(key, value)
            self.cfg.set("post_fork", post_fork)
            self.cfg.set("pre_request", lambda worker, request: collector.request_started())
            self.cfg.set("post_request", lambda worker, request, environ, response:
                         collector.request_finished())

        def load(self) -> Any:
            return app

    Server().run()
