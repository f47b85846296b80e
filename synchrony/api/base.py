"""The core of the public REST API (/api/v1/): every resource is a viewset on ApiViewSet.

Adding a resource
-----------------
1. Serializers in the owning app's ``api.py``, on ``ResourceSerializer`` (a write body
   naming an unknown or read-only field is refused with 400, naming it). The
   representation carries ``id`` and, for an editable row, ``version`` (read-only). When
   the create body differs from the edit body (it names the project, say), give a second
   serializer for it. Ids of related rows are ``RelatedId`` fields; scope them to what
   the caller may see (``ProjectId`` does it for projects). A date, time or moment declared
   by hand is this module's ``DateField``/``TimeField``/``DateTimeField`` (model fields map
   to them), which say that February 30th does not exist rather than blame the format.
2. A viewset in the same ``api.py``, composed of the verbs it offers::

       class MilestoneViewSet(Listable, Retrievable, Creatable, Updatable, Deletable,
                              ApiViewSet):
           serializer_class = MilestoneSerializer          # representation, PUT/PATCH body
           create_serializer_class = MilestoneCreateSerializer
           filterset_class = MilestoneFilter               # django-filter
           ordering_fields = ["date", "title"]
           ordering = ["date", "id"]

           def visible(self):                        # what the caller may list
               return Milestone.objects.filter(project__in=projects_for_user(self.user))

           def fetch(self, pk, *, write):            # the app's selector: 404 / 403
               return get_milestone_for_user(self.user, pk, write=write)

           def perform_create(self, data):           # the app's service: one rule, one place
               project = self.project_for(data.pop("project"), need=Need.MANAGE)
               return services.milestone_create(actor=self.user, project=project, **data)

           def perform_update(self, obj, *, version, data):
               return services.milestone_update(
                   actor=self.user, milestone=obj, version=version, changes=data)

           def perform_destroy(self, obj):
               services.milestone_delete(actor=self.user, milestone=obj)

3. Register it in ``synchrony/api/urls.py``:
   ``router.register("milestones", MilestoneViewSet, basename="milestone")``.
   It then appears in /api/schema/ and /api/docs/. Give it a row in tests/api/walk.py
   (``api_rows``) and a valid create body (``create_bodies``): the API's permission
   walk, bad-input walk and Schemathesis run (tests/api/) then cover it.

What the core does for every resource
-------------------------------------
- Authentication by personal token (``Authorization: Bearer syn_…``) or session (with
  CSRF); anonymous calls get 401 JSON, never the login page (``login_not_required``).
  Read-only tokens get 403 on every write (``WritableToken``), before anything is read.
- Lookups go through ``fetch`` (the app's selector): what the caller may not see is 404,
  what they see but may not change is 403. Ids that are not positive integers are 404.
- Optimistic concurrency (``versioned = True``): the representation answers with
  ``ETag: "<version>"``; PUT, PATCH and DELETE need ``If-Match`` (428 without it); a
  stale one is 412 with the current representation. An action that changes the row is
  declared ``@action(..., if_match=True)`` (so the schema says so) and calls
  ``expected_version()`` and ``check_version()`` itself before its service.
  ``perform_update`` gets the version to hand to the service, which re-checks it under a
  row lock (raising StaleEdit, also 412). Its ``changes`` give each field's ``before``
  and ``after`` as values, beside the labels the history pages show (``api_change``).
- Errors, from DRF, Django or a service, have one body (synchrony/api/errors.py), in
  JSON whatever Accept says: 406 only ever replaces an answer that succeeds (a write
  is refused after the 401/403/429 checks and before it runs). An address under /api/
  that matches no route is 404 in that body, naming the address with its slash when
  that one exists; never an APPEND_SLASH redirect.
- A write runs in one transaction: refused means nothing saved.
- Bodies over API_MAX_BODY_BYTES are 413 before they are read, with the same message
  from every layer (synchrony/lib/body_limit.py); only JSON is parsed.
- Times are read and written in UTC, whoever calls.
- Pagination (``page``, ``page_size`` up to 200), filtering (django-filter), ordering.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib.auth.decorators import login_not_required
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from rest_framework import exceptions, permissions, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from synchrony.activity.services import StaleEdit
from synchrony.api.errors import PreconditionRequired, RequestTooLarge, error_body
from synchrony.api.pagination import parse_id
from synchrony.lib.body_limit import api_limit, too_large
from synchrony.lib.dates import why_not_a_date, why_not_a_moment, why_not_a_time
from synchrony.projects.models import Project
from synchrony.projects.selectors import Need, get_project_for_user, projects_for_user

if TYPE_CHECKING:
    from synchrony.accounts.models import User

_ETAG = re.compile(r'\s*(?:W/)?"([0-9]{1,9})"\s*')
UNSAFE_ACTIONS = ("update", "partial_update", "destroy")


def etag(version: int) -> str:
    return f'"{version}"'


# ── Serializers ───────────────────────────────────────────────────────────────


MAX_NAMED = 20  # problems named in one answer: a body of junk gets a bounded reply
# Ids in one list field (depends_on, channels): each is looked up, so a body of 100,000
# ids must not become 100,000 queries.
MAX_RELATED = 500


def refuse_strays(fields: Mapping[str, serializers.Field], data: Any) -> None:
    """Refuse, by name, fields a write body may not carry, and text given as another type.

    A misspelt field silently ignored would look like a saved change that never was; a
    number where text belongs (42 for a title) is a client's bug, not a title.
    """
    if not isinstance(data, Mapping):
        return  # the serializer itself says a body must be an object
    problems: dict[str, list[str]] = {}
    for key, value in data.items():
        field = fields.get(key)
        if field is None:
            problems[str(key)] = ["Unknown field."]
        elif field.read_only:
            problems[str(key)] = ["Read-only: it cannot be set in this request."]
        elif isinstance(field, serializers.CharField) and not isinstance(value, str | None):
            problems[str(key)] = [f"Expected text, got {type(value).__name__}."]
        elif (
            isinstance(field, serializers.ManyRelatedField)
            and isinstance(value, list)
            and len(value) > MAX_RELATED
        ):
            problems[str(key)] = [f"At most {MAX_RELATED} ids; got {len(value):,}."]
        if len(problems) >= MAX_NAMED:
            break
    if problems:
        raise serializers.ValidationError(problems)


class _RealOnly(serializers.Field):
    """DRF calls February 30th a date of the wrong format: say it does not exist. Text
    written wrongly keeps DRF's message, which names the format. `why` says what of the
    field's kind does not exist (synchrony.lib.dates)."""

    @staticmethod
    def why(text: str) -> str | None:
        raise NotImplementedError

    def to_internal_value(self, value: Any) -> Any:
        try:
            return super().to_internal_value(value)
        except serializers.ValidationError:
            reason = self.why(value) if isinstance(value, str) else None
            if reason is not None:
                raise serializers.ValidationError(reason, code="invalid") from None
            raise


class DateField(_RealOnly, serializers.DateField):
    """Every date of the API (ResourceSerializer maps model dates to it; a declared one
    names it): one that does not exist is refused as such, not as a format."""

    why = staticmethod(why_not_a_date)


class DateTimeField(_RealOnly, serializers.DateTimeField):
    """As DateField, for moments (2026-02-30T10:00:00Z, 25:00, an offset of +25:00)."""

    why = staticmethod(why_not_a_moment)


class TimeField(_RealOnly, serializers.TimeField):
    """As DateField, for times of day (24:30)."""

    why = staticmethod(why_not_a_time)


class ResourceSerializer(serializers.ModelSerializer):
    # A resource's representation; as a write body it refuses strays (refuse_strays).
    # (A comment, not a docstring: the schema would show it on every resource.)

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateField: DateField,
        models.DateTimeField: DateTimeField,
        models.TimeField: TimeField,
    }

    def to_internal_value(self, data: Any) -> Any:
        refuse_strays(self.fields, data)
        return super().to_internal_value(data)


class StrictSerializer(serializers.Serializer):
    # A plain (action) body that refuses strays, as ResourceSerializer.

    def to_internal_value(self, data: Any) -> Any:
        refuse_strays(self.fields, data)
        return super().to_internal_value(data)


class RelatedId(serializers.PrimaryKeyRelatedField):
    """The id of a related row. Only whole numbers are ids (no 1.5, no true), and with
    `scope`, only rows the caller may see exist: `scope(user, queryset) -> queryset`."""

    def __init__(
        self, *, scope: Callable[[User, QuerySet], QuerySet] | None = None, **kwargs: Any
    ) -> None:
        self.scope = scope
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet:
        queryset = super().get_queryset()
        request = self.context.get("request")
        if self.scope is not None and request is not None:
            queryset = self.scope(request.user, queryset)
        return queryset

    def to_internal_value(self, data: Any) -> Any:
        pk = parse_id(data)
        if pk is None:
            if isinstance(data, (int, str)) and not isinstance(data, bool):
                self.fail("does_not_exist", pk_value=data)
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(pk)


class ProjectId(RelatedId):
    """A project the caller is a member of; any other id does not exist for them."""

    default_error_messages = {"does_not_exist": "No such project: {pk_value}."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Project.objects.all())
        kwargs.setdefault("help_text", "The project's id.")
        super().__init__(scope=lambda user, qs: qs.filter(pk__in=projects_for_user(user)), **kwargs)


# ── Viewsets ──────────────────────────────────────────────────────────────────


class ApiViewSet(viewsets.GenericViewSet):
    """Base of every /api/v1/ viewset; see the module docstring."""

    core: ClassVar[bool] = True  # answers with the common error body only (errors.py)
    # Rows carry `version`: ETag on the representation, If-Match on every change.
    versioned: ClassVar[bool] = True
    # Set by @action(..., if_match=True) on an action that changes a versioned row.
    if_match: bool = False
    create_serializer_class: ClassVar[type[serializers.BaseSerializer] | None] = None
    # A body larger than this is 413 before it is read; None: API_MAX_BODY_BYTES (either
    # within the limits of the layers in front: synchrony.lib.body_limit.api_limit).
    max_body_bytes: ClassVar[int | None] = None
    # Anything in the id's place reaches fetch(), which answers 404 in JSON for junk.
    lookup_value_regex = r"[^/]+"

    @classmethod
    def as_view(cls, actions: Any = None, **initkwargs: Any) -> Any:
        # A token, not a session, may say who calls: the login redirect must not intercept.
        return login_not_required(super().as_view(actions, **initkwargs))

    @property
    def user(self) -> User:
        return self.request.user  # type: ignore[return-value]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # One clock for every client: times in and out are UTC, whatever the caller's zone.
        timezone.activate(dt.UTC)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = api_limit(self.max_body_bytes)
        if length > limit:
            raise RequestTooLarge(too_large(length, limit))
        super().initial(request, *args, **kwargs)
        # A write the caller could not read the answer to is not made; who calls is known
        # by now (401, 403 and 429 come first).
        if self._not_acceptable is not None and request.method not in permissions.SAFE_METHODS:
            raise self._not_acceptable

    # Errors are JSON whatever Accept says, so an Accept that names nothing the API serves
    # must not hide them, as DRF's 406 (decided before anything else) would, even the 401
    # of a call without a token: 406 is only ever instead of an answer that succeeds.
    _not_acceptable: exceptions.NotAcceptable | None = None

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        if force:
            return super().perform_content_negotiation(request, force=True)
        try:
            return super().perform_content_negotiation(request)
        except (exceptions.NotAcceptable, Http404):  # Http404: an unknown ?format=
            self._not_acceptable = exceptions.NotAcceptable(
                "Only JSON is served: send Accept: application/json (or none)."
            )
            return super().perform_content_negotiation(request, force=True)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        if self._not_acceptable is not None and response.status_code < 400:
            response = self.handle_exception(self._not_acceptable)  # a read, nothing changed
        return super().finalize_response(request, response, *args, **kwargs)

    def get_serializer_class(self) -> Any:
        if self.action == "create" and self.create_serializer_class is not None:
            return self.create_serializer_class
        return super().get_serializer_class()

    # -- what a resource provides -------------------------------------------------

    def visible(self) -> QuerySet:
        """What the caller may list (their projects' rows), for `list` and its filters."""
        raise NotImplementedError

    def fetch(self, pk: int, *, write: bool) -> Any:
        """The row, through the app's selector: Http404 if the caller may not see it,
        PermissionDenied if `write` and they may not change it."""
        raise NotImplementedError

    def perform_create(self, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def perform_update(self, obj: Any, *, version: int, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def perform_destroy(self, obj: Any) -> None:
        raise NotImplementedError

    # -- helpers ----------------------------------------------------------------

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return self.serializer_class.Meta.model._default_manager.none()
        return self.visible()

    def get_object(self) -> Any:
        pk = parse_id(self.kwargs.get(self.lookup_url_kwarg or self.lookup_field))
        if pk is None:
            raise Http404(f"No such {self.noun}.")
        return self.fetch(pk, write=self.request.method not in permissions.SAFE_METHODS)

    @property
    def noun(self) -> str:
        model = getattr(getattr(self.serializer_class, "Meta", None), "model", None)
        return str(model._meta.verbose_name) if model is not None else "object"

    def project_for(self, project: Project, *, need: Need) -> Project:
        """The project a new row goes into, checked for the caller's role (403 if short)."""
        return get_project_for_user(self.user, project.pk, need=need)

    def represent(
        self,
        obj: Any,
        serializer: type[serializers.Serializer] | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> Any:
        shown_by = serializer or self.serializer_class
        return shown_by(obj, context={**self.get_serializer_context(), **(context or {})}).data

    def respond(
        self,
        obj: Any,
        *,
        status: int = 200,
        refetch: bool = True,
        serializer: type[serializers.Serializer] | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> Response:
        """The row as the caller now reads it (re-read through the selector after a write),
        by `serializer` where an answer shows more than the representation (with what the
        write found, in `context`)."""
        if refetch:
            obj = self.fetch(obj.pk, write=False)
        response = Response(self.represent(obj, serializer, context), status=status)
        if self.versioned:
            response["ETag"] = etag(obj.version)
        return response

    def expected_version(self) -> int:
        """The version named by If-Match: 428 without one, 400 if it is no ETag of ours."""
        header = self.request.headers.get("If-Match", "").strip()
        if not header:
            raise PreconditionRequired()
        if header == "*":
            raise PreconditionRequired(
                "If-Match: * would overwrite whatever is there now; send the ETag of your "
                'last read of it, e.g. If-Match: "3".'
            )
        match = _ETAG.fullmatch(header)
        if match is None:
            raise exceptions.ValidationError(
                {"If-Match": ['Send one ETag as this API gave it, e.g. "3".']}
            )
        self._if_match = int(match.group(1))
        return self._if_match

    def check_version(self, obj: Any, version: int) -> None:
        """412 at once when the caller's copy is old, before its body is even judged."""
        if obj.version != version:
            raise StaleEdit(obj, since_version=version)

    def stale_response(self, error: StaleEdit) -> Response:
        """412: what changed since the caller's version, and the row as it is now."""
        since = getattr(self, "_if_match", None)
        try:
            current = self.fetch(error.current.pk, write=False)
        except Http404:
            return Response(
                error_body("not_found", f"No such {self.noun}: it was deleted meanwhile."),
                status=404,
            )
        changes = [
            {
                "by": str(event.actor) if event.actor else None,
                "at": event.created_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
                "verb": event.verb,
                "fields": {name: api_change(change) for name, change in event.changes.items()},
            }
            for event in error.events
        ]
        said = []
        for event in error.events:
            fields = ", ".join(c["label"] for c in event.changes.values())
            what = f" ({fields})" if fields else ""
            said.append(f"{event.actor or 'someone'} {event.verb} it{what}")
        who = "; ".join(said)
        noun = current._meta.verbose_name
        message = (
            f"Not saved: this {noun} is at version {current.version}"
            + (f", not {since}" if since is not None else "")
            + (f" — {who}" if who else "")
            + ". Check your change against `current`, then send it with "
            + f'If-Match: "{current.version}".'
        )
        body = {
            **error_body("stale", message),
            "version": current.version,
            "current": self.represent(current),
            "changes": changes,
        }
        response = Response(body, status=412)
        response["ETag"] = etag(current.version)
        return response


def api_change(change: Mapping[str, Any]) -> dict[str, Any]:
    """A recorded change (activity.services.field_change) as the API's 412 says it: before
    and after as values, as the representation has them (`todo`, an id), beside the labels
    the pages show (`To do`, a name). A change recorded before values were kept has only
    its labels: its values are null."""
    return {
        "label": change["label"],
        "before": change.get("before_value"),
        "after": change.get("after_value"),
        "before_label": change["before"],
        "after_label": change["after"],
    }


class Listable:
    def list(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class Retrievable:
    def retrieve(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.respond(self.get_object(), refetch=False)


class Creatable:
    def create(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            obj = self.perform_create(dict(serializer.validated_data))
        response = self.respond(obj, status=201)
        response["Location"] = self.reverse_action("detail", args=[obj.pk])
        return response


class Updatable:
    def update(self: Any, request: Request, *args: Any, partial: bool = False, **kw: Any) -> Any:
        obj = self.get_object()
        version = self.expected_version()
        self.check_version(obj, version)
        serializer = self.get_serializer(obj, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            obj = self.perform_update(obj, version=version, data=dict(serializer.validated_data))
        return self.respond(obj)

    def partial_update(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)


class Deletable:
    def destroy(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()
        version = self.expected_version()
        with transaction.atomic():
            # Delete services take no version: the check is here, under the row's lock.
            model: type[models.Model] = type(obj)
            locked = model._default_manager.select_for_update().filter(pk=obj.pk).first()
            if locked is None:
                raise Http404(f"No such {self.noun}.")
            self.check_version(locked, version)
            self.perform_destroy(obj)
        return Response(status=204)
