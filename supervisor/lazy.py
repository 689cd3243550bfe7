"""Names a package exports but imports only when first used, so that what imports the package for a
few of its names (a short-lived command, a helper process) does not pay for the rest at start."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, sources: Mapping[str, str]) -> Callable[[str], Any]:
    """The module ``__getattr__`` (PEP 562) of ``package``: each name of ``sources`` comes from the
    package's module given there (``"_recorder"`` for ``package._recorder``), imported on first use
    and kept in the package, which is not asked again; any other name is an AttributeError."""

    def __getattr__(name: str) -> Any:
        module = sources.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        full_name = f"{package}.{module}"
        # the import statement's machinery, not importlib.import_module's: -X importtime lists it
        __import__(full_name)
        value = getattr(sys.modules[full_name], name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
