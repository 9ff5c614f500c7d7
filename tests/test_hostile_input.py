"""Property: no input makes a writable API route or the import answer 5xx. Wrong JSON types,
lone surrogates, NUL, extreme numbers and years, over-long strings, deep nesting and odd YAML
all get the contract's error shape, with the fields at fault named on a 422."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .builders import create_incident

HOSTILE_STRINGS = [
    "", " ", "\x00", "a\x00b", "\ud800", "x\udfffy", "9" * 40, "x" * 70_000, "<script>",
    "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "2026-02-30", "2026-13-01",
    "1970-01-01", "2026-03-14", "2026-03-14T09:00:00", "NaN", "-1", "P1", "SEV1", "done",
    "wont_do", "draft", "published", "checkout", "a@b.co", "https://x.example", "javascript:x",
]
scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(HOSTILE_STRINGS),
    st.text(max_size=40),
)
nested = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)
# Mostly plausible text with something hostile in it, so that the one bad thing is what the
# app meets (a body with several bad fields stops at validation and proves less).
tainted = st.builds(lambda text, taint: text + taint, st.sampled_from(HOSTILE_STRINGS),
                    st.sampled_from(["", "", "\ud800", "\x00", "\udfff!", " x"]))
values = st.one_of(tainted, tainted, scalars, nested)

ROUTES: list[tuple[str, str, dict[str, Any], list[str]]] = [
    ("POST", "/api/v1/services", {"name": "zz"}, ["name", "team", "description"]),
    ("PATCH", "/api/v1/services/svc", {}, ["team", "description", "name"]),
    ("PUT", "/api/v1/taxonomy/newcat", {"name": "N"}, ["name", "description", "active"]),
    ("POST", "/api/v1/incidents",
     {"title": "t", "severity": "SEV2", "started_at": "2026-03-14T09:00:00Z"},
     ["title", "severity", "started_at", "detected_at", "mitigated_at", "resolved_at",
      "services", "tags", "template", "sections", "commander"]),
    ("PATCH", "/api/v1/incidents/{key}", {"version": "{version}"},
     ["version", "title", "severity", "started_at", "resolved_at", "services", "tags",
      "commander", "sections", "metadata"]),
    ("POST", "/api/v1/incidents/{key}/timeline", {"at": "2026-03-14T09:05:00Z", "text": "x"},
     ["at", "kind", "text"]),
    ("PATCH", "/api/v1/incidents/{key}/timeline/{event}", {}, ["at", "kind", "text"]),
    ("POST", "/api/v1/incidents/{key}/factors", {"text": "x"}, ["text", "category"]),
    ("PATCH", "/api/v1/incidents/{key}/factors/{factor}", {}, ["text", "category"]),
    ("POST", "/api/v1/incidents/{key}/action-items", {"title": "x", "kind": "detect"},
     ["title", "description", "kind", "owner", "team", "priority", "due_date", "factor_id",
      "status", "completed_at", "resolution_note", "external_url", "verification"]),
    ("PATCH", "/api/v1/action-items/{item}", {},
     ["title", "description", "kind", "owner", "team", "priority", "due_date", "factor_id",
      "status", "completed_at", "resolution_note", "external_url", "verification"]),
    ("POST", "/api/v1/deployments", {"service": "svc", "version": "1", "environment": "p"},
     ["service", "version", "environment", "deployed_at", "artifact", "commit", "kind", "url",
      "notes"]),
    ("POST", "/api/v1/incidents/{key}/deployments", {"service": "svc", "version": "1"},
     ["deployment_id", "service", "version", "environment", "role"]),
    ("POST", "/api/v1/incidents/{key}/transition", {"to": "draft"}, ["to", "comment"]),
]


def assert_clean(response: Any) -> None:
    """Below 500, and an error is the contract's shape (naming its fields on a 422)."""
    assert response.status_code < 500, (response.status_code, response.get_data(as_text=True))
    if response.status_code >= 400:
        body = response.get_json()
        assert isinstance(body, dict) and set(body) == {"error"}, response.get_data(as_text=True)
        assert body["error"]["status"] == response.status_code
        assert isinstance(body["error"]["message"], str) and body["error"]["message"]
        if response.status_code == 422:
            assert body["error"].get("fields"), body


@pytest.fixture
def world(api):  # noqa: ANN001, ANN201
    admin = api("admin")
    key = create_incident(admin)["key"]
    ids = {
        "key": key,
        "event": admin.post(f"/api/v1/incidents/{key}/timeline", json={
            "at": "2026-03-14T09:05:00Z", "text": "x"}).get_json()["id"],
        "factor": admin.post(f"/api/v1/incidents/{key}/factors", json={"text": "x"}).get_json()["id"],
        "item": admin.post(f"/api/v1/incidents/{key}/action-items", json={
            "title": "t", "kind": "detect"}).get_json()["id"],
    }
    admin.post("/api/v1/services", json={"name": "svc"})
    admin.post("/api/v1/deployments", json={"service": "svc", "version": "1", "environment": "p"})
    return admin, ids


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from(ROUTES), data=st.data())
def test_writable_routes_never_answer_5xx(world, route, data) -> None:  # noqa: ANN001
    admin, ids = world
    method, url, base, fields = route
    url = url.format(**ids)
    body = dict(base)
    if body.get("version") == "{version}":
        body["version"] = admin.get(f"/api/v1/incidents/{ids['key']}").get_json()["version"]
    for name in data.draw(st.lists(st.sampled_from(fields), min_size=1, max_size=2, unique=True)):
        body[name] = data.draw(values, label=name)
    raw = json.dumps(body)  # ASCII: lone surrogates travel as \\ud800 escapes, as from any client
    assert_clean(admin.open(url, method=method, data=raw, content_type="application/json"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from(ROUTES), body=st.one_of(
    st.sampled_from(["[]", "1", '"x"', "null", "{", "{}", "\ufeff{}", '{"a": NaN}',
                     "[" * 5000 + "]" * 5000, '{"a":' * 3000 + "1" + "}" * 3000]),
    st.text(max_size=60)))
def test_malformed_bodies_are_400_or_422(world, route, body) -> None:  # noqa: ANN001
    admin, ids = world
    method, url, _, _ = route
    assert_clean(admin.open(url.format(**ids), method=method, data=body.encode(),
                            content_type="application/json"))


FRONT_KEYS = ["title", "severity", "status", "started_at", "detected_at", "resolved_at",
              "services", "tags", "commander", "template", "deployments", "extra"]
BODY_LINES = st.sampled_from([
    "## Summary", "## Timeline", "## Contributing factors", "## Action items", "",
    "- 2026-03-14T09:05:00Z [detection] Alert fired", "- 0001-01-01T00:00:00+05:00 x",
    "- 2026-03-14T09:05:00Z [page] Paged", "- [config] A factor", "- [Bad Key!] x",
    "- [ ] Add a check (owner: a@b.co, due: 2026-04-01, kind: detect)",
    "- [x] Done thing (completed: 2026-03-20, priority: P9)",
    "- [ ] " + "x" * 400, "- [ ] t (due: 9999-99-99, url: ftp://x)", "text with \ud800 in it",
])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(front=st.dictionaries(st.sampled_from(FRONT_KEYS), values, max_size=6),
       lines=st.lists(BODY_LINES, max_size=10), raw_yaml=st.sampled_from([
           "", "a: &x [1]\nb: *x\n", "a: " + "[" * 2000 + "]" * 2000 + "\n", "? [a]\n: b\n",
           "x: !!binary aGk=\n", "x: !!python/object:os.system {}\n", "- a\n", "x: .nan\n",
           "started_at: 2026-03-14\n", "title: 404\n", "x: !!set {a, b}\n",
       ]))
def test_imports_never_answer_5xx(world, front, lines, raw_yaml) -> None:  # noqa: ANN001
    admin, _ = world
    document = {"title": "Imported", "severity": "SEV2", "started_at": "2026-03-14T09:00:00Z"}
    document.update(front)
    try:
        head = yaml.safe_dump(document, allow_unicode=False)
    except yaml.YAMLError:
        head = ""
    text = "---\n" + raw_yaml + head + "---\n" + "\n".join(lines) + "\n"
    response = admin.open("/api/v1/import", method="POST",
                          data=text.encode("utf-8", "surrogatepass"), content_type="text/markdown")
    assert_clean(response)


IMPOSSIBLE_DATES = ["2026-02-30", "2025-02-29", "2026-04-31", "2026-13-01", "2026-00-10",
                    "2026-03-14T25:00:00Z", "2026-03-14 09:61:00", "2026-02-30T09:00:00Z"]
YAML_FIELDS = [*FRONT_KEYS, "deployments[0].deployed_at", "nested.when"]


@pytest.mark.parametrize("field", YAML_FIELDS)
@pytest.mark.parametrize("value", IMPOSSIBLE_DATES)
def test_an_impossible_date_in_any_front_matter_field_is_a_422_naming_its_line(
        world, field, value) -> None:  # noqa: ANN001
    """YAML reads 2026-02-30 as a date that does not exist: before, that was a 500."""
    admin, _ = world
    lines = ["title: Impossible dates", "severity: SEV2", "started_at: 2026-03-14T09:00:00Z"]
    lines = [line for line in lines if not line.startswith(field + ":")]
    if field == "deployments[0].deployed_at":
        lines += ["deployments:", "  - service: svc", "    version: '1'", f"    deployed_at: {value}"]
    elif field == "nested.when":
        lines += ["nested:", f"  when: {value}"]
    else:
        lines.append(f"{field}: {value}")
    bad_line = len(lines) + 1  # the opening '---' is line 1
    text = "---\n" + "\n".join(lines) + "\n---\n\n## Summary\nText.\n"
    response = admin.post("/api/v1/import", data=text.encode(), content_type="text/markdown")
    assert_clean(response)
    body = response.get_json()
    if value in ("2026-13-01", "2026-00-10", "2026-03-14 09:61:00", "2026-03-14T25:00:00Z") \
            and response.status_code != 422:
        # Not a YAML timestamp at all: plain text, which the field's own rule judges.
        assert response.status_code in (201, 409), body
        return
    assert response.status_code == 422, body
    assert body["error"]["message"].startswith(f"line {bad_line}:"), body
    assert value.split("T")[0].split(" ")[0] in body["error"]["message"], body


FORM_ROUTES = [
    ("/action-items/{item}", ["title", "description", "owner", "team", "priority", "kind",
                              "due_date", "factor_id", "status", "resolution_note", "completed_at"]),
    ("/action-items/{item}/status", ["status", "resolution_note", "next"]),
    ("/action-items/bulk", ["ids", "operation", "resolution_note", "next"]),
    ("/account/preferences", ["clock", "time_zone", "steps_hidden", "next"]),
    ("/incidents/{key}/presence", ["activity", "page"]),
    ("/incidents/{key}/presence/leave", ["page"]),
    ("/admin/taxonomy", ["key", "name", "description", "active"]),
    ("/admin/templates/new", ["key", "name", "description", "section-0-key", "section-0-title"]),
    ("/admin/users", ["email", "name", "role", "password"]),
    ("/incidents/{key}/action-items", ["title", "kind", "owner", "team", "priority", "due_date",
                                       "factor_id", "external_url"]),
    ("/incidents/{key}/autosave", ["version", "title", "severity", "services", "tags",
                                   "commander", "timezone", "started_at", "resolved_at",
                                   "section-summary"]),
    ("/incidents/{key}/comments", ["body", "section"]),
    ("/incidents/{key}/deployments", ["deployment_id", "role"]),
    ("/incidents/{key}/factors", ["text", "category"]),
    ("/incidents/{key}/factors/{factor}", ["text", "category", "delete"]),
    ("/incidents/{key}/timeline", ["at", "kind", "text", "timezone"]),
    ("/incidents/{key}/timeline/{event}", ["at", "kind", "text", "delete"]),
    ("/incidents/{key}/transition", ["to", "comment"]),
    ("/incidents/new", ["title", "severity", "template", "services", "tags", "timezone",
                        "started_at"]),
    ("/incidents/preview", ["markdown", "section"]),
    ("/services", ["name", "team", "description"]),
]
LIST_PAGES = ["/incidents", "/action-items", "/action-items.csv", "/action-items/present", "/", "/services", "/insights",
              "/themes", "/incidents/search", "/incidents/{key}", "/incidents/{key}/edit"]
form_values = st.one_of(st.sampled_from([value for value in HOSTILE_STRINGS if "\ud800" not in value
                                         and "\udfff" not in value] + ["Europe/Nowhere", "x" * 300]),
                        st.text(max_size=30).filter(lambda text: "\ud800" not in text))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from(FORM_ROUTES), data=st.data(), htmx=st.booleans())
def test_html_forms_never_answer_5xx(world, client, login, route, data, htmx) -> None:  # noqa: ANN001
    _, ids = world
    login("admin")
    url, fields = route
    form = {name: data.draw(form_values, label=name)
            for name in data.draw(st.lists(st.sampled_from(fields), min_size=1, max_size=3,
                                           unique=True))}
    response = client.post(url.format(**ids), data=form,
                           headers={"HX-Request": "true"} if htmx else {})
    assert response.status_code < 500, (url, form, response.status_code)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(page=st.sampled_from(LIST_PAGES), name=st.sampled_from([
    "page", "status", "severity", "service", "tag", "theme", "since", "until", "q", "sort",
    "owner", "team", "kind", "incident", "overdue", "group", "environment", "days", "timezone",
    "step", "part"]),
    value=form_values)
def test_html_pages_never_answer_5xx(world, client, login, page, name, value) -> None:  # noqa: ANN001
    _, ids = world
    login("viewer")
    response = client.get(page.format(**ids), query_string={name: value})
    assert response.status_code < 500, (page, name, value, response.status_code)


FOREIGN_PIECES = st.sampled_from([
    "# Outage", "## Timeline", "## Root cause", "## Action items", "## Summary", "Day 2",
    "- 14:02 UTC alert", "- 25:61 x", "| Time | Event |", "|---|---|", "| 09:14 | x |",
    "| | |", "Date: 2026-02-30", "Date: 2024-03-01", "Severity: P9", "Severity: SEV-1",
    "Impact start: 2024-03-01 22:40 UTC   Impact end: x", "- [ ] do (owner: @x, due Feb 30)",
    "- [x] done (due 9999-99-99)", "**Summary**", "<table><tr><td>x", "<h1>T</h1>", "\x00",
    "\ud800", "(+99999d) 00:10 x", "Time zone: Mars/Olympus", "Services: ,,,", "- " * 50,
    "> " * 200 + "x", "1. " * 100 + "x", "[link](javascript:alert(1))", "x" * 6000,
])


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pieces=st.lists(st.one_of(FOREIGN_PIECES, st.text(max_size=30)), max_size=14),
       kind=st.sampled_from(["text/markdown", "text/html", "text/plain"]))
def test_foreign_imports_never_answer_5xx(world, pieces, kind) -> None:  # noqa: ANN001
    """Documents written elsewhere (no front matter), half-broken in every way."""
    admin, _ = world
    text = "\n".join(pieces)
    if kind == "text/html":
        text = "<html><body>" + "".join(f"<p>{piece}</p>" for piece in pieces) + "</body></html>"
    response = admin.post("/api/v1/import?dry_run=true",
                          data=text.encode("utf-8", "surrogatepass"), content_type=kind)
    assert_clean(response)
