"""The admins' pages for outbound webhooks: endpoints, their settings, the delivery log.

Every view starts with a selector that applies the one permission rule (admins only,
a 404 for anyone else). Every page works as a plain form post; htmx swaps the named
partial of the same template instead of the whole page.
"""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from synchrony.accounts.http import AuthedRequest, see_other, show_once, take_shown_once
from synchrony.activity.forms import VersionedModelForm, apply_errors, error_text
from synchrony.activity.models import ActivityEvent
from synchrony.activity.services import StaleEdit
from synchrony.webhooks import services
from synchrony.webhooks.forms import FIELDS, EndpointEditForm, EndpointForm
from synchrony.webhooks.models import Endpoint
from synchrony.webhooks.selectors import (
    endpoints_for_user,
    get_delivery_for_user,
    get_endpoint_for_user,
    recent_deliveries,
)

NEW_ENDPOINT = "new-endpoint"


@require_http_methods(["GET", "POST"])
@never_cache  # a new endpoint's secret is on the page after the one that made it
@vary_on_headers("HX-Request")
def endpoints(request: AuthedRequest) -> HttpResponse:
    """The workspace's endpoints, and a form for a new one (its secret is shown once).

    A plain post redirects (303) to this page, which shows the secret once (what it needs
    is kept by accounts.http.show_once): reloading it neither adds the endpoint again nor
    shows the secret again. With htmx the post answers with the page's part, secret and
    all; the address stays this page's, so a reload is a GET too.
    """
    listed = endpoints_for_user(request.user)
    form = EndpointForm(request.POST or None, initial={"owner": request.user, "enabled": True})
    created: Endpoint | None = None
    secret = ""
    if request.method == "POST" and form.is_valid():
        try:
            created, secret = services.endpoint_create(
                actor=request.user, **{name: form.cleaned_data[name] for name in FIELDS}
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            if not request.htmx:
                show_once(request, NEW_ENDPOINT, {"pk": created.pk, "hint": created.secret_hint})
                return see_other("webhooks:endpoints")
            form = EndpointForm(initial={"owner": request.user, "enabled": True})
    elif request.method == "GET" and (kept := take_shown_once(request, NEW_ENDPOINT)):
        created = next((e for e in listed if e.pk == kept["pk"]), None)
        secret = _secret_if_still(created, kept)
    context = {"endpoints": listed, "form": form, "created": created, "secret": secret}
    if request.htmx:
        return render(request, "webhooks/endpoints.html#page", context)
    return render(request, "webhooks/endpoints.html", context, status=422 if form.errors else 200)


def _secret_key(endpoint: Endpoint) -> str:
    return f"webhook-secret-{endpoint.pk}"


def _secret_if_still(endpoint: Endpoint | None, kept: dict[str, Any]) -> str:
    """The endpoint's secret, to show once after the redirect, if it is still the one
    the POST made. Only its hint was kept: the row has the secret (it signs
    with it), and a rotation since (another tab, another admin) made that one void."""
    if endpoint is None or kept.get("hint") != endpoint.secret_hint:
        return ""
    return endpoint.signing_secret


def _settings_page(
    request: AuthedRequest,
    endpoint: Endpoint,
    form: VersionedModelForm | None = None,
    *,
    secret: str = "",
    status: int = 200,
) -> HttpResponse:
    history = ActivityEvent.objects.filter(
        target_type=Endpoint._meta.label_lower, target_id=endpoint.pk
    ).select_related("actor")[:10]
    now = timezone.now()
    return render(
        request,
        "webhooks/endpoint.html",
        {
            "endpoint": endpoint,
            "form": form or EndpointEditForm(instance=copy.copy(endpoint)),
            "secret": secret,
            "previous_works": endpoint.previous_secret_works(now),
            "history": history,
            "now": now,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@never_cache  # a new secret is on it once, after a rotation
def endpoint_edit(request: AuthedRequest, endpoint_pk: int) -> HttpResponse:
    endpoint = get_endpoint_for_user(request.user, endpoint_pk)
    if request.method == "GET":
        kept = take_shown_once(request, _secret_key(endpoint)) or {}
        return _settings_page(request, endpoint, secret=_secret_if_still(endpoint, kept))
    # The form works on a copy: a refused save leaves the page's facts as they are.
    form: VersionedModelForm = EndpointEditForm(request.POST, instance=copy.copy(endpoint))
    if form.is_valid():
        try:
            services.endpoint_update(
                actor=request.user,
                endpoint=endpoint,
                version=form.cleaned_data["version"],
                changes={name: form.cleaned_data[name] for name in FIELDS},
            )
        except StaleEdit as error:
            form = form.stale(error)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Settings of {endpoint} saved.")
            return redirect("webhooks:endpoint", endpoint_pk=endpoint.pk)
    return _settings_page(request, endpoint, form, status=422)


@require_POST
def rotate(request: AuthedRequest, endpoint_pk: int) -> HttpResponse:
    """A new secret, then 303 to the settings page, which shows it once: reloading that
    page is a GET, which neither rotates again nor shows the secret again."""
    endpoint = get_endpoint_for_user(request.user, endpoint_pk)
    try:
        endpoint, _ = services.endpoint_rotate_secret(
            actor=request.user,
            endpoint=endpoint,
            end_previous=request.POST.get("end_previous") == "yes",
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        show_once(request, _secret_key(endpoint), {"hint": endpoint.secret_hint})
    return see_other("webhooks:endpoint", endpoint_pk=endpoint.pk)


@require_POST
def enable(request: AuthedRequest, endpoint_pk: int) -> HttpResponse:
    endpoint = get_endpoint_for_user(request.user, endpoint_pk)
    try:
        services.endpoint_enable(actor=request.user, endpoint=endpoint)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(
            request,
            f"{endpoint} is enabled again. Deliveries not sent while it was off can be "
            "replayed from its delivery log.",
        )
    # The button is on the settings page and on the delivery log: back to where it was.
    back = "webhooks:deliveries" if request.POST.get("next") == "log" else "webhooks:endpoint"
    return redirect(back, endpoint_pk=endpoint.pk)


@require_POST
def delete(request: AuthedRequest, endpoint_pk: int) -> HttpResponse:
    endpoint = get_endpoint_for_user(request.user, endpoint_pk)
    services.endpoint_delete(actor=request.user, endpoint=endpoint)
    messages.success(request, f"Endpoint {endpoint} deleted: nothing more is sent to it.")
    return redirect("webhooks:endpoints")


def _log(request: AuthedRequest, endpoint: Endpoint) -> HttpResponse:
    deliveries = recent_deliveries(endpoint)
    context: dict[str, Any] = {
        "endpoint": endpoint,
        "deliveries": deliveries,
        # While something is on its way, the log refreshes itself (htmx) until it settles.
        "in_flight": any(not d.settled for d in deliveries),
    }
    if request.htmx:
        return render(request, "webhooks/deliveries.html#log", context)
    return render(request, "webhooks/deliveries.html", context)


@require_GET
@vary_on_headers("HX-Request")
def deliveries(request: AuthedRequest, endpoint_pk: int) -> HttpResponse:
    """Recent deliveries with their attempts and payloads, newest first."""
    return _log(request, get_endpoint_for_user(request.user, endpoint_pk))


def _after_action(
    request: AuthedRequest, endpoint: Endpoint, *, notice: str = "", error: str = ""
) -> HttpResponse:
    """htmx: the fresh log, the outcome in the page's messages. Plain post: the log page."""
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    if request.htmx:
        return _log(request, endpoint)
    return redirect("webhooks:deliveries", endpoint_pk=endpoint.pk)


@require_POST
def send_test(request: AuthedRequest, endpoint_pk: int) -> HttpResponse:
    endpoint = get_endpoint_for_user(request.user, endpoint_pk)
    delivery = services.endpoint_send_test(actor=request.user, endpoint=endpoint)
    return _after_action(
        request,
        endpoint,
        notice=f"Test event {delivery.event_id} is on its way; its fate shows below.",
    )


@require_POST
def replay(request: AuthedRequest, delivery_pk: int) -> HttpResponse:
    delivery = get_delivery_for_user(request.user, delivery_pk)
    try:
        services.delivery_replay(actor=request.user, delivery=delivery)
    except ValidationError as error:
        return _after_action(request, delivery.endpoint, error=error_text(error))
    return _after_action(
        request,
        delivery.endpoint,
        notice=f"Replaying {delivery.event.type} {delivery.event_id}: the same webhook-id, "
        "so a receiver that saw it drops it.",
    )
