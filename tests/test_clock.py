"""One clock: each person's clock and zone, everywhere times are shown or typed."""

from __future__ import annotations

import re

import pytest

from postmortem.timeutil import parse_timestamp
from postmortem.web.timezones import local_input_to_iso, parse_clock, to_local_input

from . import builders
from .builders import create_incident


@pytest.mark.parametrize("text, expected", [
    ("14:05", (14, 5)), ("1405", (14, 5)), ("9.05", (9, 5)), ("2:05 PM", (14, 5)),
    ("2:05pm", (14, 5)), ("12:30 a.m.", (0, 30)), ("12:30 PM", (12, 30)), ("11:59 AM", (11, 59)),
])
def test_times_are_read_on_either_clock(text: str, expected: tuple[int, int]) -> None:
    assert parse_clock(text) == expected


@pytest.mark.parametrize("text", ["24:00", "13:05 PM", "0:10 AM", "2 PM", "noon", "", "14:60"])
def test_what_is_not_a_time_is_refused_in_words(text: str) -> None:
    with pytest.raises(ValueError, match="must be a time such as"):
        parse_clock(text)


def test_date_and_time_fields_round_trip_in_both_clocks() -> None:
    moment = parse_timestamp("2026-03-14T14:05:00Z")
    assert to_local_input(moment, "Europe/Berlin") == "2026-03-14 15:05"
    assert to_local_input(moment, "Europe/Berlin", "12h") == "2026-03-14 3:05 PM"
    for text in ("2026-03-14 15:05", "2026-03-14T15:05", "2026-03-14 3:05 PM"):
        assert local_input_to_iso(text, "Europe/Berlin") == "2026-03-14T14:05:00+00:00"
    with pytest.raises(ValueError, match="date and time"):
        local_input_to_iso("14/03/2026 3:05 PM", "UTC")


def test_each_reader_sees_their_own_clock(app, api, client, login) -> None:
    author = api("author")
    key = create_incident(author, started_at="2026-03-14T14:02:00Z", detected_at=None)["key"]
    author.post(f"/api/v1/incidents/{key}/timeline", json={
        "at": "2026-03-14T14:40:00Z", "kind": "detection", "text": "Alert fired"})
    other = app.test_client()
    with app.app_context():
        builders.make_user(role="viewer", email="twelve@example.com", name="Twelve Hours")
    other.post("/login", data={"email": "twelve@example.com", "password": builders.PASSWORD})
    other.post("/account/preferences", data={"clock": "12h", "time_zone": "Europe/Berlin"})
    login("viewer")
    for _ in range(2):  # and again, once each has been shown
        mine = client.get(f"/incidents/{key}").text
        theirs = other.get(f"/incidents/{key}").text
        # No 12-hour time anywhere (a bare "PM" could be part of the page's random CSRF token).
        assert "14 Mar 14:40" in mine and "14 Mar 2026, 14:02 UTC" in mine
        assert not re.search(r"\d (AM|PM)\b", mine)
        assert "14 Mar 3:40 PM" in theirs and "14 Mar 2026, 3:02 PM CET" in theirs
