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


def test_garbage_is_collected_between_requests_only() -> None:
    """A worker's collections wait for a moment with no request in flight (QuietCollector):
    none while another request is running, Python's own generations once the worker is quiet,
    and one anyway when a worker that is never quiet has let garbage pile up."""
    import gc

    from postmortem.serving import QuietCollector

    collector = QuietCollector()
    was_enabled = gc.isenabled()
    collected: list[int] = []
    original = gc.collect
    try:
        collector.start()
        assert not gc.isenabled()
        gc.collect = lambda generation=2: collected.append(generation) or 0  # type: ignore[assignment]
        threshold = gc.get_threshold()[0]
        collector.request_started()
        collector.request_started()
        garbage = [[index] for index in range(threshold * 2)]  # gen-0 allocations
        collector.request_finished()  # the other request still runs
        assert collected == []
        collector.request_finished()  # quiet now
        assert collected and collected[0] in (0, 1, 2)
        collected.clear()
        collector.request_started()
        collector.request_started()
        garbage += [[index] for index in range(threshold * (QuietCollector.BACKLOG + 1))]
        collector.request_finished()  # never quiet, but the backlog is too long to wait
        assert collected
        del garbage
    finally:
        gc.collect = original  # type: ignore[assignment]
        if was_enabled:
            gc.enable()
