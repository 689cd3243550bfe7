"""``motia install``: set a project up to run, the way Node Motia's ``motia install`` (its ``postinstall``)
does, and more.

* Python: the project's packages go into its virtualenv: the one it already has (``python_modules/``,
  ``.venv/``, ``venv/`` or the interpreter named in ``motia.config.json``), else a new
  ``python_modules/``. They come from ``requirements.txt``, else from the ``[project] dependencies`` of
  ``pyproject.toml`` (a Motia project's steps are files, not an installed package, so the project itself
  is not built). Nothing is added for the runner: it brings its own protobuf (``_python_env``).
* Node: ``npm install`` where a ``package.json`` exists, unless npm itself is running us (a
  ``postinstall`` script), and the node runner's own packages into the user cache, so that
  ``motia dev`` starts offline afterwards.

Idempotent: pip and npm install only what is missing. A package that fails is named.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator, Sequence
from pathlib import Path

from supervisor.cli._project import project_folder
from supervisor.discovery import discover
from supervisor.runners import (
    RunnerSetupError,
    find_node,
    installed_node_runner,
    project_python,
    runner_files,
)
from supervisor.settings import SettingsError, load_project_config

#: set for the npm we start, so that a ``postinstall: motia install`` it runs does not start npm again
_NESTED_ENV = "MOTIA_INSTALL_RUNNING"
_PIP_FAILED_PACKAGE = (
    re.compile(r"No matching distribution found for (\S+)"),
    re.compile(r"Failed building wheel for (\S+)"),
    re.compile(r"Failed to build (?:installable wheels for some pyproject\.toml based projects )?(\S+)"),
    re.compile(r"Invalid requirement: '?([^'\n]+)'?"),
    re.compile(r"Cannot install (.+?) because these package versions have conflicting dependencies"),
)


#: what pip was fetching or unpacking (``Collecting av<12 (from vision-agent==0.2.222->-r ...)``,
#: ``Downloading av-11.0.0.tar.gz``, ``Processing ./wheels/av-11.0.0.tar.gz``): the last such line
#: before a build subprocess failed names the package, which pip 23's own error lines do not
_PIP_COLLECTING = re.compile(r"^\s*Collecting ([A-Za-z0-9][A-Za-z0-9._-]*)(?:.*?\(from ([^\s()]+?)->)?")
_PIP_NEEDED_BY = re.compile(r"\(from ([^\s()]+?)->")
_PIP_FETCHING = re.compile(
    r"^\s*(?:Downloading|Processing|Using cached) (?:\S*/)?([A-Za-z0-9][\w.]*(?:-[A-Za-z_][\w.]*)*)-\d"
)
_PIP_SUBPROCESS_FAILED = "error: subprocess-exited-with-error"
#: how many of the failing build's own output lines (its reason, last) the message quotes
_BUILD_OUTPUT_QUOTED = 6


class InstallError(Exception):
    pass


def add_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    install = commands.add_parser(
        "install",
        help="install the project's Python packages (python_modules/) and npm packages",
        description="Install the project's Python packages (requirements.txt or pyproject.toml) into its "
        "virtualenv, creating python_modules/ if it has none, run `npm install` where there is a "
        "package.json, and install the node runner's packages once into the user cache.",
    )
    install.add_argument("--project", default=".", help="project directory (default: the current directory)")
    install.add_argument(
        "--python", help="the interpreter to create python_modules/ with (default: the one motia runs in)"
    )
    install.set_defaults(run=_run)


def _say(message: str) -> None:
    print(f"motia install: {message}", flush=True)


def _run(args: argparse.Namespace) -> int:
    root = project_folder("install", args.project)
    if root is None:
        return 2
    try:
        install_python(root, args.python)
        install_node(root)
    except InstallError as exc:
        print(f"motia install: {exc}", file=sys.stderr)
        return 1
    _say("done")
    return 0


# ---------------------------------------------------------------------- Python


def python_requirements(root: Path) -> tuple[str, list[str]] | None:
    """Where the project's Python packages are listed, and the pip arguments that install them."""
    requirements = root / "requirements.txt"
    if requirements.is_file():
        return "requirements.txt", ["-r", str(requirements)]
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise InstallError(f"pyproject.toml is not valid TOML: {exc}") from exc
        dependencies = data.get("project", {}).get("dependencies")
        if isinstance(dependencies, list):
            return "pyproject.toml ([project] dependencies)", [str(d) for d in dependencies]
    return None


def install_python(root: Path, base_python: str | None) -> None:
    listed = python_requirements(root)
    if listed is None:
        if any(source.runner == "python" for source in discover(root).step_files):
            _say("Python steps found, but no requirements.txt or pyproject.toml: no packages to install")
        return
    source, listed_args = listed
    python = _project_venv_python(root) or _create_python_modules(root, base_python)
    _check_python_version(python)
    with _without_motia(listed_args) as (pip_args, skipped):
        if skipped:
            _say(
                f"{source} lists {', '.join(skipped)}: not installed, no step needs it (motia runs the "
                "steps; the `motia` on PyPI is another framework)"
            )
        if not pip_args:
            _say(f"{source} lists no packages")
            return
        _say(f"installing the packages of {source} into {python}")
        _pip(python, pip_args, source)


#: a requirement on Motia itself, as Motia's project-structure guide lists it (``motia>=0.5.12``): no
#: Python step imports it, and pip cannot meet it (PyPI's ``motia`` is only another framework's
#: pre-releases), so it would fail the whole install
_MOTIA_REQUIREMENT = re.compile(r"^\s*motia\s*(?:$|[\[<>=!~;@#\s])", re.IGNORECASE)


@contextlib.contextmanager
def _without_motia(pip_args: list[str]) -> Iterator[tuple[list[str], list[str]]]:
    """``pip_args`` without a requirement on ``motia``, and the requirements left out. A requirements
    file that has one is copied without it, beside the original (its relative ``-r`` and paths still
    resolve), for the time of the install."""
    if pip_args[:1] != ["-r"]:
        kept = [arg for arg in pip_args if not _MOTIA_REQUIREMENT.match(arg)]
        yield kept, [arg.strip() for arg in pip_args if _MOTIA_REQUIREMENT.match(arg)]
        return
    original = Path(pip_args[1])
    lines = original.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
    skipped = [line.split("#")[0].strip() for line in lines if _MOTIA_REQUIREMENT.match(line)]
    if not skipped:
        yield pip_args, []
        return
    copy = original.with_name(f".{original.name}.motia-install")
    copy.write_text("".join(line for line in lines if not _MOTIA_REQUIREMENT.match(line)), encoding="utf-8")
    try:
        yield ["-r", str(copy)], skipped
    finally:
        copy.unlink(missing_ok=True)


def _project_venv_python(root: Path) -> str | None:
    """The interpreter of the virtualenv the project already has (the one its Python steps run in),
    or None when it has none (or only a ``python_modules/`` without its interpreter: made again)."""
    try:
        configured = load_project_config(root).runners.python.interpreter
        python = project_python(root, configured)
    except SettingsError as exc:
        raise InstallError(str(exc)) from exc
    except RunnerSetupError as exc:
        if (root / "python_modules").is_dir() and not (root / "python_modules" / "bin" / "python").exists():
            return None
        raise InstallError(f"{exc.cause}; {exc.fix}") from exc
    return python.path if python.in_project else None


def _create_python_modules(root: Path, base_python: str | None) -> str:
    venv = root / "python_modules"
    if venv.exists():  # a virtualenv without an interpreter: half-made or copied from another machine
        _say(f"{venv} has no interpreter: creating it again")
        shutil.rmtree(venv)
    base = base_python or sys.executable
    _say(f"creating python_modules/ with {base}")
    done = subprocess.run([base, "-m", "venv", str(venv)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip()
        raise InstallError(
            f"could not create python_modules/ with {base} (exit {done.returncode}):\n{detail}\n"
            "(on Debian/Ubuntu the venv module is the python3-venv package; or pass --python)"
        )
    created = venv / "bin" / "python"
    return str(created if created.exists() else venv / "Scripts" / "python.exe")


def _check_python_version(python: str) -> None:
    probe = "import sys; print('%d.%d' % sys.version_info[:2])"
    done = subprocess.run([python, "-c", probe], capture_output=True, text=True, check=False)
    version = done.stdout.strip()
    if done.returncode != 0:
        raise InstallError(f"{python} does not run: {(done.stderr or '').strip()}")
    major, minor = (int(part) for part in version.split("."))
    if (major, minor) < (3, 10):
        raise InstallError(
            f"{python} is Python {version}; Python steps need 3.10 or newer "
            "(delete the virtualenv and run `motia install --python python3.12`, for example)"
        )


def _pip(python: str, pip_args: Sequence[str], source: str) -> None:
    command = [python, "-m", "pip", "install", "--disable-pip-version-check", "--progress-bar=off"]
    output = _stream([*command, *pip_args], cwd=None)
    if output is None:
        return
    code, lines = output
    errors = [line.strip() for line in lines if line.lstrip().startswith(("ERROR", "error:", "\u00d7"))]
    text = "\n".join(lines)
    failed = [match.group(1).strip() for pattern in _PIP_FAILED_PACKAGE for match in pattern.finditer(text)]
    if "No module named pip" in text:
        raise InstallError(f"pip is missing in {python}: delete its virtualenv and run `motia install` again")
    detail = "\n".join(f"  {line}" for line in (errors or lines[-10:]))
    build = _failed_build(lines)
    if not failed and build is not None:
        name, needed_by, said = build
        failed = [f"{name} (needed by {needed_by})" if needed_by else name]
        detail = "\n".join(f"  {line}" for line in [*errors[:2], *said])
    if failed:
        names = ", ".join(dict.fromkeys(failed))
        raise InstallError(f"could not install {names} (from {source}); pip said:\n{detail}")
    raise InstallError(f"pip could not install the packages of {source} (exit {code}); it said:\n{detail}")


def _failed_build(lines: Sequence[str]) -> tuple[str, str | None, list[str]] | None:
    """The package whose build subprocess failed (``Getting requirements to build wheel``, ``Preparing
    metadata``: pip 23 names neither), what needed it, and the last lines of that subprocess's output
    (``pkg-config could not find libraries [...]``); None when no build failed."""
    try:
        failed_at = next(n for n, line in enumerate(lines) if line.strip() == _PIP_SUBPROCESS_FAILED)
    except StopIteration:
        return None
    name: str | None = None
    needed_by: str | None = None
    for line in reversed(lines[:failed_at]):
        fetching = _PIP_FETCHING.match(line)
        collecting = _PIP_COLLECTING.match(line)
        if fetching and name is None:
            name = fetching.group(1).replace("_", "-")  # files spell a name with "_" (PEP 625)
            if "(from " in line:  # a file named in requirements.txt: no Collecting line of its own
                needed_by = _needed_by(line)
                break
        elif collecting:
            if name is None or _normalized(name) == _normalized(collecting.group(1)):
                name = collecting.group(1)
                needed_by = collecting.group(2)
            break
    if name is None:
        return None
    output: list[str] = []
    for line in lines[failed_at:]:
        text = line.strip()
        if text.startswith("\u2570\u2500>"):  # "╰─> [N lines of output]": the subprocess's own lines follow
            output = []
        elif text == "[end of output]":
            break
        elif text:
            output.append(text)
    return name, needed_by, output[-_BUILD_OUTPUT_QUOTED:]


def _needed_by(line: str) -> str | None:
    found = _PIP_NEEDED_BY.search(line)
    return found.group(1) if found else None


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _stream(
    command: Sequence[str], cwd: Path | None, env: dict[str, str] | None = None
) -> tuple[int, list[str]] | None:
    """Run ``command`` showing its output; None when it succeeds, else its exit code and output."""
    try:
        proc = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
    except OSError as exc:
        raise InstallError(f"could not run {command[0]}: {exc}") from exc
    lines: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        print(f"  {line.rstrip()}", flush=True)
        lines.append(line.rstrip())
    code = proc.wait()
    return None if code == 0 else (code, lines)


# ---------------------------------------------------------------------- Node


def install_node(root: Path) -> None:
    if (root / "package.json").is_file():
        if os.environ.get("npm_lifecycle_event") or os.environ.get(_NESTED_ENV):  # noqa: SIM112 (npm's name)
            _say("run by npm (a package.json script): not running npm install again")
        else:
            _npm_install(root)
    if any(source.runner == "node" for source in discover(root).step_files):
        try:
            find_node()
            runner = installed_node_runner(runner_files().node)
        except RunnerSetupError as exc:
            raise InstallError(f"{exc.cause}\n{exc.fix}") from exc
        _say(f"node runner ready ({runner})")


def _npm_install(root: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise InstallError(
            "the project has a package.json but npm is not on the PATH: install Node.js 20 or newer "
            "(npm comes with it)"
        )
    _say("npm install")
    env = dict(os.environ)
    env[_NESTED_ENV] = "1"
    failed = _stream([npm, "install", "--no-audit", "--no-fund"], cwd=root, env=env)
    if failed is not None:
        code, lines = failed
        errors = [line for line in lines if line.startswith("npm error")] or lines[-10:]
        detail = "\n".join(f"  {line}" for line in errors[-12:])
        named = _npm_failed_package("\n".join(lines))
        raise InstallError(f"npm install failed (exit {code}){f' ({named})' if named else ''}:\n{detail}")


def _npm_failed_package(output: str) -> str:
    """The package npm could not install, from its error output, as ``name@range: reason``."""
    no_version = re.search(r"No matching version found for (\S+?)\.?$", output, re.MULTILINE)
    if no_version:
        return f"{no_version.group(1)}: no such version in the registry"
    not_found = re.search(r"404 Not Found - GET \S+/(@?[^/\s]+(?:%2[fF][^/\s]+)?)", output)
    if not_found:
        return f"{not_found.group(1).replace('%2f', '/').replace('%2F', '/')}: not in the registry"
    return ""
