"""The admins' pages: without JavaScript (plain posts) and with htmx (partials)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from synchrony.planning import services as planning
from synchrony.webhooks import services
from synchrony.webhooks.models import SUBSCRIBABLE, Delivery, Endpoint, Event
from tests.conftest import client_for
from tests.factories import TaskFactory, UserFactory
from tests.test_bad_input import JUNK
from tests.webhooks.conftest import endpoint_at

HTMX = {"HTTP_HX_REQUEST": "true"}


def form(receiver, **overrides):
    return {
        "url": receiver.url + "/hook",
        "description": "CRM sync",
        "event_types": ["launch.held", "task.changed"],
        "owner": overrides.pop("owner"),
        "enabled": "on",
        **overrides,
    }


def test_an_admin_adds_an_endpoint_and_sees_its_secret_once(admin, receiver):
    client = client_for(admin)
    url = reverse("webhooks:endpoints")
    assert client.get(url).status_code == 200
    # Without JavaScript: post, redirect, get. The page with the secret is a GET, so
    # reloading it adds no second endpoint.
    response = client.post(url, form(receiver, owner=admin.pk))
    assert response.status_code == 303 and response.url == url
    response = client.get(url)
    endpoint = Endpoint.objects.get()
    body = response.content.decode()
    assert endpoint.signing_secret in body and f"Signing secret of {endpoint}" in body
    assert (endpoint.event_types, endpoint.owner, endpoint.description) == (
        ["launch.held", "task.changed"],
        admin,
        "CRM sync",
    )
    assert response["Cache-Control"].startswith("max-age=0")
    assert endpoint.signing_secret not in str(dict(client.session))
    # Never again: not on the list, the settings page or the log.
    for page in (
        url,
        reverse("webhooks:endpoint", args=[endpoint.pk]),
        reverse("webhooks:deliveries", args=[endpoint.pk]),
    ):
        shown = client.get(page).content.decode()
        assert endpoint.signing_secret not in shown
    assert (
        endpoint.secret_hint
        in client.get(reverse("webhooks:endpoint", args=[endpoint.pk])).content.decode()
    )


def test_with_htmx_the_form_swaps_its_part_of_the_page(admin, receiver):
    client = client_for(admin)
    response = client.post(reverse("webhooks:endpoints"), form(receiver, owner=admin.pk), **HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="webhooks">')
    assert "<html" not in body and Endpoint.objects.get().signing_secret in body
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("url", "http://10.0.0.5/hook", "points at a private or reserved address (10.0.0.5)"),
        ("url", "gopher://example.com/", "Use an http:// or https:// address."),
        ("url", "", "This field is required."),
        ("event_types", [], "Choose at least one event to send."),
        ("event_types", ["task.exploded"], "Select a valid choice. task.exploded is not one"),
    ],
)
def test_bad_input_is_refused_at_its_field_and_nothing_is_saved(
    admin, receiver, field, value, message
):
    client = client_for(admin)
    data = form(receiver, owner=admin.pk, **{field: value})
    response = client.post(reverse("webhooks:endpoints"), data)
    assert response.status_code == 422
    said = [error for error in response.context["form"].errors[field] if message in error]
    assert len(said) == 1, response.context["form"].errors  # said once, not twice
    assert not Endpoint.objects.exists()
    # With htmx the form comes back in place (200, so htmx swaps it), errors and all.
    response = client.post(reverse("webhooks:endpoints"), data, **HTMX)
    assert response.status_code == 200 and "has-error" in response.content.decode()
    assert not Endpoint.objects.exists()


def test_the_owner_must_be_an_admin(admin, receiver):
    someone = UserFactory()
    response = client_for(admin).post(
        reverse("webhooks:endpoints"), form(receiver, owner=someone.pk)
    )
    assert response.status_code == 422
    assert "Select a valid choice" in response.context["form"].errors["owner"][0]


def test_non_admins_get_a_404_everywhere_and_change_nothing(cast, admin, receiver):
    endpoint, secret = endpoint_at(receiver, "/hook", admin)
    delivery = services.endpoint_send_test(actor=admin, endpoint=endpoint)
    urls = [
        reverse("webhooks:endpoints"),
        reverse("webhooks:endpoint", args=[endpoint.pk]),
        reverse("webhooks:deliveries", args=[endpoint.pk]),
        reverse("webhooks:rotate", args=[endpoint.pk]),
        reverse("webhooks:enable", args=[endpoint.pk]),
        reverse("webhooks:test", args=[endpoint.pk]),
        reverse("webhooks:delete", args=[endpoint.pk]),
        reverse("webhooks:replay", args=[delivery.pk]),
    ]
    # A project's manager is no workspace admin.
    for user in (cast.manager, cast.viewer):
        client = client_for(user)
        for url in urls:
            for method in (client.get, client.post):
                response = method(url, form(receiver, owner=user.pk))
                assert response.status_code in (404, 405), (user, url, response.status_code)
                assert secret not in response.content.decode()
    endpoint.refresh_from_db()
    assert endpoint.signing_secret == secret and endpoint.version == 1
    assert Endpoint.objects.count() == 1 and Event.objects.count() == 1


def test_an_edit_is_saved_and_a_stale_one_is_refused_with_what_changed(admin, receiver):
    endpoint, _ = endpoint_at(receiver, "/hook", admin)
    other = UserFactory(username="grace", is_staff=True)
    url = reverse("webhooks:endpoint", args=[endpoint.pk])
    data = form(receiver, owner=other.pk, description="Warehouse", version=1)
    response = client_for(admin).post(url, data)
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.description, endpoint.owner, endpoint.version) == ("Warehouse", other, 2)

    response = client_for(other).post(url, {**data, "description": "BI"})  # still version 1
    assert response.status_code == 422
    assert "Not saved: this webhook endpoint changed since you opened it." in (
        response.content.decode()
    )
    endpoint.refresh_from_db()
    assert endpoint.description == "Warehouse"


def test_rotating_shows_the_new_secret_once_and_a_reload_rotates_nothing(admin, receiver):
    endpoint, old = endpoint_at(receiver, "/hook", admin)
    client = client_for(admin)
    settings_page = reverse("webhooks:endpoint", args=[endpoint.pk])
    assert "made when the endpoint was added" in client.get(settings_page).content.decode()
    response = client.post(reverse("webhooks:rotate", args=[endpoint.pk]))
    assert response.status_code == 303 and response.url == settings_page
    endpoint.refresh_from_db()
    assert endpoint.previous_secret == old
    page = client.get(settings_page)
    body = page.content.decode()
    assert endpoint.signing_secret in body and old not in body
    assert "no-store" in page["Cache-Control"]
    assert f"New signing secret of {endpoint}" in body and "Send it a test event" in body
    # The panel says what is so after a rotation (no "shown when the endpoint was added").
    assert "made when the endpoint was added" not in body and "made by the rotation" in body
    assert f"<code>{endpoint.previous_secret_hint}</code> valid until" in body

    # Reloading is a GET: the same secret, not shown again; no second rotation.
    again = client.get(settings_page).content.decode()
    assert endpoint.signing_secret not in again
    assert endpoint.secret_hint in again
    rotated = endpoint.signing_secret
    endpoint.refresh_from_db()
    assert (endpoint.signing_secret, endpoint.previous_secret) == (rotated, old)


def test_a_second_rotation_within_the_day_needs_an_explicit_yes(admin, receiver):
    endpoint, first = endpoint_at(receiver, "/hook", admin)
    client = client_for(admin)
    rotate = reverse("webhooks:rotate", args=[endpoint.pk])
    settings_page = reverse("webhooks:endpoint", args=[endpoint.pk])
    client.post(rotate)
    client.get(settings_page)  # the new secret, shown
    endpoint.refresh_from_db()
    second = endpoint.signing_secret
    page = client.get(settings_page).content.decode()
    # The page says what a second rotation does, and asks for a yes, which works
    # without JavaScript.
    assert "Rotating again now ends the previous secret" in page
    assert 'name="end_previous" value="yes"' in page and "Rotate again" in page

    # Without it: refused, nothing changes, and the first secret still verifies.
    response = client.post(rotate)
    assert response.status_code == 303
    endpoint.refresh_from_db()
    assert (endpoint.signing_secret, endpoint.previous_secret) == (second, first)
    refused = client.get(settings_page).content.decode()
    assert "Not rotated: the previous secret" in refused and second not in refused

    # With it: the first secret stops working at once, and the history says so.
    client.post(rotate, {"end_previous": "yes"})
    endpoint.refresh_from_db()
    assert endpoint.previous_secret == second and first not in endpoint.signing_secrets(
        timezone.now()
    )
    page = client.get(settings_page).content.decode()
    assert endpoint.signing_secret in page
    assert f"The one before it ({first[:10]}…) stopped working at once." in page


def test_a_secret_kept_for_the_page_is_not_shown_once_it_was_rotated_away(admin, receiver):
    endpoint, _ = endpoint_at(receiver, "/hook", admin)
    client = client_for(admin)
    client.post(reverse("webhooks:rotate", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    kept = endpoint.signing_secret
    # Another admin rotates (with the yes) before this one's page is loaded.
    services.endpoint_rotate_secret(actor=admin, endpoint=endpoint, end_previous=True)
    page = client.get(reverse("webhooks:endpoint", args=[endpoint.pk])).content.decode()
    assert kept[:10] in page  # as the previous secret's hint
    assert kept not in page and "New signing secret" not in page


def test_the_log_shows_attempts_and_payload_and_replays(cast, admin, receiver):
    receiver.script["/hook"] = [500]
    endpoint, _ = endpoint_at(receiver, "/hook", admin)
    task = TaskFactory(project=cast.project, title="Draft")
    planning.task_update(
        actor=cast.manager, task=task, version=1, changes={"title": "Write the FAQ"}
    )
    delivery = Delivery.objects.get()
    services.deliver(delivery.pk)
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=None)
    services.deliver(delivery.pk)

    client = client_for(admin)
    log = reverse("webhooks:deliveries", args=[endpoint.pk])
    body = client.get(log).content.decode()
    assert delivery.event_id in body and "Write the FAQ" in body  # the payload
    assert "HTTP 500" in body and "Delivered" in body  # both attempts
    assert 'hx-trigger="every 2s"' not in body  # nothing in flight: no refreshing

    replay = reverse("webhooks:replay", args=[delivery.pk])
    response = client.post(replay, **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="log"')
    assert 'hx-trigger="every 2s"' in body  # the replay is on its way: the log refreshes
    assert "Replaying task.changed" in body  # the message, swapped in out of band
    replayed = Delivery.objects.exclude(pk=delivery.pk).get()
    assert (replayed.event_id, replayed.replay_of_id) == (delivery.event_id, delivery.pk)

    response = client.post(replay.replace(str(delivery.pk), str(replayed.pk)))
    assert response.status_code == 302  # plain post: back to the log, with the refusal
    assert "still on its way" in client.get(log).content.decode()


def test_send_test_event_and_re_enable_without_javascript(admin, receiver):
    endpoint, _ = endpoint_at(receiver, "/hook", admin, enabled=False)
    client = client_for(admin)
    response = client.post(reverse("webhooks:test", args=[endpoint.pk]))
    assert response.status_code == 302
    delivery = Delivery.objects.get()
    assert delivery.event.type == "webhook.test"
    # In the endpoint's recent changes, as a replay is.
    history = client.get(reverse("webhooks:endpoint", args=[endpoint.pk])).content.decode()
    assert f"sent a test event to the endpoint: webhook.test ({delivery.event_id})" in history
    page = client.get(reverse("webhooks:deliveries", args=[endpoint.pk])).content.decode()
    assert "Enable the endpoint" in page and "webhook.test" in page

    response = client.post(reverse("webhooks:enable", args=[endpoint.pk]), {"next": "log"})
    assert response.url == reverse("webhooks:deliveries", args=[endpoint.pk])
    endpoint.refresh_from_db()
    assert endpoint.enabled
    response = client.post(reverse("webhooks:enable", args=[endpoint.pk]))
    assert "This endpoint is not disabled." in client.get(response.url).content.decode()


def test_deleting_an_endpoint_takes_its_log_with_it(admin, receiver):
    endpoint, _ = endpoint_at(receiver, "/hook", admin)
    services.endpoint_send_test(actor=admin, endpoint=endpoint)
    response = client_for(admin).post(reverse("webhooks:delete", args=[endpoint.pk]))
    assert response.url == reverse("webhooks:endpoints")
    assert not Endpoint.objects.exists() and not Delivery.objects.exists()


@pytest.mark.parametrize("junk", JUNK)
def test_junk_posted_by_an_admin_is_never_a_server_error_nor_saved(admin, receiver, junk):
    endpoint, _ = endpoint_at(receiver, "/hook", admin)
    delivery = services.endpoint_send_test(actor=admin, endpoint=endpoint)
    client = client_for(admin)
    urls = [
        reverse("webhooks:endpoints"),
        reverse("webhooks:endpoint", args=[endpoint.pk]),
        reverse("webhooks:deliveries", args=[endpoint.pk]),
        reverse("webhooks:enable", args=[endpoint.pk]),
        reverse("webhooks:replay", args=[delivery.pk]),
    ]
    for url in urls:
        for headers in ({}, HTMX):
            response = client.post(url, {**junk, "url": "\x00", "event_types": ["x"]}, **headers)
            assert response.status_code < 500, (url, response.status_code)
    assert list(Endpoint.objects.values_list("pk", "url", "event_types", "version")) == [
        (endpoint.pk, endpoint.url, ["task.changed"], 1)
    ]


def test_events_are_listed_in_the_forms_order_with_their_types(admin, receiver):
    # Stored sorted by type; listed in the form's (lifecycle) order, by the type a receiver
    # matches on; the form has the type beside each label.
    endpoint, _ = endpoint_at(
        receiver, "/hook", admin, events=["task.changed", "launch.scheduled", "launch.cancelled"]
    )
    assert endpoint.events == [
        ("launch.scheduled", "Launch scheduled (or released from a hold)"),
        ("launch.cancelled", "Launch cancelled"),
        ("task.changed", "Task created, changed or deleted"),
    ]
    client = client_for(admin)
    for page in (
        reverse("webhooks:endpoints"),
        reverse("webhooks:deliveries", args=[endpoint.pk]),
    ):
        body = client.get(page).content.decode()
        positions = [body.index(f"<code>{t}</code>") for t, _ in endpoint.events]
        assert positions == sorted(positions), page
    # The form, in the same order, has each type beside its label too.
    form_page = client.get(reverse("webhooks:endpoint", args=[endpoint.pk])).content.decode()
    positions = [
        form_page.index(f'{label} <code class="event-type">{value}</code>')
        for value, label in SUBSCRIBABLE
    ]
    assert positions == sorted(positions)


def test_every_row_action_is_named_after_its_row(admin, receiver):
    endpoint, _ = endpoint_at(receiver, "/hook", admin, description="CRM sync")
    services.endpoint_send_test(actor=admin, endpoint=endpoint)
    Delivery.objects.update(state="delivered")
    client = client_for(admin)
    listing = client.get(reverse("webhooks:endpoints")).content.decode()
    assert 'Settings<span class="visually-hidden"> of CRM sync</span>' in listing
    assert 'Delivery log<span class="visually-hidden"> of CRM sync</span>' in listing
    log = client.get(reverse("webhooks:deliveries", args=[endpoint.pk])).content.decode()
    assert f'Replay<span class="visually-hidden"> webhook.test endpoint:{endpoint.pk} of' in log


def test_the_url_help_names_the_networks_this_server_allows(settings):
    from synchrony.webhooks.forms import url_help

    settings.OUTBOUND_ALLOWED_NETWORKS = []
    assert "allows" not in url_help()
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32", "10.1.0.0/16"]
    assert "(or in 127.0.0.1/32, 10.1.0.0/16, which this server allows)" in url_help()
