"""Import step, stream and hook files by path and report their configs (or, for hooks, their exports)."""

from __future__ import annotations

import dataclasses
import importlib.machinery
import importlib.util
import itertools
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from motia_runner import jsonutil
from motia_runner.config_encoding import encode_config
from motia_runner.current import RUNNER, current_invocation
from motia_runner.errors import describe, location_in, user_traceback
from motia_runner.messages import pb


@dataclass
class LoadedStep:
    file: str
    path: Path
    module: ModuleType
    config: dict[str, Any]
    handler: Callable[..., Any] | None
    middleware: list[Callable[..., Any]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.config.get("name", ""))


class StepLoadError(Exception):
    """A file imported but does not export what a step/stream must."""


class Loader:
    """Imports files (possibly again, on reload) and keeps the loaded steps and stream names."""

    def __init__(self, project_root: Path) -> None:
        self.project_root = project_root
        self.steps: dict[str, LoadedStep] = {}
        self.streams: dict[str, str] = {}  # file -> stream name
        self.stream_configs: dict[str, dict[str, Any]] = {}  # file -> config, functions (canAccess) included
        self.hooks: dict[str, dict[str, Callable[..., Any]]] = {}  # hook file -> {"authenticate": fn}
        self._counter = itertools.count(1)
        self._module_files: dict[str, Path] = {}  # module name -> the file it was imported from
        self._lock = threading.Lock()
        self._add_to_path(str(project_root))

    @property
    def stream_names(self) -> frozenset[str]:
        return frozenset(self.streams.values())

    def load(self, request: Any) -> Any:
        """Handle one LoadFiles message; return the LoadResult (blocking; runs user code)."""
        with self._lock:
            result = pb.LoadResult(request_id=request.request_id)
            for file in request.stream_files:
                self._load_one(file, result, is_stream=True)
            for file in request.step_files:
                self._load_one(file, result, is_stream=False)
            for file in getattr(request, "hook_files", ()):
                self._load_hook(file, result)
            return result

    def hook_function(self, file: str, kind: int) -> Callable[..., Any]:
        """The function an AUTHENTICATE or CAN_ACCESS invocation runs; LookupError when there is none."""
        if kind == pb.TRIGGER_KIND_AUTHENTICATE:
            hooks = self.hooks.get(file)
            if hooks is None:
                raise LookupError(f"hook file not loaded: {file}")
            if "authenticate" not in hooks:
                raise LookupError(f"{file} does not export authenticate()")
            return hooks["authenticate"]
        config = self.stream_configs.get(file)
        if config is None:
            raise LookupError(f"stream file not loaded: {file}")
        can_access = config.get("canAccess", config.get("can_access"))
        if not callable(can_access):
            raise LookupError(f"canAccess in {file} is not a function")
        return can_access  # type: ignore[no-any-return]

    def _load_hook(self, file: str, result: Any) -> None:
        path = (self.project_root / file).resolve()
        self.hooks.pop(file, None)
        try:
            module = self._import(path, file)
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            result.errors.append(_load_error(file, path, exc))
            return
        authenticate = getattr(module, "authenticate", None)
        hooks = {"authenticate": authenticate} if callable(authenticate) else {}
        self.hooks[file] = hooks
        exports = jsonutil.dumps({"exports": sorted(hooks)})
        result.hooks.append(pb.LoadedFile(file=file, config_json=exports))

    def _load_one(self, file: str, result: Any, is_stream: bool) -> None:
        path = (self.project_root / file).resolve()
        try:
            module = self._import(path, file)
            config = getattr(module, "config", None)
            if config is None:
                beside = "" if is_stream else " next to `async def handler`"
                raise StepLoadError(f"does not export `config` (a dict named `config`{beside})")
            handler = None if is_stream else getattr(module, "handler", None)
            if handler is not None and not callable(handler):
                raise StepLoadError("`handler` is not callable")
            config_json = encode_config(config, None if is_stream else handler is not None)
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            self._drop(file)
            result.errors.append(_load_error(file, path, exc))
            return
        self._drop(file)
        entry = pb.LoadedFile(file=file, config_json=config_json)
        if is_stream:
            self.streams[file] = str(config.get("name", "")) if isinstance(config, dict) else ""
            if isinstance(config, dict):
                self.stream_configs[file] = config
            result.streams.append(entry)
        else:
            middleware = config.get("middleware") or []
            if not isinstance(middleware, list | tuple):
                middleware = [middleware]
            self.steps[file] = LoadedStep(
                file=file,
                path=path,
                module=module,
                config=config,
                handler=handler,
                middleware=[fn for fn in middleware if callable(fn)],
            )
            result.steps.append(entry)

    def _import(self, path: Path, file: str) -> ModuleType:
        if not path.is_file():
            raise FileNotFoundError(f"no such file: {path}")
        # The step's folder too, so that a step imports its neighbours (`from services import x`).
        self._add_to_path(str(path.parent))
        name = self._module_name(path)
        self._claim_folders(path)
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # pydantic, dataclasses and pickle look modules up by name
        # what the module prints or logs as it runs is a line of its file (the node runner's scope.file)
        loading = current_invocation.set(dataclasses.replace(RUNNER, file=file))
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(name, None)
            raise
        finally:
            current_invocation.reset(loading)
        return module

    def _module_name(self, path: Path) -> str:
        """``steps/pets/create_pet_step.py`` is the module ``steps.pets.create_pet_step`` in the package
        ``steps.pets``, as in Motia (whose names start one folder higher, at the project's own): relative
        imports resolve (``from .helper import x``), and a helper imported relatively or absolutely from
        the project root (on ``sys.path``) is one module, not two."""
        try:
            folders = path.parent.relative_to(self.project_root).parts
        except ValueError:  # outside the project: nothing to be relative to
            folders = ()
        name = ".".join((*folders, _sanitize(path.name)))
        owner = self._module_files.setdefault(name, path)
        if owner != path:  # 'a.b_step.py' and 'a_b_step.py' in one folder: keep them apart
            name = f"{name}_{next(self._counter)}"
            self._module_files[name] = path
        return name

    def _claim_folders(self, path: Path) -> None:
        """Make the plain folders (no ``__init__.py``) between the project root and ``path`` the packages
        of those names: Python would find them as namespace packages only after searching the whole
        ``sys.path``, and an installed regular package named ``src`` or ``steps`` would win."""
        try:
            parts = path.parent.relative_to(self.project_root).parts
        except ValueError:
            return
        folder = self.project_root
        for depth, part in enumerate(parts, start=1):
            folder = folder / part
            name = ".".join(parts[:depth])
            if name in sys.modules or (folder / "__init__.py").exists():
                continue
            spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
            spec.submodule_search_locations = [str(folder)]
            package = sys.modules[name] = importlib.util.module_from_spec(spec)
            if depth > 1 and (parent := sys.modules.get(".".join(parts[: depth - 1]))) is not None:
                setattr(parent, part, package)

    @staticmethod
    def _add_to_path(folder: str) -> None:
        if folder not in sys.path:
            sys.path.insert(0, folder)

    def _drop(self, file: str) -> None:
        """Forget the previous version of a file (reload, or a reload that failed)."""
        step = self.steps.pop(file, None)
        if step is not None and sys.modules.get(step.module.__name__) is step.module:
            del sys.modules[step.module.__name__]
        self.streams.pop(file, None)
        self.stream_configs.pop(file, None)


def _sanitize(filename: str) -> str:
    """A module name for a file name: ``deletion_reaper.cron_step.py`` -> ``deletion_reaper_cron_step``."""
    stem = filename[:-3] if filename.endswith(".py") else filename
    return re.sub(r"\W", "_", stem) or "step"


def _load_error(file: str, path: Path, exc: BaseException) -> Any:
    """A LoadError for ``file``: the location in it, and a stack unless the error is our own check."""
    where = location_in(exc, str(path))
    own_check = isinstance(exc, StepLoadError)
    return pb.LoadError(
        file=file,
        line=where.line,
        column=where.column,
        message=str(exc) if own_check else describe(exc),
        stack="" if own_check else user_traceback(exc),
    )
