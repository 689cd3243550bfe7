"""``motia generate-types``, ``motia generate openapi`` and ``motia get-config``: load the project's
configs, write a file."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from supervisor.cli import _generate_step

TYPES_FILE = "types.d.ts"
#: the file ``motia get-config -o DIR`` writes in DIR: Motia's name for it
GENERATED_CONFIG_FILE = ".motia.generated.json"
_TYPESCRIPT_SUFFIXES = (".ts", ".mts", ".cts")

if TYPE_CHECKING:  # importing the registry pulls in the runners: only when a command needs them
    from supervisor.core import Failure, Registry


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    types = commands.add_parser(
        "generate-types", help=f"write {TYPES_FILE}: the motia module's types and a Handlers entry per step"
    )
    types.add_argument("--project", default=".", help="project directory (default: the current directory)")
    types.set_defaults(run=_run_generate_types)

    generate = commands.add_parser(
        "generate", help="generate files: openapi (from the project's steps), step (a new step)"
    )
    generated = generate.add_subparsers(dest="generate_command", required=True)
    openapi = generated.add_parser("openapi", help="write an OpenAPI 3.1 document of the api steps")
    openapi.add_argument(
        "-o",
        "--output",
        default="openapi.json",
        help="file, relative to the project (default openapi.json; - = stdout)",
    )
    openapi.add_argument(
        "-t", "--title", help="document title (default: package.json name, else the folder name)"
    )
    openapi.add_argument(
        "-v", "--version", dest="api_version", help="API version (default: 1.0.0, as in Motia)"
    )
    openapi.add_argument("--project", default=".", help="project directory (default: the current directory)")
    openapi.set_defaults(run=_run_generate_openapi)
    _generate_step.add_command(generated)

    get_config = commands.add_parser(
        "get-config",
        help="print the project's steps (each config as loaded), flows and streams as JSON",
    )
    get_config.add_argument(
        "-o", "--output", metavar="DIR", help=f"write it to DIR/{GENERATED_CONFIG_FILE} instead, as Motia's"
    )
    get_config.add_argument(
        "--project", default=".", help="project directory (default: the current directory)"
    )
    get_config.set_defaults(run=_run_get_config)


def _run_generate_types(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    loaded = _load(args.project, "generate-types")
    if isinstance(loaded, int):
        return loaded
    root, registry, failures = loaded
    from supervisor.codegen import typescript_declarations

    generated = typescript_declarations(registry)
    _write_if_changed(root / TYPES_FILE, generated.text)
    for warning in generated.warnings:
        print(f"motia generate-types: warning: {warning}", file=sys.stderr)
    handlers = sum(1 for step in registry.steps.values() if step.config.type != "noop")
    print(
        f"wrote {root / TYPES_FILE}: {handlers} handlers, {len(registry.streams)} streams "
        f"({time.perf_counter() - started:.2f} s)"
    )
    return _report_problems(failures, "generate-types")


def _run_generate_openapi(args: argparse.Namespace) -> int:
    loaded = _load(args.project, "generate openapi")
    if isinstance(loaded, int):
        return loaded
    root, registry, failures = loaded
    from supervisor.codegen import OPENAPI_VERSION, openapi_document
    from supervisor.discovery import package_manifest

    package = package_manifest(root)
    title = args.title or str(package.get("name") or root.name)
    # Motia's `-v` defaults to 1.0.0, whatever package.json's version: the API's, not the package's
    version = args.api_version or "1.0.0"
    document = openapi_document(registry, title, version)
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    operations = sum(len(item) for item in document["paths"].values())
    if args.output == "-":
        sys.stdout.write(text)
    else:
        output = root / args.output
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        print(f"wrote {output}: {operations} operations (OpenAPI {OPENAPI_VERSION})")
    return _report_problems(failures, "generate openapi")


def _run_get_config(args: argparse.Namespace) -> int:
    """Motia's ``get-config`` prints the data its server builds from the project (steps with their
    configs, flows, streams); this prints ours, as ``GET /__motia/steps`` and ``/__motia/flows`` serve
    it, without a server."""
    loaded = _load(args.project, "get-config")
    if isinstance(loaded, int):
        return loaded
    root, registry, failures = loaded
    from supervisor.core import flows, step_nodes

    streams = [
        {"name": name, "file": registry.stream_sources[name].path} for name in sorted(registry.streams)
    ]
    document = {"steps": step_nodes(registry), "flows": flows(registry), "streams": streams}
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if args.output is None:
        sys.stdout.write(text)
    else:
        output = root / args.output / GENERATED_CONFIG_FILE
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        print(f"wrote {output}: {len(registry.steps)} steps, {len(document['flows'])} flows")
    return _report_problems(failures, "get-config")


def _load(project: str, command: str) -> tuple[Path, Registry, tuple[Failure, ...]] | int:
    """The project's registry, loaded without serving, and what failed to load, as the start-up
    summary says it; an exit code when the project cannot be read."""
    from supervisor.logs import configure_logging

    # Problems reading the project, and runner diagnostics while loading (a step's top-level
    # console.log, a crash), reach the user on stderr: stdout may be the generated document (-o -).
    configure_logging("pretty")
    motia_logger = logging.getLogger("motia")
    motia_logger.setLevel(logging.WARNING)
    for handler in motia_logger.handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(sys.stderr)
    from supervisor.cli._project import prepare_project

    config = prepare_project(Path(project))
    if config is None:
        return 2
    from supervisor.core import load_without_serving, summarize
    from supervisor.settings import Settings

    root = Path(project).resolve()
    loaded = asyncio.run(load_without_serving(Settings(project_root=root, mode="dev", config=config)))
    return root, loaded.registry, summarize(loaded).failures


def _report_problems(failures: Sequence[Failure], command: str) -> int:
    """Every load problem on stderr as the start-up summary says it (its first line, then its fix: a
    require chain would break the list); exit 1 when there was any, since the output misses those
    steps."""
    if not failures:
        return 0
    print(
        f"motia {command}: {len(failures)} problem(s); the steps they concern are missing:", file=sys.stderr
    )
    for failure in failures:
        cause = failure.cause.splitlines() or [""]
        print(f"  - {failure.where}: {cause[0]}", file=sys.stderr)
        for line in [*cause[1:], *([f"fix: {failure.fix}"] if failure.fix else [])]:
            print(f"    {line}", file=sys.stderr)
    return 1


def _write_if_changed(path: Path, text: str) -> bool:
    """Rewrites only on a change, so editors and watchers see no churn."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    path.write_text(text, encoding="utf-8")
    return True


def wants_types(root: Path, registry: Registry) -> bool:
    """``motia dev`` keeps types.d.ts for projects that have TypeScript (or already have the file)."""
    files = [step.file for step in registry.steps.values()]
    files += [source.path for source in registry.stream_sources.values()]
    return (
        any(file.endswith(_TYPESCRIPT_SUFFIXES) for file in files)
        or (root / TYPES_FILE).exists()
        or (root / "tsconfig.json").exists()
    )


def refresh_types(root: Path, registry: Registry) -> bool:
    """What ``motia dev`` does after each load: rewrite types.d.ts if its contents changed."""
    from supervisor.codegen import typescript_declarations

    return _write_if_changed(root / TYPES_FILE, typescript_declarations(registry).text)


def refresh_diagrams(root: Path, registry: Registry) -> list[str]:
    """What ``motia dev --mermaid`` does after each load: (re)write ``.mermaid/<flow>.mmd`` for each flow
    whose diagram changed, and delete those of flows no step names any more (as Node Motia does when a
    flow goes). Returns the files written or deleted."""
    from supervisor.codegen import MERMAID_DIR, flow_diagrams

    folder = root / MERMAID_DIR
    folder.mkdir(exist_ok=True)
    diagrams = flow_diagrams(registry)
    touched = [name for name, text in diagrams.items() if _write_if_changed(folder / name, text)]
    for stale in sorted(folder.glob("*.mmd")):
        if stale.name not in diagrams:
            stale.unlink(missing_ok=True)
            touched.append(stale.name)
    return touched
