"""Messages a person reads use the screen's words: no field names, no section keys, and a cut
text ends with '…'; lists of owners offer only people who can own work."""

from __future__ import annotations

from postmortem.wording import shorten

from . import builders
from .builders import assert_error, create_incident, make_publishable, submit_for_review
from .test_action_items import three_items


def test_shorten_cuts_at_a_word_and_says_so() -> None:
    assert shorten("short enough", 80) == "short enough"
    text = "The retry budget was never set for the payments client during the provider outage"
    cut = shorten(text, 40)
    assert cut.endswith("…") and len(cut) <= 40 and text.startswith(cut[:-1])
    assert cut[:-1].split()[-1] in text.split()  # not cut mid-word
    assert shorten("x" * 100, 10) == "x" * 9 + "…"


def test_bulk_wont_do_without_a_reason_says_reason(api, client, login) -> None:
    _, _, items = three_items(api)
    login("author")
    response = client.post("/action-items/bulk", data={
        "ids": [str(items[0]["id"])], "operation": "wont_do"}, follow_redirects=True)
    assert "Reason is required" in response.text
    assert "resolution_note" not in response.text.split('id="flashes"')[1].split("</div>")[0]


def test_refusing_to_publish_names_the_section_and_ends_a_cut_comment(api, app) -> None:
    from postmortem.extensions import db
    from postmortem.models import ReviewComment
    from postmortem.services import incidents

    author, reviewer = api("author"), api("reviewer")
    key = create_incident(author)["key"]
    make_publishable(author, key)
    submit_for_review(author, key)
    long_comment = ("Please say how many customers saw the error page and for how long, and "
                    "link the support tickets that came in during the outage window.")
    with app.app_context():
        db.session.add(ReviewComment(incident=incidents.get_incident(key, reader=None), body=long_comment,
                                     section_key="summary"))
        db.session.commit()
    refused = assert_error(reviewer.post(f"/api/v1/incidents/{key}/transition", json={
        "to": "published"}), 422, "checklist")
    unmet = " ".join(refused["fields"]["checklist"])
    assert "on 'Summary'" in unmet and "on 'summary'" not in unmet
    assert "…" in unmet and "outage window" not in unmet


def test_owner_lists_offer_only_people_who_can_own_work(app, api, client, login) -> None:
    author = api("author")
    with app.app_context():
        builders.make_user(role="deployer", email="ci@example.com", name="CI pipeline")
        builders.make_user(role="viewer", email="vera@example.com", name="Vera Santos")
        builders.make_user(role="reviewer", email="ana@example.com", name="Ana Lima")
    key = create_incident(author)["key"]
    item = author.post(f"/api/v1/incidents/{key}/action-items", json={
        "title": "Add a range check", "kind": "prevent"}).get_json()
    login("author")
    for path in (f"/incidents/{key}/edit", "/action-items", f"/action-items/{item['id']}"):
        html = client.get(path).text
        assert "Ana Lima" in html, path
        assert "CI pipeline" not in html and "Vera Santos" not in html, path


def test_workflow_refusals_name_states_as_the_screen_does(api, client, login) -> None:
    author = api("author")
    key = create_incident(author)["key"]
    make_publishable(author, key)
    submit_for_review(author, key)
    login("author")
    refused = client.post(f"/incidents/{key}/transition", data={"to": "published"},
                          follow_redirects=True)
    assert "Only a reviewer or above can move a post-mortem from in review to published" \
        in refused.text
    again = client.post(f"/incidents/{key}/transition", data={"to": "in_review"},
                        follow_redirects=True)
    assert "is in review already" in again.text
    assert "in_review" not in again.text.split('id="flashes"')[1].split("</div>")[0]
