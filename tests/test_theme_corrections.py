"""People's corrections of detected themes: rename, hide, merge, take a post-mortem out; each
lasts through recomputations that find the theme again."""

from __future__ import annotations

from .builders import ApiClient, ApiClientFactory, assert_error, create_incident

KAFKA = [("Kafka consumer lag delayed invoices",
          "Kafka consumer lag grew after a rebalance storm; invoices were delayed."),
         ("Invoices delayed by Kafka rebalances",
          "A rebalance storm in the Kafka consumer group caused lag and late invoices."),
         ("Kafka rebalance storm again",
          "Consumer lag from a Kafka rebalance storm delayed the invoice run.")]
CERT = [("Certificate expired on the login service",
         "The TLS certificate of login expired at midnight and handshakes failed."),
        ("Expired TLS certificate broke login",
         "Login handshakes failed because its TLS certificate expired overnight."),
        ("Login certificate expired again",
         "The login TLS certificate expired; every handshake failed until renewal.")]


def _archive(api: ApiClientFactory) -> tuple[ApiClient, list[str], list[str]]:
    author = api("author")
    kafka = [create_incident(author, title=t, sections={"summary": s})["key"] for t, s in KAFKA]
    cert = [create_incident(author, title=t, sections={"summary": s})["key"] for t, s in CERT]
    api.refresh_insights()
    return author, kafka, cert


def _detected(client: ApiClient) -> dict[str, dict]:
    return {t["id"]: t for t in client.get("/api/v1/themes?min_incidents=1").get_json()
            if t["source"] == "detected"}


def _holding(client: ApiClient, key: str) -> dict:
    return next(t for t in _detected(client).values() if key in t["incidents"])


def _recompute(api: ApiClientFactory) -> None:
    with api.app.app_context():
        from postmortem.services import insights

        insights.refresh(force=True)


def test_a_rename_lasts_through_recomputation_and_a_new_post_mortem(api, client, login) -> None:
    author, kafka, _ = _archive(api)
    reviewer = api("reviewer")
    theme = _holding(author, kafka[0])
    login("viewer")
    assert "Came back after a fix" not in client.get(f"/themes/{theme['id']}").text
    assert "," not in theme["name"] and 2 <= len(theme["name"].split()) <= 6
    assert theme["terms"] and theme["named_by"] is None

    renamed = reviewer.patch(f"/api/v1/themes/{theme['id']}", json={
        "name": "Kafka rebalance storms", "description": "Consumer groups that rebalance."})
    assert renamed.status_code == 200, renamed.text
    body = renamed.get_json()
    assert body["name"] == "Kafka rebalance storms" and body["named_by"].startswith("Reviewer")
    assert author.get(f"/api/v1/themes/{theme['id']}").get_json()["name"] == \
        "Kafka rebalance storms"

    _recompute(api)
    create_incident(author, title="Kafka rebalance storm delayed invoices once more",
                    sections={"summary": "Consumer lag from a Kafka rebalance storm again."})
    _recompute(api)
    again = _holding(author, kafka[1])
    assert again["name"] == "Kafka rebalance storms"
    assert again["description"] == "Consumer groups that rebalance."
    assert again["incident_count"] == 4

    login("viewer")
    page = client.get(f"/themes/{again['id']}")
    assert "Kafka rebalance storms" in page.text and "named by Reviewer" in page.text


def test_hiding_merging_and_taking_out_last_through_recomputation(api) -> None:
    author, kafka, cert = _archive(api)
    reviewer = api("reviewer")
    kafka_theme, cert_theme = _holding(author, kafka[0]), _holding(author, cert[0])
    assert kafka_theme["id"] != cert_theme["id"]

    out = reviewer.delete(f"/api/v1/themes/{cert_theme['id']}/incidents/{cert[2]}")
    assert out.status_code == 200, out.text
    assert cert[2] not in out.get_json()["incidents"]
    _recompute(api)
    assert cert[2] not in _holding(author, cert[0])["incidents"]

    hidden = reviewer.patch(f"/api/v1/themes/{cert_theme['id']}", json={"hidden": True})
    assert hidden.get_json()["hidden"] is True
    assert cert_theme["id"] not in _detected(author)
    _recompute(api)
    assert not any(cert[0] in t["incidents"] for t in _detected(author).values())
    assert author.get(f"/api/v1/themes/{cert_theme['id']}").get_json()["hidden"] is True
    reviewer.patch(f"/api/v1/themes/{cert_theme['id']}", json={"hidden": False})
    assert cert_theme["id"] in _detected(author)

    merged = reviewer.post(f"/api/v1/themes/{cert_theme['id']}/merge",
                           json={"into": kafka_theme["id"]})
    assert merged.status_code == 200, merged.text
    assert set(merged.get_json()["incidents"]) == {*kafka, cert[0], cert[1]}
    assert author.get(f"/api/v1/themes/{cert_theme['id']}").status_code == 404
    _recompute(api)
    themes = _detected(author)
    assert cert_theme["id"] not in themes
    assert set(themes[kafka_theme["id"]]["incidents"]) == {*kafka, cert[0], cert[1]}


def test_corrections_need_a_reviewer_and_good_input(api) -> None:
    author, kafka, _ = _archive(api)
    reviewer = api("reviewer")
    theme = _holding(author, kafka[0])["id"]
    assert_error(author.patch(f"/api/v1/themes/{theme}", json={"name": "Mine"}), 403)
    assert_error(reviewer.patch(f"/api/v1/themes/{theme}", json={}), 422, "body")
    assert_error(reviewer.patch(f"/api/v1/themes/{theme}", json={"name": ""}), 422, "name")
    assert_error(reviewer.patch(f"/api/v1/themes/{theme}", json={"name": "x" * 500}), 422, "name")
    assert_error(reviewer.patch(f"/api/v1/themes/{theme}", json={"hidden": "maybe"}), 422,
                 "hidden")
    assert_error(reviewer.patch(f"/api/v1/themes/{theme}", data="[", content_type="application/json"), 400)
    assert_error(reviewer.patch("/api/v1/themes/detected-999", json={"name": "A b"}), 404)
    assert_error(reviewer.patch("/api/v1/themes/config-change", json={"name": "A b"}), 404)
    assert_error(reviewer.post(f"/api/v1/themes/{theme}/merge", json={}), 422, "into")
    assert_error(reviewer.post(f"/api/v1/themes/{theme}/merge", json={"into": theme}), 422,
                 "into")
    assert_error(reviewer.post(f"/api/v1/themes/{theme}/merge", json={"into": ["x"]}), 422,
                 "into")
    assert_error(reviewer.post(f"/api/v1/themes/{theme}/merge", json={"into": "detected-999"}),
                 404)
    assert_error(reviewer.delete(f"/api/v1/themes/{theme}/incidents/INC-99999"), 404)
    assert_error(reviewer.delete(f"/api/v1/themes/{theme}/incidents/nonsense"), 404)
    assert _holding(author, kafka[0])["named_by"] is None


def test_a_reviewer_corrects_a_theme_on_its_page(api, client, login) -> None:
    author, kafka, cert = _archive(api)
    kafka_theme, cert_theme = _holding(author, kafka[0]), _holding(author, cert[0])
    login("viewer")
    assert "Correct this theme" not in client.get(f"/themes/{kafka_theme['id']}").text
    assert client.post(f"/themes/{kafka_theme['id']}/correct",
                       data={"name": "Mine"}).status_code == 403
    client.post("/logout")
    login("reviewer", name="Ana Lima")
    page = client.get(f"/themes/{kafka_theme['id']}").text
    assert "Correct this theme" in page and "Take out" in page and cert_theme["name"] in page, page

    saved = client.post(f"/themes/{kafka_theme['id']}/correct",
                        data={"name": "Kafka rebalance storms", "description": ""})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(kafka_theme["id"])
    page = client.get(f"/themes/{kafka_theme['id']}").text
    assert "Kafka rebalance storms" in page and "named by Ana Lima" in page
    bad = client.post(f"/themes/{kafka_theme['id']}/correct", data={"name": ""},
                      follow_redirects=True)
    assert "name: is required" in bad.text

    client.post(f"/themes/{kafka_theme['id']}/incidents/{kafka[2]}/remove")
    assert kafka[2] not in _holding(author, kafka[0])["incidents"]
    merged = client.post(f"/themes/{cert_theme['id']}/merge", data={"into": kafka_theme["id"]})
    assert merged.headers["Location"].endswith(kafka_theme["id"])
    assert set(_holding(author, kafka[0])["incidents"]) == {kafka[0], kafka[1], *cert}
    _recompute(api)
    listed = client.get("/themes").text
    assert "Kafka rebalance storms" in listed and "named by Ana Lima" in listed
    assert set(_holding(author, kafka[0])["incidents"]) == {kafka[0], kafka[1], *cert}


def test_the_nearest_theme_of_one_post_mortem_without_recomputing(api) -> None:
    author, kafka, cert = _archive(api)
    kafka_theme, cert_theme = _holding(author, kafka[0]), _holding(author, cert[0])
    new = create_incident(author, title="Kafka rebalance storm delayed the invoice run",
                          sections={"summary": "Consumer lag after a Kafka rebalance storm."})
    other = create_incident(author, title="Printer out of paper",
                            sections={"summary": "The office printer ran out of paper."})
    with api.app.app_context():
        from postmortem.services import insights

        number = int(new["key"].split("-")[1])
        found = insights.nearest_theme_of(number)
        assert found is not None and found[0] == kafka_theme["id"] and 0 < found[1] <= 1
        assert insights.nearest_theme_of(int(other["key"].split("-")[1])) is None
        assert insights.nearest_theme_of(999_999) is None
        assert insights.taken_out(number) == set()
    reviewer = api("reviewer")
    reviewer.delete(f"/api/v1/themes/{cert_theme['id']}/incidents/{cert[0]}")
    with api.app.app_context():
        from postmortem.services import insights

        assert insights.taken_out(int(cert[0].split("-")[1])) == {cert_theme["id"]}


def test_a_rename_lasts_through_the_step_for_one_saved_post_mortem(api) -> None:
    author, kafka, _ = _archive(api)
    reviewer = api("reviewer")
    theme = _holding(author, kafka[0])["id"]
    reviewer.patch(f"/api/v1/themes/{theme}", json={"name": "Kafka rebalance storms"})
    new = create_incident(author, title="Kafka consumer lag after a rebalance storm",
                          sections={"summary": "A Kafka rebalance storm delayed invoices."})
    with api.app.app_context():
        from postmortem.services.insights import incremental

        assert incremental.place_due(everything=True) == 1
    placed = author.get(f"/api/v1/themes/{theme}").get_json()
    assert placed["name"] == "Kafka rebalance storms" and placed["named_by"].startswith("Reviewer")
    assert new["key"] in placed["incidents"]
    _recompute(api)
    again = author.get(f"/api/v1/themes/{theme}").get_json()
    assert again["name"] == "Kafka rebalance storms" and new["key"] in again["incidents"]


def test_the_theme_page_title_is_its_name_alone(client, login, api) -> None:
    """The corrections are on the page once, and the title names the theme (a merge had put
    the whole corrections section into <title> as well)."""
    import re

    author, kafka, _ = _archive(api)
    theme = _holding(author, kafka[0])
    login("reviewer")
    page = client.get(f"/themes/{theme['id']}").text
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    assert title is not None and "<" not in title.group(1) and "Correct this theme" not in title.group(1)
    assert page.count('data-testid="theme-corrections"') == 1
