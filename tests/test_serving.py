"""`postmortem serve`'s production settings."""

from __future__ import annotations

from postmortem.serving import gunicorn_options


def test_connections_spread_over_every_worker() -> None:
    options = gunicorn_options(None, "127.0.0.1:8000", 60)
    assert options["worker_class"] == "gthread" and options["preload_app"]
    # A worker takes no more connections than its threads serve, plus as many kept alive: a
    # burst of connections cannot pile onto one process (one CPU) while the others idle.
    assert options["worker_connections"] == 2 * options["threads"]
    assert options["workers"] >= 3 and options["keepalive"] > 0
    assert gunicorn_options(2, "unix:/run/pm.sock", 30)["workers"] == 2
