from __future__ import annotations

from django.urls import reverse

from synchrony.planning import services
from synchrony.planning.models import ContentStatus
from tests.conftest import client_for
from tests.factories import ContentItemFactory


def test_an_edit_opened_as_its_own_page_posts_and_returns_to_where_it_came_from(cast):
    item = ContentItemFactory(project=cast.project, title="Launch post", owner=cast.contributor)
    edit = reverse("planning:content-edit", args=[item.pk])
    client = client_for(cast.contributor)
    page = client.get(edit).content.decode()
    # The section an inline edit swaps is on the stage page, not here: a plain post.
    assert 'class="inline-edit"' in page and "hx-post" not in page
    assert f'<a href="{item.get_absolute_url()}">Cancel</a>' in page
    row = client.get(edit, headers={"HX-Request": "true"}).content.decode()
    assert f'hx-post="{edit}" hx-target="#content"' in row

    saved = client.post(
        edit, {"version": 1, "title": "Launch post", "kind": item.kind, "body": "New text"}
    )
    assert saved.status_code == 302 and saved.url == item.get_absolute_url()
    item.refresh_from_db()
    assert (item.body, item.version) == ("New text", 2)


def test_a_stale_review_is_explained_and_the_next_try_records_it(cast):
    item = ContentItemFactory(project=cast.project, owner=cast.contributor, body="Text")
    item = services.content_submit(actor=cast.contributor, item=item, version=1)
    url = reverse("planning:content-review", args=[item.pk])
    client = client_for(cast.manager)
    page = client.get(item.get_absolute_url()).content.decode()
    assert 'type="hidden" name="version"' in page and "checked" not in page  # no default

    undecided = client.post(url, {"version": item.version, "comment": ""})
    assert "Approve it or request changes." in undecided.content.decode()
    services.content_update(
        actor=cast.contributor, item=item, version=item.version, changes={"body": "Later text"}
    )
    stale = client.post(url, {"version": item.version, "decision": ContentStatus.APPROVED})
    assert stale.status_code == 422
    form = stale.context["review_form"]
    assert form.non_field_errors() and form["version"].value() == str(item.version + 1)
    again = client.post(url, {"version": form["version"].value(), "decision": "approved"})
    assert again.status_code == 302
    item.refresh_from_db()
    assert item.status == ContentStatus.APPROVED
