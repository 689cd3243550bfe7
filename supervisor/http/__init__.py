"""HTTP: the ASGI front that serves api steps, the quart app behind it (internal ``/__motia``
endpoints, 404s, 405s, realtime endpoints), and how requests and responses are read and written."""

from typing import TYPE_CHECKING

from supervisor.http._response import HttpResponse, InvalidHandlerResponse, handler_response
from supervisor.lazy import lazy_exports

if TYPE_CHECKING:
    from supervisor.http._app import create_app
    from supervisor.http._asgi import MAX_BODY_BYTES, ApiStepFront
    from supervisor.http._flow_layout import FlowLayout

#: imported on first use, with quart: a command that only judges a handler's answer
#: (``motia invoke``) does not pay for the server
__getattr__ = lazy_exports(
    __name__,
    {"create_app": "_app", "MAX_BODY_BYTES": "_asgi", "ApiStepFront": "_asgi", "FlowLayout": "_flow_layout"},
)

__all__ = [
    "MAX_BODY_BYTES",
    "ApiStepFront",
    "FlowLayout",
    "HttpResponse",
    "InvalidHandlerResponse",
    "create_app",
    "handler_response",
]
