from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from synchrony.accounts.http import AuthedRequest
from synchrony.api import services
from synchrony.api.forms import TokenForm
from synchrony.api.models import ApiToken


@require_http_methods(["GET", "POST"])
def tokens(request: AuthedRequest) -> HttpResponse:
    """The user's own API tokens; a new one is shown once, on the page that made it."""
    form = TokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        _, new_token = services.token_create(
            actor=request.user,
            name=form.cleaned_data["name"],
            read_only=form.cleaned_data["read_only"],
        )
        form = TokenForm()
    return render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "new_token": new_token,
            "tokens": ApiToken.objects.filter(user=request.user),
        },
        status=422 if form.errors else 200,
    )


@require_POST
def token_revoke(request: AuthedRequest, token_pk: int) -> HttpResponse:
    token = ApiToken.objects.filter(pk=token_pk, user=request.user).first()
    if token is None:
        raise Http404("No such token.")
    services.token_revoke(actor=request.user, token=token)
    messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
    return redirect("api:tokens")
