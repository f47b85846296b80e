"""The Review stage's pages, as each person sees them, and what bad input gets back."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from synchrony.projects.models import Project, Stage
from synchrony.reviews import services
from synchrony.reviews.models import Item, Lesson, LessonApplication, ReportLink, Vote
from tests.conftest import client_for
from tests.factories import (
    ChannelFactory,
    GoalFactory,
    LaunchFactory,
    LessonFactory,
    ProjectFactory,
)
from tests.reviews.conftest import move, participant

HX = {"HTTP_HX_REQUEST": "true"}


def add(client, retro, text, prompt="worked", **extra):
    return client.post(
        reverse("reviews:item-add", args=[retro.pk]), {"prompt": prompt, "text": text, **extra}
    )


def test_every_phase_renders_for_every_role(cast, retro):
    GoalFactory(project=cast.project)
    url = retro.get_absolute_url()
    add(client_for(cast.contributor), retro, "Checklist worked")
    for phase in ["write", "group", "vote", "discuss", "done"]:
        if phase != "write":
            retro = move(retro, cast.manager, phase)
        for user in (cast.manager, cast.contributor, cast.viewer):
            client = client_for(user)
            response = client.get(url)
            assert response.status_code == 200, (phase, user)
            assert response.context["board"] is not None
            partial = client.get(url, **HX)
            assert partial.status_code == 200
            assert b'id="retro-live"' in partial.content and b"<html" not in partial.content
    assert client_for(cast.outsider).get(url).status_code == 404


def test_the_review_page_links_the_retrospective_and_the_summary(cast, retro):
    page = client_for(cast.viewer).get(reverse("projects:stage", args=[cast.project.pk, "review"]))
    body = page.content.decode()
    assert retro.get_absolute_url() in body
    assert reverse("reviews:summary", args=[cast.project.pk]) in body


def test_a_manager_starts_the_retrospective_from_the_review_page(cast):
    Project.objects.filter(pk=cast.project.pk).update(stage=Stage.REVIEW)
    client = client_for(cast.manager)
    page = client.get(reverse("projects:stage", args=[cast.project.pk, "review"]))
    assert "Start the retrospective" in page.content.decode()
    form = client.get(reverse("reviews:project", args=[cast.project.pk]))
    assert form.context["form"] is not None
    response = client.post(
        reverse("reviews:start", args=[cast.project.pk]),
        {
            "facilitator": cast.manager.pk,
            "participants": [cast.contributor.pk, cast.viewer.pk],
            "votes_per_person": 5,
        },
    )
    assert response.status_code == 302
    retro = cast.project.retrospectives.get()
    assert retro.votes_per_person == 5 and retro.participants.count() == 3


def test_adding_an_anonymous_item_sets_a_proof_only_in_the_browser(cast, retro):
    client = client_for(cast.contributor)
    response = add(client, retro, "Deck arrived late", prompt="needs_work", anonymous="on", **{})
    assert response.status_code == 302
    item = Item.objects.get()
    assert item.author_id is None
    cookie = response.cookies[f"anon_items_{retro.pk}"]
    assert cookie["path"] == retro.get_absolute_url() and cookie["httponly"]
    # This browser sees it as its own and may change it; nobody else may.
    page = client.get(retro.get_absolute_url()).content.decode()
    assert "Deck arrived late" in page and "You · anonymous" in page
    edit = reverse("reviews:item-edit", args=[retro.pk, item.pk])
    assert client.get(edit).status_code == 200
    other_browser = client_for(cast.contributor)
    assert other_browser.get(edit).status_code == 403
    assert "Deck arrived late" not in other_browser.get(retro.get_absolute_url()).content.decode()
    # Someone else's cookie is worthless: it names its user.
    thief = client_for(cast.manager)
    thief.cookies[f"anon_items_{retro.pk}"] = cookie.value
    assert thief.get(edit).status_code == 403


def test_the_htmx_add_returns_the_board_with_the_new_item(cast, retro):
    client = client_for(cast.contributor)
    response = client.post(
        reverse("reviews:item-add", args=[retro.pk]),
        {"prompt": "worked", "text": "Early invites", "anonymous": "on"},
        **HX,
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Early invites" in body and "You · anonymous" in body
    assert f"anon_items_{retro.pk}" in response.cookies
    assert "hx-preserve" not in body  # one's own form comes back empty


def test_blame_is_flagged_with_reasons_and_can_be_posted_as_written(cast, retro):
    client = client_for(cast.contributor)
    text = f"{cast.manager.first_name} forgot to book the webinar room"
    response = add(client, retro, text, prompt="needs_work")
    assert response.status_code == 422
    body = response.content.decode()
    assert "This may read as blaming a person" in body
    assert f"Names {cast.manager.first_name} as the cause" in body
    assert "book the webinar room was missed — what would have caught it?" in body
    assert text in body  # the writer's text is kept
    assert not Item.objects.exists()
    response = add(client, retro, text, prompt="needs_work", confirmed="on")
    assert response.status_code == 302 and Item.objects.get().text == text


def test_the_live_hint_explains_as_people_type(cast, retro):
    url = reverse("reviews:blame-check", args=[retro.pk])
    client = client_for(cast.contributor)
    hint = client.post(url, {"text": "@sam dropped the ball", "prompt": "worked"})
    assert "An @mention points at a person." in hint.content.decode()
    assert client.post(url, {"text": "The hand-off had no owner"}).content.strip() == b""
    assert client_for(cast.viewer).post(url, {"text": "x"}).status_code == 403


def test_voting_beyond_the_limit_says_so(cast, retro):
    client = client_for(cast.contributor)
    add(client, retro, "A")
    retro = move(retro, cast.manager, "group", "vote")
    card = Item.objects.get().card_key
    url = reverse("reviews:vote", args=[retro.pk])
    for _ in range(3):
        client.post(url, {"card": card, "action": "add"}, **HX)
    response = client.post(url, {"card": card, "action": "add"}, **HX)
    body = response.content.decode()
    assert "You have used all 3 of your votes" in body
    assert Vote.objects.count() == 3
    # A card from elsewhere, or nonsense, is refused without a trace.
    for junk in ("item:not-a-uuid", "group:99999", "item:", "", "group:1e9", "x" * 60):
        response = client.post(url, {"card": junk, "action": "add"})
        assert response.status_code in (302, 404), junk
    assert Vote.objects.count() == 3


def test_a_removed_participant_is_told_and_cannot_write(cast, retro):
    client = client_for(cast.contributor)
    add(client, retro, "Before")
    p = participant(retro, cast.contributor)
    response = client_for(cast.manager).post(
        reverse("reviews:participant-remove", args=[retro.pk, p.pk])
    )
    assert response.status_code == 302
    response = add(client, retro, "After")
    assert response.status_code == 403
    assert "not a participant of this retrospective (any more)" in response.content.decode()
    assert list(Item.objects.values_list("text", flat=True)) == ["Before"]
    page = client_for(cast.manager).get(retro.get_absolute_url()).content.decode()
    assert "no longer taking part" in page


def test_grouping_and_the_discussion_through_the_pages(cast, retro):
    client = client_for(cast.contributor)
    add(client, retro, "Early invites")
    add(client, retro, "Invites went out on time", anonymous="on")
    retro = move(retro, cast.manager, "group")
    a, b = Item.objects.order_by("text")
    facilitator = client_for(cast.manager)
    response = facilitator.post(
        reverse("reviews:item-group", args=[retro.pk, b.pk]), {"target": a.card_key}, **HX
    )
    assert response.status_code == 200
    a.refresh_from_db()
    assert a.group is not None
    # Only the facilitator groups.
    response = client.post(
        reverse("reviews:item-ungroup", args=[retro.pk, a.pk]), {"target": a.card_key}
    )
    assert response.status_code == 403
    retro = move(retro, cast.manager, "vote", "discuss")
    page = facilitator.get(retro.get_absolute_url() + f"?card=group:{a.group_id}")
    assert page.context["action_form"].initial["title"] == "Early invites"
    response = facilitator.post(
        reverse("reviews:action-create", args=[retro.pk]),
        {
            "card": f"group:{a.group_id}",
            "title": "Send invites three weeks ahead",
            "project": cast.project.pk,
            "owner": cast.contributor.pk,
        },
    )
    assert response.status_code == 302
    assert cast.project.tasks.get().title == "Send invites three weeks ahead"


def test_goal_readings_through_the_form(cast, retro):
    goal = GoalFactory(project=cast.project, baseline=Decimal(10), target=Decimal(20))
    url = reverse("reviews:reading-edit", args=[retro.pk, goal.pk])
    client = client_for(cast.contributor)
    assert client_for(cast.viewer).get(url).status_code == 403
    for junk in ("NaN", "1e999", "abc", "Infinity"):
        response = client.post(url, {"final_value": junk, "reading": "x"})
        assert response.status_code == 422, junk
    response = client.post(url, {"final_value": "15", "reading": "Halfway"})
    assert response.status_code == 302
    page = client.get(retro.get_absolute_url()).content.decode()
    assert "Moved toward the target" in page and "50 % of the way" in page
    other = GoalFactory()
    assert client.get(reverse("reviews:reading-edit", args=[retro.pk, other.pk])).status_code == 404


def test_exports_carry_the_board(cast, retro):
    client = client_for(cast.contributor)
    add(client, retro, "Named one")
    retro = move(retro, cast.manager, "group")
    data = json.loads(client.get(reverse("reviews:export-json", args=[retro.pk])).content)
    [card] = data["cards"]
    assert card["items"][0]["author"] == str(cast.contributor)
    assert card["votes"] is None  # no totals before the discussion
    markdown = client.get(reverse("reviews:export-md", args=[retro.pk]))
    assert markdown["Content-Type"].startswith("text/markdown")
    assert f"Named one — {cast.contributor}" in markdown.content.decode()


def test_an_empty_retrospective_explains_itself(cast, retro):
    client = client_for(cast.manager)
    response = client.post(
        reverse("reviews:phase", args=[retro.pk]),
        {"to_phase": "group", "expected_phase": "write"},
        follow=True,
    )
    assert "The board is empty: there is nothing to reveal yet." in response.content.decode()
    data = json.loads(client.get(reverse("reviews:export-json", args=[retro.pk])).content)
    assert data["cards"] == []
    assert "No items." in client.get(reverse("reviews:export-md", args=[retro.pk])).content.decode()
    summary = client.get(reverse("reviews:summary", args=[cast.project.pk]))
    assert summary.status_code == 200


def test_the_library_searches_with_operators_and_odd_characters(cast, as_user):
    newsletter = ChannelFactory(name="Newsletter")
    lesson = LessonFactory(
        title="Retry webhooks before the moment",
        do_differently="Run a preflight against the in-app endpoint the day before.",
    )
    lesson.channels.set([newsletter])
    LessonFactory(title="Brief sales early", do_differently="Sales gate two days ahead.")
    LessonFactory(title="A draft", status="draft", published_at=None)
    client = as_user(cast.outsider)
    url = reverse("reviews:lessons")
    found = client.get(url, {"q": "retries webhook"}).context["page"].object_list
    assert [x.title for x in found] == ["Retry webhooks before the moment"]
    found = client.get(url, {"q": "newsletter"}).context["page"].object_list
    assert [x.title for x in found] == ["Retry webhooks before the moment"]
    found = client.get(url, {"q": '"brief sales" -webhooks'}).context["page"].object_list
    assert [x.title for x in found] == ["Brief sales early"]
    for odd in [
        "!!!",
        "a & b | c",
        "'; DROP TABLE",
        ":*",
        "(((",
        "\x00nul",
        "OR OR AND",
        "-",
        '"',
        "🚀" * 50,
        "x" * 5000,
        "\\",
        "<script>alert(1)</script>",
    ]:
        response = client.get(url, {"q": odd})
        assert response.status_code == 200, odd
        assert "A draft" not in response.content.decode()
    long = client.get(url, {"q": "y" * 300}, follow=True)
    assert "only its first 200 characters were used" in long.content.decode()
    assert client.get(url, {"channel": "abc", "stage": "nowhere"}).status_code == 200


def test_drafts_stay_with_their_project(cast, retro):
    draft = LessonFactory(retrospective=retro, status="draft", published_at=None)
    url = reverse("reviews:lesson", args=[draft.pk])
    assert client_for(cast.viewer).get(url).status_code == 200
    assert client_for(cast.outsider).get(url).status_code == 404
    published = LessonFactory(retrospective=retro)
    page = client_for(cast.outsider).get(reverse("reviews:lesson", args=[published.pk]))
    assert page.status_code == 200
    assert "another team's retrospective" in page.content.decode()
    assert cast.project.name not in page.content.decode()


def test_suggestions_on_a_development_project_and_marking_one_applied(cast):
    newsletter = ChannelFactory(name="Newsletter")
    lesson = LessonFactory(title="Brief sales before the newsletter")
    lesson.channels.set([newsletter])
    client = client_for(cast.contributor)
    page = client.get(cast.project.get_absolute_url()).content.decode()
    assert "Pick this project's channels" in page
    cast.project.channels.set([newsletter])
    page = client.get(cast.project.get_absolute_url()).content.decode()
    assert "Brief sales before the newsletter" in page
    url = reverse("reviews:lesson-answer", args=[cast.project.pk, lesson.pk])
    assert client_for(cast.viewer).post(url, {"status": "applied"}).status_code == 403
    response = client.post(url, {"status": "applied", "note": "A gate on every launch"}, **HX)
    assert response.status_code == 200
    assert "Applied" in response.content.decode()
    assert LessonApplication.objects.get().note == "A gate on every launch"
    response = client.post(url, {"status": "maybe"})
    assert response.status_code == 302
    assert LessonApplication.objects.get().status == "applied"


def test_the_summary_of_a_closed_project_renders_and_shares_by_revocable_link(cast, retro):
    GoalFactory(project=cast.project, baseline=Decimal(100), target=Decimal(200))
    LaunchFactory(project=cast.project, status="launched", lateness_ms=41, skew_ms=3)
    client = client_for(cast.contributor)
    add(client, retro, "Everything went out together")
    retro = move(retro, cast.manager, "group", "vote", "discuss")
    LessonFactory(retrospective=retro, title="Keep the one-moment launch")
    move(retro, cast.manager, "done")
    manager = client_for(cast.manager)
    manager.post(
        reverse("projects:move", args=[cast.project.pk]),
        {"to_stage": "closed", "expected_stage": "review"},
    )
    cast.project.refresh_from_db()
    assert cast.project.is_closed
    url = reverse("reviews:summary", args=[cast.project.pk])
    page = manager.get(url)
    body = page.content.decode()
    assert page.status_code == 200
    for expected in ("Goals and outcomes", "Budget", "Launches", "41 ms", "Key lessons"):
        assert expected in body
    assert "Keep the one-moment launch" in body
    # A closed project is read-only, but its report can be shared.
    response = manager.post(reverse("reviews:report-link-create", args=[cast.project.pk]), {})
    shared_url = response.context["new_link"]
    assert (
        client_for(cast.viewer)
        .post(reverse("reviews:report-link-create", args=[cast.project.pk]))
        .status_code
        == 403
    )
    from django.test import Client

    anonymous = Client()
    shared = anonymous.get(shared_url)
    assert shared.status_code == 200 and shared["Cache-Control"] == "no-store"
    shared_body = shared.content.decode()
    assert "Keep the one-moment launch" in shared_body
    assert str(cast.manager) not in shared_body and str(cast.contributor) not in shared_body
    assert f"/projects/{cast.project.pk}/" not in shared_body
    link = ReportLink.objects.get()
    manager.post(reverse("reviews:report-link-revoke", args=[link.pk]))
    gone = anonymous.get(shared_url)
    assert gone.status_code == 404 and cast.project.name not in gone.content.decode()
    assert anonymous.get("/report/" + "A" * 43 + "/").status_code == 404
    # And nothing in a closed project's retrospective changes any more.
    assert add(client, retro, "Late thought").status_code == 403
    assert (
        client_for(cast.manager)
        .post(
            reverse("reviews:phase", args=[retro.pk]),
            {"to_phase": "discuss", "expected_phase": "done"},
        )
        .status_code
        == 403
    )


def test_report_links_expire(cast):
    manager = client_for(cast.manager)
    url = reverse("reviews:report-link-create", args=[cast.project.pk])
    for days in ("-1", "366", "abc", "1e3"):
        assert manager.post(url, {"days": days}).status_code == 422, days
    response = manager.post(url, {"days": "7"})
    assert ReportLink.objects.get().expires_at is not None
    assert response.context["new_link"].startswith("http://testserver/report/")


def test_lesson_pages_and_actions(cast, retro):
    client = client_for(cast.contributor)
    add(client, retro, "A")
    retro = move(retro, cast.manager, "group")
    channel = ChannelFactory()
    response = client.post(
        reverse("reviews:lesson-create", args=[retro.pk]),
        {
            "card": Item.objects.get().card_key,
            "title": "Keep the checklist",
            "do_differently": "Use the checklist for every launch.",
            "channels": [channel.pk],
            "stage": "activation",
            "kind": "campaign",
        },
    )
    assert response.status_code == 302
    lesson = Lesson.objects.get()
    assert lesson.status == "draft" and lesson.created_by == cast.contributor
    # Drafters edit their draft; only the facilitator publishes.
    assert client.get(reverse("reviews:lesson-edit", args=[lesson.pk])).status_code == 200
    publish = reverse("reviews:lesson-publish", args=[lesson.pk])
    assert client.post(publish, {"version": lesson.version}).status_code == 403
    response = client_for(cast.manager).post(publish, {"version": "junk"}, follow=True)
    assert "Reload the page" in response.content.decode()
    client_for(cast.manager).post(publish, {"version": lesson.version})
    lesson.refresh_from_db()
    assert lesson.is_published
    assert client.get(reverse("reviews:lesson-edit", args=[lesson.pk])).status_code == 403
    # Missing the essentials: clear messages at the field, nothing saved.
    response = client.post(reverse("reviews:lesson-create", args=[retro.pk]), {"title": ""})
    assert response.status_code == 422
    assert response.context["lesson_form"].errors.keys() >= {"title", "do_differently"}
    assert Lesson.objects.count() == 1


def test_applied_lessons_show_in_the_next_retrospective(cast, retro):
    lesson = LessonFactory(project=ProjectFactory(), title="Brief sales first")
    LessonApplication.objects.create(
        lesson=lesson, project=cast.project, decided_by=cast.manager, note="Gate added"
    )
    page = client_for(cast.contributor).get(retro.get_absolute_url()).content.decode()
    assert "Lessons we applied from earlier projects" in page
    assert "Brief sales first" in page and "Gate added" in page
    application = LessonApplication.objects.get()
    url = reverse("reviews:application-outcome", args=[application.pk])
    assert client_for(cast.viewer).post(url, {"outcome": "helped"}).status_code == 403
    client_for(cast.contributor).post(url, {"outcome": "helped", "outcome_note": "Calm launch"})
    application.refresh_from_db()
    assert application.outcome == "helped"


@pytest.mark.parametrize("phase", ["write", "vote"])
def test_items_of_another_retrospective_are_not_found(cast, retro, phase):
    other = services.retrospective_start(
        actor=cast.manager,
        project=(p := ProjectFactory(owner=cast.manager, stage=Stage.REVIEW)),
        facilitator=cast.manager,
        participants=[],
    )
    item = services.item_add(
        participant=participant(other, cast.manager),
        retro=other,
        prompt="worked",
        text="Elsewhere",
        anonymous=False,
    )
    assert p.pk != cast.project.pk
    client = client_for(cast.manager)
    assert client.get(reverse("reviews:item-edit", args=[retro.pk, item.pk])).status_code == 404
    assert client.post(reverse("reviews:item-delete", args=[retro.pk, item.pk])).status_code == 404


def test_settings_items_and_groups_are_edited_by_the_right_people(cast, retro):
    manager, contributor = client_for(cast.manager), client_for(cast.contributor)
    settings_url = reverse("reviews:retro-edit", args=[retro.pk])
    assert manager.get(settings_url).status_code == 200
    assert contributor.get(settings_url).status_code == 403
    response = manager.post(
        settings_url,
        {"facilitator": cast.contributor.pk, "votes_per_person": 5, "version": retro.version},
    )
    assert response.status_code == 302
    retro.refresh_from_db()
    assert (retro.facilitator, retro.votes_per_person) == (cast.contributor, 5)
    stale = manager.post(
        settings_url, {"facilitator": cast.manager.pk, "votes_per_person": 2, "version": 1}
    )
    assert stale.status_code == 422 and "Not saved" in stale.content.decode()

    add(contributor, retro, "Frist draft")
    item = Item.objects.get()
    edit = reverse("reviews:item-edit", args=[retro.pk, item.pk])
    assert contributor.get(edit).status_code == 200
    assert manager.get(edit).status_code == 403
    response = contributor.post(edit, {"text": "First draft", "version": 1})
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.text, item.version) == ("First draft", 2)
    assert contributor.post(edit, {"text": "Again", "version": 1}).status_code == 422

    add(contributor, retro, "Second")
    retro = move(retro, cast.contributor, "group")  # the facilitator now
    first, second = Item.objects.order_by("text")
    client_for(cast.contributor).post(
        reverse("reviews:item-group", args=[retro.pk, second.pk]), {"target": first.card_key}
    )
    first.refresh_from_db()
    group_url = reverse("reviews:group-edit", args=[first.group_id])
    assert contributor.get(group_url).status_code == 200
    assert client_for(cast.viewer).get(group_url).status_code == 403
    contributor.post(group_url, {"title": "Drafts"})
    first.group.refresh_from_db()
    assert first.group.title == "Drafts"


def test_once_the_project_retrospective_is_held_only_launches_can_have_one(cast, retro):
    LaunchFactory(project=cast.project, status="launched", name="Wave 1")
    page = client_for(cast.manager).get(reverse("reviews:project", args=[cast.project.pk]))
    form = page.context["form"]
    assert form.fields["launch"].required
    response = client_for(cast.manager).post(
        reverse("reviews:start", args=[cast.project.pk]),
        {"facilitator": cast.manager.pk, "votes_per_person": 3},
    )
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
