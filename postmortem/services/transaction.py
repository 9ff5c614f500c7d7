"""One use case, one transaction: a use case that fails leaves nothing half-done behind."""

from __future__ import annotations

from collections.abc import Callable
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
