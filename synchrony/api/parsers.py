"""The API reads JSON only, and JSON nested too deeply is a 400 like any malformed body.

(Python's decoder gives up on deep nesting with RecursionError, which DRF's parser does
not catch: `[[[[…]]]]` would otherwise be a 500.)
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from None
