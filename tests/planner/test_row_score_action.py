"""The backlog row's "Score" action: every criterion of that row is saved by one Save.

Issue 11 found that setting all the row's dropdowns and pressing one Save kept one score and
dropped the rest (each dropdown sat in a form of its own). This test follows the row's link as
a browser would, fills every criterion, submits the form that holds them, and expects every
score saved."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
from django.urls import reverse

from planner.models import ItemScore
from tests.factories import BacklogItemFactory

pytestmark = pytest.mark.django_db


class FormReader(HTMLParser):
    """The page's links and forms: each form's action, method, fields and submit buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.links: dict[str, str] = {}
        self.forms: list[dict] = []
        self._link: str | None = None
        self._text: list[str] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a" and "href" in attributes:
            self._link, self._text = attributes["href"], []
        elif tag == "form":
            self.forms.append(
                {
                    "action": attributes.get("action", ""),
                    "method": (attributes.get("method") or "get").lower(),
                    "fields": {},
                    "selects": [],
                    "buttons": 0,
                }
            )
        elif self.forms and tag == "input" and attributes.get("name"):
            if attributes.get("type") not in {"checkbox", "submit"} or "checked" in attributes:
                self.forms[-1]["fields"].setdefault(attributes["name"], attributes.get("value", ""))
        elif self.forms and tag == "select":
            self._select = attributes["name"]
            self.forms[-1]["selects"].append(self._select)
        elif self.forms and tag == "button" and attributes.get("type", "submit") == "submit":
            self.forms[-1]["buttons"] += 1

    def handle_data(self, data):
        if self._link is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._link is not None:
            self.links[" ".join("".join(self._text).split())] = self._link
            self._link = None
        elif tag == "select":
            self._select = None


def read(response) -> FormReader:
    reader = FormReader()
    reader.feed(response.content.decode())
    return reader


def test_one_save_from_a_rows_score_action_keeps_every_criterion(editor_client, council):
    item = BacklogItemFactory(council=council)
    hand_scored = list(council.criteria.filter(active=True, derived_from_estimate=False))
    backlog = reverse("backlog", args=[council.slug])
    page = read(editor_client.get(backlog))
    link = page.links[f"Score {item.reference}"]
    opened = editor_client.get(urljoin(backlog, link))
    forms = [
        form
        for form in read(opened).forms
        if form["method"] == "post"
        and form["selects"]
        and (item.reference in form["action"] or any(item.reference in n for n in form["selects"]))
    ]
    assert len(forms) == 1, "all of the row's criteria should sit in one form"
    form = forms[0]
    assert form["buttons"] == 1, "one Save for the whole row"
    data = dict(form["fields"])
    for select in form["selects"]:
        data[select] = "4"
    response = editor_client.post(form["action"] or opened.request["PATH_INFO"], data)
    assert response.status_code == 302
    saved = ItemScore.objects.filter(item=item, criterion__in=hand_scored)
    assert sorted(score.value for score in saved) == [4] * len(hand_scored)
