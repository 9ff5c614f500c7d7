"""Immutable artifacts: deployments ingest, links to incidents, suggestions, last-known-good."""

from __future__ import annotations

from typing import Any

from .builders import assert_error, create_incident, submit_for_review

DIGEST = "registry.example.com/checkout@sha256:"


def deploy(client: Any, version: str, at: str, **extra: Any) -> Any:
    payload = {"service": "checkout", "version": version, "environment": "production",
               "deployed_at": at, "artifact": DIGEST + version.replace(".", "") * 4, **extra}
    return client.post("/api/v1/deployments", json=payload)


def test_the_acceptance_flow(api) -> None:
    ci, author, viewer = api("deployer"), api("author"), api("viewer")
    first = deploy(ci, "1.0.0", "2026-03-14T06:00:00Z")
    second = deploy(ci, "1.1.0", "2026-03-14T07:00:00Z")
    third = deploy(ci, "1.2.0", "2026-03-14T08:55:00Z", commit="abc123", url="https://ci.example/1")
    assert first.status_code == second.status_code == third.status_code == 201
    body = third.get_json()
    assert body["immutable"] is True and body["incident_keys"] == []
    assert body["kind"] == "deploy" and body["commit"] == "abc123"
    assert body["deployed_at"] == "2026-03-14T08:55:00Z"

    again = deploy(ci, "1.2.0", "2026-03-14T08:55:00Z", commit="abc123")
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]

    retag = ci.post("/api/v1/deployments", json={
        "service": "checkout", "version": "1.2.0", "environment": "staging",
        "artifact": DIGEST + "different"})
    error = assert_error(retag, 409)
    assert DIGEST + "different" in error["message"] and body["artifact"] in error["message"]

    manual = ci.post("/api/v1/deployments", json={
        "service": "checkout", "version": "1.2.0-hotfix", "environment": "production",
        "deployed_at": "2026-03-14T10:30:00Z", "kind": "manual", "notes": "patched on host"})
    assert manual.status_code == 201 and manual.get_json()["immutable"] is False
    no_artifact = ci.post("/api/v1/deployments", json={
        "service": "checkout", "version": "cfg-7", "environment": "production"})
    assert no_artifact.get_json()["immutable"] is False

    assert_error(viewer.post("/api/v1/deployments", json={
        "service": "checkout", "version": "9", "environment": "production"}), 403)
    assert_error(ci.post("/api/v1/deployments", json={
        "service": "checkout", "environment": "production"}), 422, "version")

    listing = viewer.get("/api/v1/deployments?service=checkout&environment=production").get_json()
    times = [item["deployed_at"] for item in listing["items"]]
    assert times == sorted(times, reverse=True)
    assert listing["total"] == 5
    assert viewer.get("/api/v1/deployments?immutable=false").get_json()["total"] == 2

    incident = create_incident(author, services=["checkout"], started_at="2026-03-14T09:02:00Z")
    key = incident["key"]
    suggested = viewer.get(f"/api/v1/incidents/{key}/suggested-deployments?hours=24").get_json()
    assert [d["version"] for d in suggested] == ["1.2.0", "1.1.0", "1.0.0"]
    narrow = viewer.get(f"/api/v1/incidents/{key}/suggested-deployments?hours=1").get_json()
    assert [d["version"] for d in narrow] == ["1.2.0"]  # 1.1.0 at 07:00 is outside the window
    assert_error(viewer.get(f"/api/v1/incidents/{key}/suggested-deployments?hours=0"), 422)

    linked = author.post(f"/api/v1/incidents/{key}/deployments", json={
        "deployment_id": body["id"], "role": "culprit"})
    assert linked.status_code == 201 and linked.get_json()["role"] == "culprit"
    by_version = author.post(f"/api/v1/incidents/{key}/deployments", json={
        "service": "checkout", "version": "1.1.0", "role": "rollback_target"})
    assert by_version.status_code == 201 and by_version.get_json()["version"] == "1.1.0"
    assert_error(author.post(f"/api/v1/incidents/{key}/deployments", json={
        "service": "checkout", "version": "0.0.1"}), 422)
    assert_error(author.post(f"/api/v1/incidents/{key}/deployments", json={
        "deployment_id": body["id"], "role": "villain"}), 422, "role")

    lkg = viewer.get("/api/v1/services/checkout/last-known-good?environment=production")
    assert lkg.status_code == 200
    assert lkg.get_json() == {
        "service": "checkout", "environment": "production", "version": "1.1.0",
        "artifact": second.get_json()["artifact"], "deployed_at": "2026-03-14T07:00:00Z",
        "deployment_id": second.get_json()["id"],
    }
    assert viewer.get(f"/api/v1/deployments/{body['id']}").get_json()["incident_keys"] == [key]
    shown = viewer.get(f"/api/v1/incidents/{key}").get_json()
    assert {(d["version"], d["role"]) for d in shown["deployments"]} == {
        ("1.2.0", "culprit"), ("1.1.0", "rollback_target")}
    service = viewer.get("/api/v1/services/checkout").get_json()
    assert service["last_known_good"]["production"]["version"] == "1.1.0"
    assert service["deployment_count"] == 5 and service["incident_count"] == 1
    assert_error(viewer.get("/api/v1/services/nope/last-known-good"), 404)
    assert_error(viewer.get("/api/v1/services/checkout/last-known-good?environment=mars"), 404)

    assert author.delete(f"/api/v1/incidents/{key}/deployments/{body['id']}").status_code == 204
    assert_error(author.delete(f"/api/v1/incidents/{key}/deployments/{body['id']}"), 404)
    lkg = viewer.get("/api/v1/services/checkout/last-known-good").get_json()
    assert lkg["version"] == "1.2.0"  # no longer implicated; the manual hotfix is never chosen


def test_suspected_links_also_disqualify_a_version(api) -> None:
    ci, author = api("deployer"), api("author")
    old = deploy(ci, "2.0", "2026-01-01T00:00:00Z").get_json()
    new = deploy(ci, "2.1", "2026-01-02T00:00:00Z").get_json()
    key = create_incident(author, services=["checkout"], started_at="2026-01-02T01:00:00Z")["key"]
    author.post(f"/api/v1/incidents/{key}/deployments", json={"deployment_id": new["id"]})
    lkg = author.get("/api/v1/services/checkout/last-known-good").get_json()
    assert lkg["deployment_id"] == old["id"]


def test_a_version_linked_anywhere_is_skipped_in_every_environment(api) -> None:
    ci, author = api("deployer"), api("author")
    deploy(ci, "3.0", "2026-02-01T00:00:00Z")
    deploy(ci, "3.1", "2026-02-02T00:00:00Z", environment="staging")
    bad = deploy(ci, "3.1", "2026-02-03T00:00:00Z").get_json()
    key = create_incident(author, services=["checkout"], started_at="2026-02-03T01:00:00Z")["key"]
    author.post(f"/api/v1/incidents/{key}/deployments", json={
        "deployment_id": bad["id"], "role": "culprit"})
    assert author.get("/api/v1/services/checkout/last-known-good").get_json()["version"] == "3.0"
    assert_error(author.get("/api/v1/services/checkout/last-known-good?environment=staging"), 404)


def test_an_artifact_can_be_added_to_a_version_that_had_none(api) -> None:
    ci = api("deployer")
    ci.post("/api/v1/deployments", json={"service": "search", "version": "7",
                                         "environment": "staging"})
    ok = ci.post("/api/v1/deployments", json={"service": "search", "version": "7",
                                              "environment": "production", "artifact": "ami-123"})
    assert ok.status_code == 201 and ok.get_json()["immutable"] is True
    assert_error(ci.post("/api/v1/deployments", json={
        "service": "search", "version": "7", "environment": "production", "artifact": "ami-456"}),
        409)


def test_links_are_frozen_with_the_published_post_mortem(api) -> None:
    from .builders import make_publishable

    ci, author, reviewer = api("deployer"), api("author"), api("reviewer")
    d = deploy(ci, "5.0", "2026-03-14T08:00:00Z").get_json()
    key = create_incident(author, services=["checkout"])["key"]
    make_publishable(author, key)
    submit_for_review(author, key)
    reviewer.post(f"/api/v1/incidents/{key}/transition", json={"to": "published"})
    assert_error(author.post(f"/api/v1/incidents/{key}/deployments", json={
        "deployment_id": d["id"]}), 409)


def test_invalid_deployment_fields(api) -> None:
    ci = api("deployer")
    for payload, field in [
        ({"service": "Bad Name", "version": "1", "environment": "prod"}, "service"),
        ({"service": "svc", "version": "1", "environment": "prod", "kind": "yolo"}, "kind"),
        ({"service": "svc", "version": "1", "environment": "prod", "deployed_at": "now"}, "deployed_at"),
        ({"service": "svc", "version": "1"}, "environment"),
        ({"service": "svc", "version": "1", "environment": "prod", "url": "ftp://x"}, "url"),
    ]:
        assert_error(ci.post("/api/v1/deployments", json=payload), 422, field)
    assert_error(ci.get("/api/v1/deployments/999999"), 404)
    assert_error(ci.get("/api/v1/deployments?immutable=maybe"), 422, "immutable")


def test_cli_records_locally(app, runner) -> None:
    result = runner.invoke(args=["deployments", "record", "--service", "checkout", "--version",
                                 "4.0", "--environment", "production", "--artifact", "sha256:aa",
                                 "--deployed-at", "2026-03-01T10:00:00Z"])
    assert result.exit_code == 0, result.output
    assert "Recorded deployment" in result.output and "checkout 4.0" in result.output
    again = runner.invoke(args=["deployments", "record", "--service", "checkout", "--version",
                                "4.0", "--environment", "production",
                                "--deployed-at", "2026-03-01T10:00:00Z"])
    assert "Already recorded" in again.output
    clash = runner.invoke(args=["deployments", "record", "--service", "checkout", "--version",
                                "4.0", "--environment", "staging", "--artifact", "sha256:bb"])
    assert clash.exit_code != 0 and "sha256:aa" in clash.output
    manual = runner.invoke(args=["deployments", "record", "--service", "checkout", "--version",
                                 "hotfix", "--environment", "production", "--kind", "manual"])
    assert "out-of-band" in manual.output


def test_cli_posts_to_a_remote_server(app, runner, live_server) -> None:
    from postmortem.extensions import db

    from . import builders

    with app.app_context():
        token = builders.make_token(builders.make_user(role="deployer"))
        viewer_token = builders.make_token(builders.make_user(role="viewer"))
        db.session.remove()
    args = ["deployments", "record", "--service", "payments-api", "--version", "2026.03.14-1",
            "--environment", "production", "--artifact", "registry/payments@sha256:ff",
            "--url", live_server.url]
    result = runner.invoke(args=[*args, "--token", token])
    assert result.exit_code == 0, result.output
    assert "Recorded deployment" in result.output
    refused = runner.invoke(args=[*args, "--token", viewer_token])
    assert refused.exit_code != 0 and "403" in refused.output
    missing = runner.invoke(args=args)
    assert missing.exit_code != 0 and "--token" in missing.output
    unreachable = runner.invoke(args=[*args[:-1], "http://127.0.0.1:9", "--token", token])
    assert unreachable.exit_code != 0 and "Cannot reach" in unreachable.output
    client = app.test_client()
    listing = client.get("/api/v1/deployments?service=payments-api",
                         headers={"Authorization": f"Bearer {token}"}).get_json()
    assert listing["total"] == 1 and listing["items"][0]["artifact"] == "registry/payments@sha256:ff"


def test_a_retry_without_a_time_is_the_same_deployment(api) -> None:
    ci = api("deployer")
    payload = {"service": "search", "version": "9.0", "environment": "production",
               "artifact": "registry/search@sha256:90"}
    first = ci.post("/api/v1/deployments", json=payload)
    again = ci.post("/api/v1/deployments", json=payload)
    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json()["id"] == first.get_json()["id"]
    other = ci.post("/api/v1/deployments", json={**payload, "version": "9.1",
                                                 "artifact": "registry/search@sha256:91"})
    assert other.status_code == 201 and other.get_json()["id"] != first.get_json()["id"]
    # 9.1 is now the latest rollout: 9.0 again is a new deployment, not a retry.
    assert ci.post("/api/v1/deployments", json={**payload, "deployed_at": "2026-01-01T00:00:00Z"}
                   ).status_code == 201


def test_knowledge_spread_flags_a_service_one_person_holds(app, api, client, login) -> None:
    alone, other = api("author"), api("reviewer")
    for n in range(3):
        create_incident(alone, title=f"Checkout outage {n}", services=["checkout"])
    create_incident(other, title="Edge outage", services=["edge-cache", "checkout"])
    checkout = alone.get("/api/v1/services/checkout").get_json()["knowledge"]
    assert checkout == {"people": 2, "top_person": alone.email, "top_share": 0.75, "incidents": 4}
    edge = alone.get("/api/v1/services/edge-cache").get_json()["knowledge"]
    assert edge == {"people": 1, "top_person": other.email, "top_share": 1.0, "incidents": 1}
    login("viewer")
    page = client.get("/services")
    assert page.text.count('data-testid="knowledge-flag"') == 1  # edge-cache has one incident
    assert "knowledge rests on one person" in client.get("/services/checkout").text


def test_a_deploy_event_and_its_linked_deployment_read_as_one(app, api, client, login) -> None:
    author, ci = api("author"), api("deployer")
    key = create_incident(author, services=["checkout"], started_at="2026-03-14T09:00:00Z")["key"]
    deployment = ci.post("/api/v1/deployments", json={
        "service": "checkout", "version": "1.2.0", "environment": "production",
        "deployed_at": "2026-03-14T08:58:00Z", "artifact": "registry/checkout@sha256:aa11"}).get_json()
    author.post(f"/api/v1/incidents/{key}/deployments",
                json={"deployment_id": deployment["id"], "role": "culprit"})
    for at, kind, text in (("2026-03-14T09:03:00Z", "deploy", "Shipped the **new TTL** config"),
                           ("2026-03-14T11:00:00Z", "deploy", "Deployed the fix"),  # 2 h later
                           ("2026-03-14T09:01:00Z", "note", "checkout 1.2.0 looked fine")):
        author.post(f"/api/v1/incidents/{key}/timeline", json={"at": at, "kind": kind, "text": text})
    login("author")
    page = client.get(f"/incidents/{key}").get_data(as_text=True)
    timeline = page[page.index('id="timeline"'):page.index('id="factors"')]
    # One entry for the deployment, carrying the author's words; the others stay as they were.
    assert timeline.count("checkout 1.2.0 deployed to production") == 1
    assert '<span class="tl-note" data-testid="merged-note">Shipped the <strong>new TTL</strong> config</span>' in timeline
    assert timeline.count("Shipped the") == 1
    assert "Deployed the fix" in timeline and "looked fine" in timeline
    editor = client.get(f"/incidents/{key}/edit").get_data(as_text=True)
    assert editor.count('data-testid="same-as-deployment"') == 1
    # The PDF's timeline is the same merged one.
    from postmortem.services import incidents
    from postmortem.services.exchange.pdf import incident_html

    with app.test_request_context():
        html = incident_html(incidents.get_incident(key, reader=None))
    assert html.count("Shipped the") == 1 and "checkout 1.2.0 deployed to production" in html
