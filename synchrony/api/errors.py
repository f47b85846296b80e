"""One error body for the whole API: {"code", "message", "errors"}.

`exception_handler` (REST_FRAMEWORK's EXCEPTION_HANDLER) turns everything a view or a
service raises into that body: DRF's own exceptions, Django's ValidationError (a
service refusing a change: 400 with the fields it names), Http404, PermissionDenied,
and activity.services.StaleEdit (412 with the current representation, via the view).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from synchrony.activity.services import StaleEdit

# Shown for a field-less problem, as DRF names it.
NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_code = "precondition_required"
    default_detail = (
        "Send If-Match with the ETag of your last read of this resource, so a change "
        "someone saved meanwhile is never overwritten."
    )


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_detail = "The request body is too large."


class ErrorSerializer(serializers.Serializer):
    """The body of every error response."""

    code = serializers.CharField(
        help_text="Machine-readable, e.g. `invalid`, `not_found`, `stale`."
    )
    message = serializers.CharField(help_text="What went wrong, for a person.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per field (or query parameter, or header such as `If-Match`); "
        f"`{NON_FIELD}` holds those about no one field. Empty when no field is at fault.",
    )


def error_body(code: str, message: str, errors: Mapping[str, list[str]] | None = None) -> dict:
    return {"code": code, "message": message, "errors": dict(errors or {})}


def flatten_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {field: [messages]}; nested fields are dotted
    (`depends_on.0`), and Django's `__all__` becomes `non_field_errors`."""
    found: dict[str, list[str]] = {}

    def add(key: str, message: Any) -> None:
        found.setdefault(key or NON_FIELD, []).append(str(message))

    def walk(value: Any, key: str) -> None:
        if isinstance(value, Mapping):
            for name, inner in value.items():
                name = str(name)
                if name in (NON_FIELD, NON_FIELD_ERRORS):
                    walk(inner, key)  # about the enclosing field, or the whole body
                else:
                    walk(inner, f"{key}.{name}" if key else name)
        elif isinstance(value, (list, tuple)):
            for index, inner in enumerate(value):
                if isinstance(inner, (Mapping, list, tuple)):
                    walk(inner, f"{key}.{index}" if key else str(index))
                else:
                    add(key, inner)
        else:
            add(key, value)

    walk(detail, prefix)
    return found


def summary(errors: Mapping[str, list[str]], *, writing: bool = True) -> str:
    """One line naming what is wrong, for people reading a log."""
    parts = [
        messages[0] if field == NON_FIELD else f"{field}: {messages[0]}"
        for field, messages in list(errors.items())[:5]
    ]
    more = len(errors) - 5
    return (
        ("Not saved. " if writing else "")
        + " ".join(p if p.endswith(".") else p + "." for p in parts)
        + (f" And {more} more." if more > 0 else "")
    )


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    view = context.get("view")
    if isinstance(exc, StaleEdit):
        stale = getattr(view, "stale_response", None)
        if stale is not None:
            return stale(exc)
        return Response(error_body("stale", exc.message), status=412)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=serializers.as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    # DRF sets the status, WWW-Authenticate, Retry-After, and rolls back the request's
    # atomic block; only the body changes here.
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    legacy = response.data
    request = context.get("request")
    writing = request is not None and request.method not in ("GET", "HEAD", "OPTIONS")
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        response.data = error_body("invalid", summary(errors, writing=writing), errors)
    elif isinstance(exc, exceptions.NotAuthenticated):
        response.data = error_body(
            exc.default_code,
            "Sign in, or send a personal API token: Authorization: Bearer syn_… "
            "(Your settings → API tokens).",
        )
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        code = getattr(detail, "code", None) or exc.default_code
        if isinstance(detail, (list, dict)):
            errors = flatten_errors(detail)
            response.data = error_body(str(code), summary(errors, writing=writing), errors)
        else:
            response.data = error_body(str(code), str(detail))
    if isinstance(legacy, dict) and "detail" in legacy and not getattr(view, "core", False):
        # Endpoints older than the core (metrics ingestion, the review API) answered
        # {"detail": …}; they keep it beside the common body until they move onto it.
        response.data["detail"] = legacy["detail"]
    return response


# Django's handlers for what happens outside any view (synchrony/urls.py): under /api/,
# an address that matches no route, or a crash, still answers in the one error body.


def _api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _api(request):
        return JsonResponse(error_body("bad_request", "The request could not be read."), status=400)
    return defaults.bad_request(request, exception)


NO_ROUTE = "api:no-route"


def not_found(request: HttpRequest) -> JsonResponse:
    """404 for an API address that matches nothing, naming the address with its trailing
    slash when that one exists (the slip every client makes once)."""
    message = "No such address in the API; /api/docs/ lists them all."
    if not request.path_info.endswith("/"):
        try:
            match = resolve(request.path_info + "/")
        except Resolver404:
            match = None
        if match is not None and match.view_name != NO_ROUTE:
            query = request.META.get("QUERY_STRING", "")
            message = f"API addresses end in a slash: {request.path}/" + (
                f"?{query}" if query else ""
            )
    return JsonResponse(error_body("not_found", message), status=404)


@csrf_exempt  # nothing here is changed or read: a write with no route is a 404, not a 403
@login_not_required  # as the resources, which a token may call: a 404, not the login page
def no_route(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    """The last route under /api/ (synchrony/api/urls.py): whatever matches no other is
    the API's 404, with DEBUG on too, where Django would answer its HTML technical page.

    And an address without its trailing slash now resolves, so CommonMiddleware's
    APPEND_SLASH leaves it alone: it would answer a write with a 500 under DEBUG and, in
    production, with a 301 that HTTP clients follow as a GET (a POST that creates turned
    into a list that answers 200).
    """
    return not_found(request)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _api(request):
        return not_found(request)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _api(request):
        return JsonResponse(
            error_body("server_error", "Something went wrong on our side (it is logged)."),
            status=500,
        )
    return defaults.server_error(request)
