"""The Python runner of motia-supervisor: runs Motia steps written in Python.

Started by the supervisor as ``<python> -m motia_runner`` inside the user
project's interpreter; speaks the ``motia.runner.v1`` protocol over stdio.
Depends only on the standard library and ``protobuf``.
"""

PROTOCOL_VERSION = 1
COOKIE = "motia-runner-v1"

__all__ = ["COOKIE", "PROTOCOL_VERSION"]
