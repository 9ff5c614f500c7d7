"""Recurring themes from the taxonomy, and recurrence after a fix."""

from __future__ import annotations

from .builders import create_incident


def test_themes_count_incidents_and_flag_recurrence_after_a_fix(api, client, login) -> None:
    author = api("author")
    first = create_incident(author, title="Cache TTL zero", started_at="2026-06-03T09:00:00Z",
                            detected_at=None, services=["checkout"])["key"]
    factor = author.post(f"/api/v1/incidents/{first}/factors", json={
        "text": "TTL unchecked", "category": "config-change"}).get_json()
    item = author.post(f"/api/v1/incidents/{first}/action-items", json={
        "title": "Validate TTL ranges", "kind": "prevent", "factor_id": factor["id"]}).get_json()
    # A fix that addresses no factor of the theme does not make a recurrence.
    author.post(f"/api/v1/incidents/{first}/action-items", json={
        "title": "Unrelated cleanup", "kind": "process", "status": "done",
        "completed_at": "2026-06-10T12:00:00Z"})
    author.patch(f"/api/v1/action-items/{item['id']}", json={
        "status": "done", "completed_at": "2026-06-20T12:00:00Z"})
    second = create_incident(author, title="Flag disables cache", started_at="2026-09-29T14:00:00Z",
                             detected_at=None, services=["edge-cache"])["key"]
    author.post(f"/api/v1/incidents/{second}/factors", json={"text": "Flag bypasses cache",
                                                             "category": "config-change"})
    lone = create_incident(author, title="Cert expired", started_at="2026-07-22T00:00:00Z",
                           detected_at=None)["key"]
    author.post(f"/api/v1/incidents/{lone}/factors", json={"text": "Manual cert",
                                                           "category": "certificate-time"})

    api.refresh_insights()
    themes = [t for t in author.get("/api/v1/themes").get_json() if t["source"] == "taxonomy"]
    assert [t["id"] for t in themes] == ["config-change"]  # min_incidents defaults to 2
    theme = themes[0]
    assert theme["source"] == "taxonomy" and theme["incident_count"] == 2
    assert theme["incidents"] == [first, second]
    assert theme["services"] == ["checkout", "edge-cache"]
    assert theme["first_seen"] == "2026-06-03T09:00:00Z"
    assert theme["recurred_after_fix"] == [second]
    assert theme["recurrences"] == [{"key": second, "after": [{
        "incident": first, "action_item_id": item["id"], "title": "Validate TTL ranges",
        "completed_at": "2026-06-20T12:00:00Z", "factor": "TTL unchecked"}]}]
    assert author.get("/api/v1/themes/config-change").get_json()["incidents_by_month"] == [
        {"month": "2026-06", "incidents": 1}, {"month": "2026-09", "incidents": 1}]
    assert author.get("/api/v1/themes/no-such-theme").status_code == 404
    everything = author.get("/api/v1/themes?min_incidents=1").get_json()
    assert {t["id"] for t in everything if t["source"] == "taxonomy"} == {
        "config-change", "certificate-time"}
    assert [t for t in author.get("/api/v1/themes?since=2026-07-01T00:00:00Z").get_json()
            if t["source"] == "taxonomy"] == []
    assert [t for t in author.get(f"/api/v1/incidents/{second}").get_json()["themes"]
            if not t["id"].startswith("detected-")] == [
        {"id": "config-change", "name": "Configuration change"}]
    keys = [i["key"] for i in author.get("/api/v1/incidents?theme=config-change").get_json()["items"]]
    assert keys == [second, first]
    assert author.get("/api/v1/themes?min_incidents=0").status_code == 422

    login("viewer")
    page = client.get("/themes")
    assert page.status_code == 200
    assert "Configuration change" in page.text, page.text
    assert "came back after a fix" in page.text and "Validate TTL ranges" in page.text


def test_detected_themes_come_from_the_text_alone(api) -> None:
    author = api("author")
    keys = [create_incident(author, title=title, started_at=start, detected_at=None,
                            sections={"summary": text})["key"]
            for title, start, text in [
                ("Kafka consumer lag delayed invoices", "2026-05-01T10:00:00Z",
                 "Kafka consumer lag grew after a rebalance storm; invoices were delayed."),
                ("Invoices delayed by Kafka rebalances", "2026-07-01T10:00:00Z",
                 "A rebalance storm in the Kafka consumer group caused lag and delayed invoices."),
                ("Login page slow", "2026-08-01T10:00:00Z", "The login page was slow for users."),
            ]]
    api.refresh_insights()
    themes = author.get("/api/v1/themes").get_json()
    detected = [t for t in themes if t["source"] == "detected"]
    assert len(detected) == 1
    theme = detected[0]
    assert theme["incidents"] == keys[:2]
    assert {"kafka", "invoices"} <= set(theme["terms"])
    listed = author.get(f"/api/v1/incidents?theme={theme['id']}").get_json()["items"]
    assert sorted(i["key"] for i in listed) == sorted(keys[:2])


def test_detected_theme_ids_survive_recomputation_and_new_incidents(api) -> None:
    author = api("author")
    stories = {
        "kafka": ("Kafka consumer lag delayed invoices",
                  "Kafka consumer lag grew after a rebalance storm; invoices were delayed."),
        "kafka2": ("Invoices delayed by Kafka rebalances",
                   "A rebalance storm in the Kafka consumer group caused lag and late invoices."),
        "cert": ("Certificate expired on the login service",
                 "The TLS certificate of login expired at midnight and handshakes failed."),
        "cert2": ("Expired TLS certificate broke login",
                  "Login handshakes failed because its certificate expired overnight."),
    }
    for title, text in stories.values():
        create_incident(author, title=title, sections={"summary": text})
    api.refresh_insights()
    first = {t["id"]: set(t["incidents"]) for t in author.get("/api/v1/themes").get_json()
             if t["source"] == "detected"}
    assert len(first) == 2
    with api.app.app_context():
        from postmortem.services import insights

        assert insights.refresh(force=True).kept_ids == 2
    again = {t["id"]: set(t["incidents"]) for t in author.get("/api/v1/themes").get_json()
             if t["source"] == "detected"}
    assert again == first
    create_incident(author, title="Kafka rebalance storm delayed invoices again",
                    sections={"summary": "Consumer lag from a Kafka rebalance delayed invoices."})
    api.refresh_insights()
    later = {t["id"]: set(t["incidents"]) for t in author.get("/api/v1/themes").get_json()
             if t["source"] == "detected"}
    assert set(later) == set(first)  # the same themes, the same ids
    assert any(len(members) == 3 for members in later.values())


def test_a_post_mortem_that_tells_two_stories_is_in_both_themes(api) -> None:
    author = api("author")
    stories = [
        ("Kafka consumer lag delayed invoices",
         "Kafka consumer lag grew after a rebalance storm; invoices were delayed."),
        ("Invoices delayed by Kafka rebalances",
         "A rebalance storm in the Kafka consumer group caused lag and late invoices."),
        ("Kafka rebalance storm again",
         "Consumer lag from a Kafka rebalance storm delayed the invoice run."),
        ("Certificate expired on the login service",
         "The TLS certificate of login expired at midnight and handshakes failed."),
        ("Expired TLS certificate broke login",
         "Login handshakes failed because its TLS certificate expired overnight."),
        ("Login certificate expired again",
         "The login TLS certificate expired; every handshake failed until renewal."),
    ]
    keys = [create_incident(author, title=title, sections={"summary": text})["key"]
            for title, text in stories]
    both = create_incident(author, title="Expired certificate and a Kafka rebalance storm", sections={
        "summary": "The TLS certificate of the Kafka brokers expired; handshakes failed, and "
                   "the rebalance storm that followed left consumer lag that delayed invoices."})
    api.refresh_insights()
    detected = [set(t["incidents"]) for t in author.get("/api/v1/themes").get_json()
                if t["source"] == "detected"]
    kafka = next(members for members in detected if set(keys[:3]) <= members)
    certificate = next(members for members in detected if set(keys[3:]) <= members)
    assert kafka != certificate
    assert both["key"] in kafka and both["key"] in certificate


def test_the_theme_list_gives_the_latest_recurrences_and_the_theme_all(api, monkeypatch) -> None:
    monkeypatch.setattr("postmortem.services.insights.engine.RECURRENCES_LISTED", 2)
    author = api("author")
    first = create_incident(author, title="Cache TTL zero", started_at="2026-01-05T09:00:00Z",
                            detected_at=None)["key"]
    factor = author.post(f"/api/v1/incidents/{first}/factors", json={
        "text": "TTL unchecked", "category": "config-change"}).get_json()
    author.post(f"/api/v1/incidents/{first}/action-items", json={
        "title": "Validate TTL ranges", "kind": "prevent", "factor_id": factor["id"],
        "status": "done", "completed_at": "2026-01-10T12:00:00Z"})
    later = []
    for month in (2, 3, 4):
        key = create_incident(author, title=f"Config change {month}",
                              started_at=f"2026-0{month}-05T09:00:00Z", detected_at=None)["key"]
        author.post(f"/api/v1/incidents/{key}/factors", json={
            "text": "Flag flipped", "category": "config-change"})
        later.append(key)
    api.refresh_insights()

    def config_change(query: str = "") -> dict:
        return next(t for t in author.get(f"/api/v1/themes{query}").get_json()
                    if t["id"] == "config-change")

    listed = config_change()
    assert listed["incidents"] == [first, *later] and listed["incident_count"] == 4
    assert listed["recurrence_count"] == 3
    assert listed["recurred_after_fix"] == later[1:]  # the latest two
    assert [r["key"] for r in listed["recurrences"]] == later[1:]
    assert "incidents_by_month" not in listed
    whole = author.get("/api/v1/themes/config-change").get_json()
    assert whole["recurred_after_fix"] == later and len(whole["recurrences"]) == 3
    assert config_change("?view=full") == whole
    assert whole == {**listed, "recurred_after_fix": later, "recurrences": whole["recurrences"],
                     "incidents_by_month": whole["incidents_by_month"]}
    # A period is listed the same way.
    period = config_change("?since=2026-01-01")
    assert period["recurrence_count"] == 3 and period["recurred_after_fix"] == later[1:]
    assert config_change("?since=2026-01-01&view=full")["recurred_after_fix"] == later
    assert author.get("/api/v1/themes?view=all").status_code == 422
    # Stored before the list's form was kept (an upgraded archive): worked out when read.
    with api.app.app_context():
        from sqlalchemy import update

        from postmortem.extensions import db
        from postmortem.models import Theme

        db.session.execute(update(Theme).values(brief=None))
        db.session.commit()
    assert config_change("?min_incidents=2") == listed
