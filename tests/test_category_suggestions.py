"""A category suggested for each contributing factor without one: from the taxonomy before
any factor is categorised, then learned from the factors people categorised; accepted in one
click, never applied silently."""

from __future__ import annotations

from .builders import create_incident

DATA_STORE = ["Kafka consumer group rebalanced and the offsets were reset",
              "The Kafka partition leader moved and consumers lost their offsets",
              "Consumer offsets were committed before the Kafka write finished",
              "A Kafka broker restart reset consumer offsets for the group"]
CONFIG = ["The flag default was flipped for every tenant at once",
          "A flag meant for staging was switched on in production",
          "The flag rollout skipped the percentage steps"]


def _factor(client, key: str, text: str, category: str | None = None) -> dict:
    body = {"text": text, **({"category": category} if category else {})}
    response = client.post(f"/api/v1/incidents/{key}/factors", json=body)
    assert response.status_code == 201, response.text
    return response.get_json()


def test_the_taxonomy_suggests_before_any_factor_is_categorised(api) -> None:
    author = api("author")
    key = create_incident(author)["key"]
    factor = _factor(author, key, "The TLS certificate expired because renewal was manual")
    suggestion = factor["suggested_category"]
    assert suggestion["key"] == "certificate-time" and suggestion["name"] == "Certificate / time"
    assert 0 < suggestion["score"] <= 1 and "certificate" in suggestion["because"]
    chosen = _factor(author, key, "The flag was flipped for everyone", "config-change")
    assert chosen["suggested_category"] is None
    nothing = _factor(author, key, "Zzz qqq")
    assert nothing["suggested_category"] is None
    whole = author.get(f"/api/v1/incidents/{key}").get_json()
    by_id = {f["id"]: f for f in whole["factors"]}
    assert by_id[factor["id"]]["suggested_category"]["key"] == "certificate-time"
    assert by_id[chosen["id"]]["suggested_category"] is None
    listed = author.get("/api/v1/incidents").get_json()["items"][0]["factors"]
    assert {f["id"] for f in listed if f["suggested_category"]} == {factor["id"]}
    # Accepting it is an ordinary factor update.
    accepted = author.patch(f"/api/v1/incidents/{key}/factors/{factor['id']}",
                            json={"category": suggestion["key"]}).get_json()
    assert accepted["category"] == "certificate-time" and accepted["suggested_category"] is None


def test_a_factor_written_like_a_category_s_factors_is_suggested_it(api) -> None:
    author = api("author")
    key = create_incident(author)["key"]
    for text in DATA_STORE:
        _factor(author, key, text, "data-store")
    for text in CONFIG:
        _factor(author, key, text, "config-change")
    api.refresh_insights()
    new = _factor(author, create_incident(author)["key"],
                  "Kafka consumers lost their offsets after the broker restart")
    suggestion = new["suggested_category"]
    assert suggestion["key"] == "data-store", suggestion
    assert "kafka" in suggestion["because"].lower() or "offsets" in suggestion["because"]
    assert "already in Data store" in suggestion["because"]


def test_use_this_category_in_the_editor_and_on_the_review_page(api, client, login) -> None:
    author = api("author")
    key = create_incident(author)["key"]
    first = _factor(author, key, "The TLS certificate expired because renewal was manual")
    second = _factor(author, key, "Certificate expiry was not monitored for the API host")
    login("author")
    editor = client.get(f"/incidents/{key}/edit").text
    assert "Use this category" in editor and "Certificate / time" in editor
    saved = client.post(f"/incidents/{key}/factors/{first['id']}", data={
        "text": first["text"], "category": "", "use_category": "certificate-time",
        "version": first["version"]})
    assert saved.status_code in (200, 302)
    assert author.get(f"/api/v1/incidents/{key}").get_json()["factors"][0]["category"] == \
        "certificate-time"

    review = client.get(f"/incidents/{key}/review").text
    assert review.count("Use this category") == 1
    used = client.post(f"/incidents/{key}/factors/{second['id']}/use-category",
                       data={"category": "certificate-time", "version": second["version"]})
    assert used.status_code == 302 and used.headers["Location"].endswith(f"/{key}/review#factors")
    factors = author.get(f"/api/v1/incidents/{key}").get_json()["factors"]
    assert [f["category"] for f in factors] == ["certificate-time", "certificate-time"]
    bad = client.post(f"/incidents/{key}/factors/{second['id']}/use-category",
                      data={"category": "no-such-category", "version": "1"},
                      follow_redirects=True)
    assert bad.status_code == 200 and "The category was not changed" in bad.text
    client.post("/logout")
    login("viewer")
    assert client.post(f"/incidents/{key}/factors/{second['id']}/use-category",
                       data={"category": "capacity"}).status_code == 403
