"""The API request handed to middleware and handlers: a dict that also allows attribute access."""

from __future__ import annotations

from typing import Any

#: Python spellings of the request's fields, read as the fields themselves
ALIASES = {"raw_body": "rawBody", "path_params": "pathParams", "query_params": "queryParams"}


class ApiRequest(dict[str, Any]):
    """``req.body``, ``req["body"]``, ``req.get("pathParams", {})``; ``req.user = ...`` sets a key.
    ``raw_body``, ``path_params`` and ``query_params`` read ``rawBody``, ``pathParams`` and
    ``queryParams`` (as attributes and with ``[...]``)."""

    def __missing__(self, key: str) -> Any:
        alias = ALIASES.get(key)
        if alias is None:
            raise KeyError(key)
        return self[alias]

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"request has no field {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(name) from None

    @classmethod
    def from_payload(cls, payload: Any) -> tuple[ApiRequest, bool]:
        """The request, and whether the core asks for body validation after the middleware chain
        (``validateBody`` in the payload is that instruction, not a field of the request)."""
        data = payload if isinstance(payload, dict) else {}
        validate_body = data.pop("validateBody", None) is True
        request = cls(data)
        if request.get("body") is None:
            request["body"] = {}  # so that req.get("body", {}).get(...) works for body-less requests
        for key in ("headers", "pathParams", "queryParams"):
            if not isinstance(request.get(key), dict):
                request[key] = {}
        if not isinstance(request.get("rawBody"), str):
            request["rawBody"] = ""
        return request, validate_body
