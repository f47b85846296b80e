from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from redis.exceptions import RedisError

from synchrony.accounts.http import AuthedRequest, see_other, show_once, take_shown_once
from synchrony.api import services
from synchrony.api.forms import TokenForm
from synchrony.api.models import ApiToken

NEW_TOKEN = "api-token"


@require_http_methods(["GET", "POST"])
@never_cache  # a new token is on the page once
def tokens(request: AuthedRequest) -> HttpResponse:
    """The user's own API tokens; a new one is shown once.

    Creating redirects (303) to this page, which shows the token kept for it (in Redis,
    accounts.http.show_once) and forgets it: reloading neither makes a second token nor
    shows this one again. A token that could not be kept to be shown is not made.
    """
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                api_token, token = services.token_create(
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    read_only=form.cleaned_data["read_only"],
                )
                show_once(request, NEW_TOKEN, {"pk": api_token.pk, "token": token})
        except RedisError:
            form.add_error(
                None,
                "No token was made: Redis, where it waits to be shown, "
                "did not answer. Try again in a moment.",
            )
        else:
            return see_other("api:tokens")
    mine = ApiToken.objects.filter(user=request.user)
    new_token, new = "", None
    if request.method == "GET" and (kept := take_shown_once(request, NEW_TOKEN)):
        new = mine.filter(pk=kept["pk"]).first()
        new_token = kept["token"] if new else ""
    return render(
        request,
        "api/tokens.html",
        {"form": form, "new_token": new_token, "new": new, "tokens": mine},
        status=422 if form.errors else 200,
    )


@require_POST
def token_revoke(request: AuthedRequest, token_pk: int) -> HttpResponse:
    token = ApiToken.objects.filter(pk=token_pk, user=request.user).first()
    if token is None:
        raise Http404("No such token.")
    services.token_revoke(actor=request.user, token=token)
    messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
    return see_other("api:tokens")
