"""The summary of a load: steps and streams loaded of those found, per language, and every failure
with its file, its cause and, where one is known, the fix.

``motia dev`` prints it at the end of start-up (at ERROR level when anything was lost), ``motia start``
prints it when it refuses, ``motia build`` prints it and exits 1 on any failure.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from supervisor.core._loading import RUNNER_NAMES, LoadedCode
from supervisor.core._module_distributions import listed_distribution
from supervisor.core._registry import LoadProblem
from supervisor.discovery import SCAN_ROOTS, package_manifest

_LANGUAGE_OF_SUFFIX = {
    ".ts": "TypeScript",
    ".mts": "TypeScript",
    ".cts": "TypeScript",
    ".js": "JavaScript",
    ".mjs": "JavaScript",
    ".cjs": "JavaScript",
    ".py": "Python",
}
_LANGUAGES = ("TypeScript", "JavaScript", "Python")
_PY_MISSING_MODULE = re.compile(r"No module named '([^']+)'")
#: ``from google import genai`` when ``google`` is a namespace package (protobuf's, or motia's lent one)
#: without ``genai``: Python says "cannot import", not "no module", and the module missing is google.genai
_PY_MISSING_FROM_NAMESPACE = re.compile(r"cannot import name '([^']+)' from '([^']+)' \(unknown location\)")
_NODE_MISSING_MODULE = re.compile(r"Cannot find (?:module|package) '([^']+)'")
#: the file whose import failed: the first of Node's require stack, or an ES module's "imported from"
_NODE_IMPORTER = re.compile(r"(?:Require stack:\s*\n- |imported from )(/[^\n]+?)\s*(?:\n|$)")

# Articles show steps written against APIs this runtime does not run (`defineStep` from
# '@motiadev/core', `from motia import define_step`): "install it" would send the user after a package
# that cannot make the step load, so the fix says what a step looks like instead.
_PY_NOTHING_FROM_MOTIA = (
    "Python steps import nothing from `motia`: a step file defines `config` (a dict) and "
    "`async def handler(input, context)` (`handler(req, context)` for an api step), the context "
    "carrying `emit`, `state`, `streams` and `logger`"
)
_NODE_TYPES_FROM_MOTIA = (
    "`{package}` is Node Motia's own package, not what steps import: a step imports its types from "
    "`motia` (`import {{ ApiRouteConfig, Handlers }} from 'motia'`, which needs no package) and "
    "exports `config` and `handler`"
)
#: a requirement line's distribution name (PEP 508); a line starting otherwise (``-r``, a URL) has none
_REQUIREMENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(?=\s*(?:\[|[<>=!~;@ ]|$))")


def language_of(file: str) -> str:
    return _LANGUAGE_OF_SUFFIX.get(PurePosixPath(file).suffix, "other")


@dataclass(frozen=True)
class Tally:
    language: str
    steps_found: int
    steps_loaded: int
    streams_found: int
    streams_loaded: int


@dataclass(frozen=True)
class Failure:
    #: a file (``steps/x.step.ts:3:5``) or a runner (``python runner``)
    where: str
    cause: str
    fix: str = ""


@dataclass(frozen=True)
class LoadSummary:
    tallies: tuple[Tally, ...]
    failures: tuple[Failure, ...]
    #: the folders that were searched for steps, relative to the project root
    searched: tuple[str, ...]

    @property
    def steps_found(self) -> int:
        return sum(t.steps_found for t in self.tallies)

    @property
    def steps_loaded(self) -> int:
        return sum(t.steps_loaded for t in self.tallies)

    @property
    def ok(self) -> bool:
        return not self.failures

    def headline(self) -> str:
        problems = len(self.failures)
        text = f"{self.steps_loaded} of {self.steps_found} steps loaded"
        if problems:
            text += f", {problems} problem{'s' if problems != 1 else ''}"
        return text

    def lines(self) -> list[str]:
        """The block: headline, one line per language, one entry per failure (cause, then fix)."""
        lines = [f"summary: {self.headline()}"]
        width = max((len(t.language) for t in self.tallies), default=0) + 1
        for tally in self.tallies:
            label = (tally.language + ":").ljust(width)
            line = f"  {label} {tally.steps_loaded} of {tally.steps_found} steps"
            if tally.streams_found:
                line += f", {tally.streams_loaded} of {tally.streams_found} streams"
            lines.append(line)
        for number, failure in enumerate(self.failures, 1):
            cause_lines = failure.cause.splitlines() or [""]
            lines.append(f"  {number}. {failure.where}: {cause_lines[0]}")
            lines.extend(f"     {extra}" for extra in cause_lines[1:])
            if failure.fix:
                lines.append(f"     fix: {failure.fix}")
        return lines

    def log(self, logger: logging.Logger, level: int) -> None:
        """The block, one log record per line: readable in the pretty and in the JSON logs alike."""
        for line in self.lines():
            logger.log(level, "%s", line)

    def nothing_found_warning(self) -> str:
        folders = " and ".join(f"{name}/" for name in self.searched)
        return (
            f"no steps found: looked for *.step.ts, *.step.js and *_step.py files under {folders} "
            "of the project"
        )


def summarize(loaded: LoadedCode) -> LoadSummary:
    discovery, registry = loaded.discovery, loaded.registry
    loaded_steps = [language_of(step.file) for step in registry.steps.values()]
    stream_files = {source.path for source in registry.stream_sources.values()}
    tallies = []
    for language in _LANGUAGES:
        steps_found = sum(1 for s in discovery.step_files if language_of(s.path) == language)
        streams_found = sum(1 for s in discovery.stream_files if language_of(s.path) == language)
        if steps_found or streams_found:
            tallies.append(
                Tally(
                    language,
                    steps_found,
                    loaded_steps.count(language),
                    streams_found,
                    sum(1 for file in stream_files if language_of(file) == language),
                )
            )
    failures = [
        Failure(f"{RUNNER_NAMES.get(f.runner, f.runner)} runner", f"could not start: {f.cause}", f.fix)
        for f in loaded.failures
    ]
    runner_problem_files = {f"<{RUNNER_NAMES.get(f.runner, f.runner)} runner>" for f in loaded.failures}
    for problem in registry.problems:
        if problem.file in runner_problem_files:
            continue
        where = (
            problem.file
            + (f":{problem.line}" if problem.line else "")
            + (f":{problem.column}" if problem.column else "")
        )
        # The first line says what went wrong; stacks and require chains were logged with the problem.
        cause = problem.message.removeprefix(f"{problem.file}: ").splitlines()[0] if problem.message else ""
        failures.append(Failure(where, cause, load_fix(problem, loaded)))
    return LoadSummary(tuple(tallies), tuple(failures), SCAN_ROOTS)


def load_fix(problem: LoadProblem, loaded: LoadedCode) -> str:
    """The fix for the failures whose cure is known: a package missing from the project's environment
    ("" for the others). The summary prints it under the problem; the Workbench shows it beside it."""
    file, message = problem.file, problem.message
    language = language_of(file)
    if language == "Python":
        module = _missing_python_module(message)
        if module is None:
            return ""
        spec = loaded.specs.get("python")
        interpreter = spec.argv[0] if spec else "the project's Python"
        if module.startswith(("google.protobuf", "google._upb")):
            return f"protobuf missing in {interpreter}: run `motia install`"
        declared = declared_requirements(loaded.root) if loaded.root is not None else set()
        if module.split(".")[0] == "motia" and listed_distribution("motia", declared) is None:
            return _PY_NOTHING_FROM_MOTIA
        # google.genai, azure.storage.blob: a namespace package's part is a distribution of its own
        # (google-genai); naming only its top (`google`) would send the user after the wrong package
        distribution = listed_distribution(module, declared) or listed_distribution(
            module.split(".")[0], declared
        )
        if distribution is not None:
            # listed, so an install failed or was not run: telling to list it again would mislead
            listed_as = "" if distribution == _pep503(module) else f" (as `{distribution}`)"
            return (
                f"`{module}` is in requirements.txt{listed_as} but not installed in {interpreter}: run "
                "`motia install` (if it ran, its output says what failed)"
            )
        if "." in module:
            return (
                f"`{module}` is not installed in {interpreter}: list the package that provides it in "
                "requirements.txt and run `motia install`"
            )
        return (
            f"`{module}` is not installed in {interpreter}: list it in requirements.txt and run "
            "`motia install`"
        )
    if language in ("TypeScript", "JavaScript"):
        missing = _NODE_MISSING_MODULE.search(message)
        if missing is None:
            return ""
        if missing.group(1).startswith((".", "/")):
            return _missing_file_fix(loaded.root, file, missing.group(1), message)
        package = _package_name(missing.group(1))
        if loaded.root is not None and package in declared_npm_packages(loaded.root):
            return (
                f"the npm package `{package}` is in package.json but not installed in the project: "
                "run `motia install` (or `npm install`; if it ran, its output says what failed)"
            )
        if package.startswith("@motiadev/"):
            return _NODE_TYPES_FROM_MOTIA.format(package=package)
        return (
            f"the npm package `{package}` is not installed in the project: "
            "add it to package.json and run `motia install` (or `npm install`)"
        )
    return ""


def _missing_file_fix(root: Path | None, file: str, specifier: str, message: str) -> str:
    """A step's (or its helper's) import of a project file that is not there, as an example copied
    without its ``middlewares/`` folder has it: where the import points, and a file of that name in
    another case when there is one (Linux names are case-sensitive, macOS's usually not)."""
    if root is None:
        return ""
    # the importer: Node's require stack starts with it (a helper the step imports may be the one);
    # an ES-module import says "imported from" it; else the step file itself
    importer = _NODE_IMPORTER.search(message)
    base = Path(importer.group(1)) if importer else root / file
    target = Path(os.path.normpath(base.parent / specifier))
    try:
        where = target.relative_to(root).as_posix()
    except ValueError:
        where = str(target)
    importer_name = base.relative_to(root).as_posix() if base.is_relative_to(root) else str(base)
    other_case = _in_another_case(root, target)
    if other_case is not None:
        return (
            f"`{specifier}` in {importer_name} is {where}, which differs in case from the project's "
            f"{other_case}: file names are case-sensitive here; correct the import"
        )
    return (
        f"`{specifier}` in {importer_name} is {where}, which is not in the project (with any extension): "
        "add the file (an example copied without it?) or correct the import"
    )


def _in_another_case(root: Path, target: Path) -> str | None:
    """``target``'s path as the project spells it when only the case differs (the file with its own
    extension, which an import leaves out), or None."""
    try:
        parts = target.relative_to(root).parts
    except ValueError:
        return None
    folder, differs = root, False
    for number, part in enumerate(parts):
        last = number == len(parts) - 1
        try:
            names = sorted(entry.name for entry in folder.iterdir())
        except OSError:
            return None
        exact = [name for name in names if _names_file(name, part, last)]
        other = [name for name in names if _names_file(name.lower(), part.lower(), last)]
        if not (exact or other):
            return None
        differs = differs or not exact
        folder = folder / (exact or other)[0]
    return folder.relative_to(root).as_posix() if differs else None


def _names_file(name: str, wanted: str, last: bool) -> bool:
    """Whether the folder entry ``name`` is the path part ``wanted`` (the last part may leave out
    the file's extension)."""
    return name == wanted or (last and name.startswith(wanted + "."))


def _missing_python_module(message: str) -> str | None:
    """The module a step's import did not find, as the step named it (``google.genai``), if the message
    is of a module not found."""
    missing = _PY_MISSING_MODULE.search(message)
    if missing is not None:
        return missing.group(1)
    from_namespace = _PY_MISSING_FROM_NAMESPACE.search(message)
    if from_namespace is not None:
        return f"{from_namespace.group(2)}.{from_namespace.group(1)}"
    return None


def declared_npm_packages(root: Path) -> set[str]:
    """The packages package.json names in any of its dependency lists (none when it cannot be read)."""
    manifest = package_manifest(root)
    names: set[str] = set()
    for key in ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies"):
        listed = manifest.get(key)
        if isinstance(listed, dict):
            names.update(name for name in listed if isinstance(name, str))
    return names


def declared_requirements(root: Path) -> set[str]:
    """The distributions requirements.txt names, normalized (PEP 503), so that ``vision-agent`` is
    found for the module ``vision_agent``; options, URLs and includes are skipped."""
    try:
        text = (root / "requirements.txt").read_text(encoding="utf-8")
    except (OSError, ValueError):
        return set()
    names: set[str] = set()
    for line in text.splitlines():
        name = _REQUIREMENT_NAME.match(line.split("#", 1)[0].strip())
        if name:
            names.add(_pep503(name.group(0)))
    return names


def _pep503(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _package_name(specifier: str) -> str:
    parts = specifier.split("/")
    return "/".join(parts[:2]) if specifier.startswith("@") else parts[0]
