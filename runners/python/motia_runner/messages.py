"""The generated protobuf messages, with a fallback for older protobuf runtimes.

``_generated/runner_pb2.py`` checks that the installed protobuf is at least the
version that generated it. A user project may pin an older protobuf, so when
that import fails the same messages are built from the serialized descriptor
embedded in the generated file (works with protobuf >= 3.20).
"""

from __future__ import annotations

import ast
import sys
import types
from pathlib import Path
from typing import TYPE_CHECKING, Any

__all__ = ["build_from_descriptor", "pb"]

GENERATED = Path(__file__).resolve().parent / "_generated" / "runner_pb2.py"


def _serialized_descriptor(source: str) -> bytes:
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "AddSerializedFile"
            and node.args
        ):
            value = ast.literal_eval(node.args[0])
            if isinstance(value, bytes):
                return value
    raise ImportError(f"no serialized descriptor in {GENERATED}")


def build_from_descriptor() -> types.ModuleType:
    """Build the runner_pb2 message classes without the generated module's version check."""
    from google.protobuf import descriptor_pool
    from google.protobuf.internal import builder

    module = types.ModuleType("motia_runner._generated.runner_pb2_compat")
    namespace: dict[str, Any] = module.__dict__
    pool = descriptor_pool.Default()
    try:
        descriptor = pool.FindFileByName("motia/runner/v1/runner.proto")
    except KeyError:
        descriptor = pool.AddSerializedFile(_serialized_descriptor(GENERATED.read_text()))
    builder.BuildMessageAndEnumDescriptors(descriptor, namespace)
    builder.BuildTopDescriptorsAndMessages(descriptor, "motia_runner._generated.runner_pb2", namespace)
    return module


def _load() -> Any:
    try:
        from motia_runner._generated import runner_pb2

        return runner_pb2
    except Exception as exc:  # VersionError, or ImportError of runtime_version on protobuf < 5.26
        try:
            return build_from_descriptor()
        except Exception:
            raise ImportError(
                f"protobuf missing in {sys.executable} (the Python runner needs protobuf >= 3.20 there): "
                f"{exc}"
            ) from exc


if TYPE_CHECKING:
    # typed against the committed runner_pb2.pyi; at run time either module has the same classes
    from motia_runner._generated import runner_pb2 as pb
else:
    pb = _load()
