"""One use case, one transaction: a use case that fails leaves nothing half-done behind."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

from ..extensions import db

P = ParamSpec("P")
R = TypeVar("R")


def use_case(function: Callable[P, R]) -> Callable[P, R]:
    """Roll the session back when the use case raises, so objects the caller holds show the
    stored state again (the use case commits itself when it succeeds)."""

    @wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except BaseException:
            db.session.rollback()
            raise

    return run


@contextmanager
def kept_after_commit() -> Iterator[None]:
    """Within: a commit leaves the session's objects as they are instead of expiring them, so
    the answer to a write is drawn from what it wrote (under its row lock) without reading the
    post-mortem back whole. A rollback still expires everything."""
    session = db.session()
    session.expire_on_commit = False
    try:
        yield
    finally:
        session.expire_on_commit = True
