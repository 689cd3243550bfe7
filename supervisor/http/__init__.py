"""HTTP: the ASGI front that serves api steps, the quart app behind it (internal ``/__motia``
endpoints, 404s, 405s, realtime endpoints), and how requests and responses are read and written."""

from supervisor.http._app import create_app
from supervisor.http._asgi import MAX_BODY_BYTES, ApiStepFront
from supervisor.http._response import HttpResponse

__all__ = ["MAX_BODY_BYTES", "ApiStepFront", "HttpResponse", "create_app"]
