"""The OpenAPI 3 schema of /api/v1/, generated from the viewsets (drf-spectacular).

Every operation of a core viewset (synchrony/api/base.py) is described with what the
core adds: the token scheme, the error body on every error status, ETag on a versioned
representation, If-Match (required) on every change of a versioned row, and 412/428.
Request bodies are closed (`additionalProperties: false`), as the API refuses unknown
fields; a row's representation requires every field it shows, as it always has them; the
412 body is one component per resource (`TaskStale`). Only viewsets on the core appear;
older ad-hoc endpoints are documented in the README until they move onto it.

A client generated from it must work: tests/api/test_generated_client.py generates one
(openapi-python-client, failing on any warning) and runs an integration on it.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import ComponentIdentity, ResolvedComponent, force_instance
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from synchrony.api.base import UNSAFE_ACTIONS, ApiViewSet
from synchrony.api.errors import ErrorSerializer
from synchrony.api.pagination import MAX_ID

ERRORS = {
    "400": "Invalid input: `errors` names each field (or query parameter, or header).",
    "401": "No valid credentials: send `Authorization: Bearer <token>` (or sign in).",
    "403": "Not allowed: a read-only token, or a role on the project that may not do this.",
    "404": "No such object, or none the caller may see; or a page past the last.",
    "406": "Only JSON is served, and `Accept` names nothing else: given instead of an "
    "answer that succeeds (a write is then not made). Errors are JSON whatever `Accept` "
    "says.",
    "412": "Stale: the row changed since the version named by If-Match. The body holds "
    "the current representation and its version.",
    "413": "The body is larger than the API accepts.",
    "415": "Only JSON bodies are read (`Content-Type: application/json`).",
    "428": "If-Match is missing: send the ETag of your last read.",
    "429": "Too many requests for this token or user; `Retry-After` says when to try again.",
}


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "synchrony.api.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "syn_…",
            "description": "A personal API token (Your settings → API tokens). It acts as "
            "its owner, with their role on each project, or less: a read-only token "
            "never writes.",
        }


class AutoSchema(openapi.AutoSchema):
    @property
    def _core(self) -> bool:
        return isinstance(self.view, ApiViewSet)

    @property
    def _versioned(self) -> bool:
        return self._core and self.view.versioned

    def _needs_if_match(self) -> bool:
        return self._versioned and (
            getattr(self.view, "action", None) in UNSAFE_ACTIONS or bool(self.view.if_match)
        )

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        if self._needs_if_match():
            parameters.append(
                OpenApiParameter(
                    "If-Match",
                    type=str,
                    location=OpenApiParameter.HEADER,
                    required=True,
                    pattern=r'^(W/)?"[0-9]{1,9}"$',
                    description='The ETag of your last read of this row, e.g. `"3"`. '
                    "Missing: 428. Stale: 412 with the current representation.",
                )
            )
        if self._versioned and self.method != "DELETE" and not self._is_list_view():
            parameters.append(
                OpenApiParameter(
                    "ETag",
                    type=str,
                    location=OpenApiParameter.HEADER,
                    response=[200, 201],
                    description="The row's version, quoted: send it back in If-Match.",
                )
            )
        return parameters

    def _resolve_path_parameters(self, variables: list[str]) -> list[dict[str, Any]]:
        parameters = super()._resolve_path_parameters(variables)
        if self._core:
            # The route takes anything in the id's place (to answer 404 in JSON); an id is
            # a positive whole number.
            lookup = self.view.lookup_url_kwarg or self.view.lookup_field
            # A `pk` lookup is named after the model's key in the path: `{id}`.
            names = {lookup, "id"} if lookup == "pk" else {lookup}
            for parameter in parameters:
                if parameter["name"] in names:
                    parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
        return parameters

    def get_response_serializers(self) -> Any:
        # A write answers with the row as it now is, whatever its body looked like.
        if self._core and getattr(self.view, "action", None) in (
            "create",
            "update",
            "partial_update",
        ):
            return self.view.serializer_class
        return super().get_response_serializers()

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if not self._core:
            return responses
        codes = ["400", "401", "403", "404", "406", "429"]
        if self.method in ("POST", "PUT", "PATCH"):
            codes += ["413", "415"]
        if self._needs_if_match():
            codes += ["412", "428"]
        for code in codes:
            if code in responses:
                continue
            if code == "412":
                responses[code] = self._get_response_for_code(
                    self._stale_schema(), code, direction=direction
                )
                responses[code]["description"] = ERRORS[code]
            else:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=ERRORS[code]),
                    code,
                    direction=direction,
                )
        return dict(sorted(responses.items()))

    def _map_basic_serializer(self, serializer: Any, direction: Any) -> dict[str, Any]:
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "response" and isinstance(
            force_instance(serializer), serializers.ModelSerializer
        ):
            # A row's representation always has every field it shows (a default matters
            # only when writing): a client must not have to ask whether `status` is there.
            schema["required"] = sorted(schema.get("properties", {}))
        return schema

    def _stale_schema(self) -> dict[str, Any]:
        """The 412 body: one component per resource (`TaskStale`), so a client gets one
        type for it, not one per operation."""
        error = self.resolve_serializer(ErrorSerializer(), "response")
        current = self.resolve_serializer(self.view.serializer_class(), "response")
        change = self._register(
            "Change",
            {
                "type": "object",
                "description": "A change someone saved after the version you sent.",
                "properties": {
                    "by": {"type": "string", "nullable": True, "description": "Who."},
                    "at": {"type": "string", "format": "date-time"},
                    "verb": {"type": "string", "description": "What they did, e.g. `edited`."},
                    "fields": {
                        "type": "object",
                        "description": "Per field changed: before and after as values, "
                        "and as the pages show them.",
                        "additionalProperties": self._register(
                            "ChangedField",
                            {
                                "type": "object",
                                "properties": {
                                    "label": {
                                        "type": "string",
                                        "description": "The field's name for people, e.g. "
                                        "`Status`.",
                                    },
                                    "before": {
                                        "nullable": True,
                                        "description": "The value before, as the "
                                        "representation has it (`todo`, an id, a list of "
                                        "ids, `2026-03-01`, null); null too in a change "
                                        "recorded before values were kept.",
                                    },
                                    "after": {
                                        "nullable": True,
                                        "description": "The value after, as `before`.",
                                    },
                                    "before_label": {
                                        "type": "string",
                                        "description": "The value before as the pages "
                                        "show it (`To do`, a name); empty if none.",
                                    },
                                    "after_label": {
                                        "type": "string",
                                        "description": "The value after, as `before_label`.",
                                    },
                                },
                                "required": [
                                    "label",
                                    "before",
                                    "after",
                                    "before_label",
                                    "after_label",
                                ],
                            },
                        ),
                    },
                },
                "required": ["by", "at", "verb", "fields"],
            },
        )
        return self._register(
            f"{current.name}Stale",
            {
                "allOf": [
                    error.ref,
                    {
                        "type": "object",
                        "properties": {
                            "version": {"type": "integer"},
                            "current": current.ref,
                            "changes": {"type": "array", "items": change},
                        },
                        "required": ["version", "current", "changes"],
                    },
                ],
                "description": f"Stale: the {current.name} as it is now, and who changed "
                "what since the version you sent.",
            },
        )

    def _register(self, name: str, schema: dict[str, Any]) -> dict[str, Any]:
        """A schema of ours as a named component; its reference."""
        component = ResolvedComponent(
            name=name,
            type=ResolvedComponent.SCHEMA,
            schema=schema,
            object=ComponentIdentity(f"synchrony:{name}"),
        )
        self.registry.register_on_missing(component)
        return component.ref


def only_core_endpoints(endpoints: list[tuple], **kwargs: Any) -> list[tuple]:
    """PREPROCESSING_HOOKS: the viewsets on the core, nothing else."""
    return [
        e
        for e in endpoints
        if isinstance(getattr(e[3], "cls", None), type) and issubclass(e[3].cls, ApiViewSet)
    ]


def closed_request_bodies(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """POSTPROCESSING_HOOKS: a request body takes no field beyond those listed (the API
    refuses the rest), so clients and property-based tests know it."""
    schemas = result.get("components", {}).get("schemas", {})
    for path in result.get("paths", {}).values():
        for operation in path.values():
            body = operation.get("requestBody") if isinstance(operation, dict) else None
            for media in (body or {}).get("content", {}).values():
                ref = media.get("schema", {}).get("$ref", "")
                name = ref.rsplit("/", 1)[-1]
                if name in schemas:
                    schemas[name]["additionalProperties"] = False
    return result
