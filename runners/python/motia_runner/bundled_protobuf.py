"""motia's own protobuf, for a project interpreter that has none.

The runner runs in the project's interpreter (its ``python_modules/`` or ``.venv``), which rarely has
``protobuf``. The supervisor passes the folder holding its own ``google/protobuf`` in
``MOTIA_RUNNER_PROTOBUF_PATH``; when the project's environment cannot import ``google.protobuf``, a
finder placed after every other one makes that package (and ``google._upb``, its C extension) importable
from there, and nothing else of motia's environment. A project's own protobuf always wins, whatever
its version (``messages.py`` copes with old ones). The C extension is built for CPython's stable ABI;
where it cannot load, protobuf falls back to its pure-Python implementation by itself.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
from collections.abc import Sequence
from types import ModuleType

PROTOBUF_PATH_ENV = "MOTIA_RUNNER_PROTOBUF_PATH"
_PACKAGES = ("google.protobuf", "google._upb")
#: grpcio and what it imports (for --connect only)
_GRPC_PACKAGES = ("grpc", "typing_extensions")

#: where the protobuf in use comes from: "project", "motia" or "missing"
origin = "missing"


class _BundledProtobufFinder(importlib.abc.MetaPathFinder):
    def __init__(self, root: str) -> None:
        self._google = os.path.join(root, "google")

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname == "google":
            # Reached only when the project has no `google` namespace at all: an empty namespace,
            # so that nothing but the two packages below comes from motia's environment.
            spec = importlib.machinery.ModuleSpec("google", None, is_package=True)
            spec.submodule_search_locations = []
            return spec
        if fullname in _PACKAGES:
            return importlib.machinery.PathFinder.find_spec(fullname, [self._google])
        return None


def ensure_protobuf() -> str:
    """Make ``google.protobuf`` importable; returns (and records) where it comes from."""
    global origin
    try:
        import google.protobuf  # noqa: F401

        origin = "project"
        return origin
    except ImportError:
        pass
    root = os.environ.get(PROTOBUF_PATH_ENV)
    if root and os.path.isdir(os.path.join(root, "google", "protobuf")):
        sys.meta_path.append(_BundledProtobufFinder(root))
        origin = "motia"
    return origin


def ensure_grpc() -> None:
    """Make ``grpc`` importable for ``--connect``: the project's own, else motia's (from the folder
    ``MOTIA_RUNNER_PROTOBUF_PATH`` names, when its compiled part suits this interpreter)."""
    from motia_runner.transport_grpc import ConnectError

    try:
        import grpc

        return
    except ImportError:
        pass
    root = os.environ.get(PROTOBUF_PATH_ENV)
    if root and os.path.isdir(os.path.join(root, "grpc")):
        sys.meta_path.append(_BundledGrpcFinder(root))
        try:
            import grpc  # noqa: F401

            return
        except ImportError as exc:
            reason = f"motia's grpcio in {root} does not load here: {exc}"
    else:
        reason = f"{PROTOBUF_PATH_ENV} names no folder holding motia's grpcio"
    raise ConnectError(
        f"--connect needs grpcio in {sys.executable} ({reason}): install it there "
        "(`pip install 'grpcio>=1.85'`), or run the runner with the interpreter motia runs on"
    )


class _BundledGrpcFinder(importlib.abc.MetaPathFinder):
    def __init__(self, root: str) -> None:
        self._root = root

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname in _GRPC_PACKAGES:
            return importlib.machinery.PathFinder.find_spec(fullname, [self._root])
        return None


def describe() -> str:
    """``protobuf 7.36.2 (upb, motia's)`` for the runner's hello."""
    try:
        import google.protobuf
        from google.protobuf.internal import api_implementation
    except ImportError:
        return "protobuf missing"
    # not "the project's": with no virtualenv of its own, a project runs on motia's interpreter, whose
    # protobuf is motia's dependency; "the interpreter's" is right either way
    owner = "motia's" if origin == "motia" else "the interpreter's"
    return f"protobuf {google.protobuf.__version__} ({api_implementation.Type()}, {owner})"
