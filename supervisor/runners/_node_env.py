"""Node.js for TypeScript and JavaScript steps, and the node runner's own npm packages.

The node runner needs a few npm packages (tsx, zod, @bufbuild/protobuf...). They are never put into
the user's project: they are installed once per runner version, with ``npm ci`` from the lockfile the
wheel ships, into a user cache folder (``$MOTIA_CACHE_DIR``, else ``$XDG_CACHE_HOME/motia``, else
``~/.cache/motia``), and reused from there, offline, by every later start. The runner runs from that
folder, so its packages resolve there, while the user's step files resolve their imports from the
project as usual (the project's own ``node_modules`` wins; ``motia`` and ``zod`` fall back to the
runner's when the project lacks them).

Two ``motia`` processes starting at once do not install twice: a file lock serializes the install,
and the folder appears under its final name, complete, by one atomic rename.

A checkout of the repository whose ``runners/node/node_modules`` exists (``scripts/setup``) runs the
runner in place instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from supervisor.runners._errors import RunnerSetupError

MIN_NODE_MAJOR = 20
CACHE_DIR_ENV = "MOTIA_CACHE_DIR"
_READY = ".motia-ready"
_RUNNER_FILES = ("bin", "src", "package.json", "package-lock.json")
_NODE_FIX = f"install Node.js {MIN_NODE_MAJOR} or newer (https://nodejs.org) and put `node` on the PATH"

_logger = logging.getLogger("motia.core")


@dataclass(frozen=True)
class NodeInfo:
    path: str
    version: str


def cache_dir() -> Path:
    """motia's user cache folder."""
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "motia"


def find_node() -> NodeInfo:
    """The ``node`` on the PATH, if it is recent enough; otherwise one error saying what was found."""
    path = shutil.which("node")
    if path is None:
        raise RunnerSetupError("node", "Node.js was not found on the PATH", _NODE_FIX)
    try:
        done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RunnerSetupError("node", f"{path} --version failed: {exc}", _NODE_FIX) from exc
    version = done.stdout.strip()
    match = re.match(r"v?(\d+)\.", version)
    if done.returncode != 0 or match is None:
        raise RunnerSetupError(
            "node", f"{path} is not a working Node.js (`node --version` printed {version!r})", _NODE_FIX
        )
    if int(match.group(1)) < MIN_NODE_MAJOR:
        raise RunnerSetupError(
            "node",
            f"Node.js {version} found at {path}; TypeScript and JavaScript steps need Node.js "
            f"{MIN_NODE_MAJOR} or newer",
            _NODE_FIX,
        )
    return NodeInfo(path, version)


def runner_install_key(runner_dir: Path) -> str:
    """Names one version of the node runner: its package version and a digest of its files."""
    digest = hashlib.sha256()
    for name in _RUNNER_FILES:
        top = runner_dir / name
        paths = sorted(p for p in top.rglob("*") if p.is_file()) if top.is_dir() else [top]
        for path in paths:
            digest.update(path.relative_to(runner_dir).as_posix().encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
            digest.update(b"\0")
    version = re.search(r'"version"\s*:\s*"([^"]+)"', (runner_dir / "package.json").read_text("utf-8"))
    return f"{version.group(1) if version else '0'}-{digest.hexdigest()[:16]}"


def installed_node_runner(runner_dir: Path) -> Path:
    """A folder the node runner can run from, with its npm packages installed.

    Blocking (it may run ``npm ci``): call it from a worker thread.
    """
    if (runner_dir / "node_modules").is_dir():
        return runner_dir
    root = cache_dir() / "node-runner"
    target = root / runner_install_key(runner_dir)
    if (target / _READY).is_file():
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise RunnerSetupError(
            "node",
            f"npm was not found on the PATH; it is needed once, to install the node runner's packages "
            f"into {root}",
            "install npm (it comes with Node.js), then start again",
        )
    root.mkdir(parents=True, exist_ok=True)
    with _exclusive(root / f"{target.name}.lock"):
        if (target / _READY).is_file():  # another motia installed it while we waited
            return target
        _install(runner_dir, target, npm)
    return target


def _install(runner_dir: Path, target: Path, npm: str) -> None:
    _logger.info("installing the node runner's npm packages into %s (once per runner version)", target)
    started = time.monotonic()
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        for name in _RUNNER_FILES:
            source = runner_dir / name
            if source.is_dir():
                shutil.copytree(source, staging / name)
            else:
                shutil.copy2(source, staging / name)
        command = [npm, "ci", "--omit=dev", "--no-audit", "--no-fund", "--loglevel=error"]
        try:
            done = subprocess.run(
                command, cwd=staging, capture_output=True, text=True, timeout=900, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise RunnerSetupError(
                "node", "`npm ci` for the node runner's packages did not finish in 15 minutes", _NETWORK_FIX
            ) from exc
        if done.returncode != 0:
            tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-8:])
            raise RunnerSetupError(
                "node",
                f"`npm ci` for the node runner's packages failed (exit {done.returncode}):\n{tail}",
                _NETWORK_FIX,
            )
        (staging / _READY).write_text(f"installed by motia in {time.monotonic() - started:.1f}s\n")
        if target.exists():  # left half-made by a run that was killed before the READY marker: replace it
            shutil.rmtree(target)
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _logger.info("node runner packages installed in %.1fs", time.monotonic() - started)


_NETWORK_FIX = (
    "npm must reach its registry once to install the node runner's packages; check the network "
    "(and npm's proxy settings), then start again"
)


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """An inter-process lock (POSIX flock); elsewhere the atomic rename alone keeps installs whole."""
    try:
        import fcntl
    except ImportError:  # Windows
        yield
        return
    with open(lock_path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            _logger.info("waiting for another motia to finish installing the node runner's packages")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
