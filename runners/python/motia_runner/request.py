"""The API request handed to middleware and handlers: a dict that also allows attribute access."""

from __future__ import annotations

from typing import Any


class ApiRequest(dict[str, Any]):
    """``req.body``, ``req["body"]``, ``req.get("pathParams", {})``; ``req.user = ...`` sets a key."""

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
    def from_payload(cls, payload: Any) -> ApiRequest:
        data = payload if isinstance(payload, dict) else {}
        request = cls(data)
        if request.get("body") is None:
            request["body"] = {}  # so that req.get("body", {}).get(...) works for body-less requests
        for key in ("headers", "pathParams", "queryParams"):
            if not isinstance(request.get(key), dict):
                request[key] = {}
        return request
