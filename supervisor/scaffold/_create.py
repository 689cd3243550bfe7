"""Write a template into a folder: its step sources and its generated files."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from supervisor.scaffold._templates import TEMPLATES

#: next to this package wherever it is installed; found by path, not importlib.resources, because an
#: editable install may spread the ``supervisor`` package over two folders
_TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
#: the template made of the repository's example app rather than package data of its own
_FROM_REPOSITORY = "pet-app/"
_CHECKOUT_ROOT = Path(__file__).resolve().parents[2]
#: what a folder may already hold and still count as empty (a fresh `git init`)
_IGNORED_ENTRIES = frozenset({".git"})
#: never copied from a template source (a checkout's pet app may have run)
_SKIPPED_NAMES = frozenset({"__pycache__", "node_modules", ".motia"})
#: ``motia create --cursor``: our rules for Cursor (package data), and where Cursor reads them
CURSOR_RULES = ("cursor-rules", ".cursor/rules/motia")


class FolderNotEmpty(Exception):
    def __init__(self, folder: Path, entries: list[str]) -> None:
        self.folder = folder
        self.entries = entries
        shown = ", ".join(entries[:5]) + (", ..." if len(entries) > 5 else "")
        super().__init__(f"{folder} is not empty ({shown})")


@dataclass
class CreatedProject:
    folder: Path
    files: list[str] = field(default_factory=list)
    overwritten: list[str] = field(default_factory=list)


def create_project(
    folder: Path, template_name: str, force: bool = False, cursor: bool = False
) -> CreatedProject:
    """Write ``template_name`` into ``folder`` (created if missing), with the Cursor rules when
    ``cursor``. Refuses a non-empty folder unless ``force``; with ``force`` the template's files replace
    same-named ones and nothing else is touched."""
    template = TEMPLATES[template_name]
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"{folder} exists and is not a folder")
    existing = (
        sorted(entry.name for entry in folder.iterdir() if entry.name not in _IGNORED_ENTRIES)
        if (folder.is_dir())
        else []
    )
    if existing and not force:
        raise FolderNotEmpty(folder, existing)

    contents: dict[str, bytes] = {}
    for source, destination in template.sources + ((CURSOR_RULES,) if cursor else ()):
        _collect(template_source(source), destination, contents)
    for relative, text in template.generated_files(folder.resolve().name).items():
        contents[relative] = text.encode()

    created = CreatedProject(folder)
    for relative, data in sorted(contents.items()):
        path = folder.joinpath(*relative.split("/"))
        if path.exists():
            created.overwritten.append(relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        created.files.append(relative)
    return created


def template_source(relative: str) -> Path:
    """A template's file or folder: package data, or in a checkout the repository's own example app
    (the wheel carries ``steps/``, ``requirements.txt`` and ``motia.config.json`` as ``templates/pet-app/``,
    see pyproject.toml)."""
    packaged = _TEMPLATES.joinpath(*relative.split("/"))
    if packaged.exists() or not relative.startswith(_FROM_REPOSITORY):
        return packaged
    return _CHECKOUT_ROOT.joinpath(*relative.removeprefix(_FROM_REPOSITORY).split("/"))


def _collect(source: Path, destination: str, contents: dict[str, bytes]) -> None:
    if source.is_dir():
        for child in sorted(source.iterdir(), key=lambda entry: entry.name):
            if child.name not in _SKIPPED_NAMES and not child.name.endswith(".pyc"):
                _collect(child, f"{destination}/{child.name}", contents)
    elif source.is_file():
        contents[destination] = source.read_bytes()
    else:
        raise FileNotFoundError(f"template source {source} is missing from the package")
