"""Which runners a change of files concerns, for ``motia dev``'s reload (the pure classification; the
reload itself is tested end to end in test_hot_reload.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pytest

from supervisor.discovery import RunnerKind, _scan, helper_folders
from supervisor.discovery._imports import relative_import_targets
from supervisor.reload import ProjectChanges, classify_changes
from tests.support.watches import reported, until

ROOT = Path("/project")


@pytest.mark.parametrize(
    ("path", "runners"),
    [
        ("steps/pets/create-pet.step.ts", {"node"}),
        ("steps/pets/store.ts", {"node"}),  # a helper: the language that imports it
        ("src/lib/util.mjs", {"node"}),
        ("src/legacy.cjs", {"node"}),
        ("src/emails/welcome.tsx", {"node"}),  # JSX a step imports (a React email template)
        ("steps/ui/card.jsx", {"node"}),
        ("steps/python/services/pet_store.py", {"python"}),
        ("steps/data/breeds.json", {"node", "python"}),  # data either language may read
        ("steps/motia.auth.js", {"node"}),
        ("motia.auth.ts", {"node"}),
        ("motia.config.ts", {"node"}),
        ("motia_auth.py", {"python"}),
        ("requirements.txt", {"python"}),
        # helpers outside steps/ and src/: Motia's docs put middlewares in middlewares/
        ("middlewares/auth.middleware.ts", {"node"}),
        ("lib/outside.ts", {"node"}),
        ("services/openai_service.py", {"python"}),
    ],
)
def test_a_changed_file_reloads_the_runner_of_its_language(path: str, runners: set[RunnerKind]) -> None:
    changes = classify_changes(ROOT, [ROOT / path])
    assert changes == ProjectChanges(frozenset({path}), frozenset(runners))


def test_env_and_settings_files_are_flagged() -> None:
    changes = classify_changes(ROOT, [ROOT / ".env", ROOT / "motia.config.json"])
    assert (changes.env, changes.settings, changes.runners) == (True, True, frozenset())
    assert changes.paths == frozenset({".env", "motia.config.json"})


@pytest.mark.parametrize(
    "path",
    [
        "README.md",
        "package.json",  # dependencies: installing them is not a reload
        "steps/README.md",
        "steps/node_modules/pkg/index.js",
        "steps/.venv/lib/site.py",
        "steps/__pycache__/x.py",
        "steps/.#lock.step.ts",
        "logs/car_alerts.json",  # outside steps/ and src/, a .json is data a step may write
        "frontend/node_modules/pkg/index.js",
        ".motia/x.py",
        "docs/requirements.txt",  # only the root's counts
        "src/.env",
    ],
)
def test_files_no_runner_loads_change_nothing(path: str) -> None:
    changes = classify_changes(ROOT, [ROOT / path])
    assert not changes and changes.paths == frozenset()


def test_a_batch_joins_what_each_file_means() -> None:
    changes = classify_changes(
        ROOT,
        [ROOT / "steps/a.step.ts", ROOT / "steps/b_step.py", ROOT / "README.md", Path("/elsewhere/x.ts")],
    )
    assert changes.runners == frozenset({"node", "python"})
    assert changes.paths == frozenset({"steps/a.step.ts", "steps/b_step.py"})


def test_a_separate_js_project_beside_the_steps_is_not_their_helper_unless_a_step_imports_from_it(
    tmp_path: Path,
) -> None:
    """A folder with its own package.json (a web app, a tool) holds no helper of the steps, at any
    depth, unless a Node file under steps/ or src/ imports from it by a relative path."""
    files = {
        "frontend/package.json": "{}",
        "frontend/src/api.ts": "",
        "tools/site/package.json": "{}",
        "tools/site/build.js": "",
        "tools/check.ts": "",
        "shared/package.json": "{}",
        "shared/lib/value.ts": "",
        "steps/a.step.ts": "import { VALUE } from '../shared/lib/value'\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    changes = classify_changes(tmp_path, [tmp_path / name for name in files if not name.endswith(".json")])
    assert changes.paths == frozenset({"tools/check.ts", "shared/lib/value.ts", "steps/a.step.ts"})
    assert helper_folders(tmp_path) == [tmp_path / "shared", tmp_path / "shared/lib", tmp_path / "tools"]


def count_step_reads(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often each file's imports are read (by name), through the one function that reads them."""
    reads: Counter[str] = Counter()

    def counted(files: Iterable[Path]) -> list[Path]:
        listed = list(files)
        reads.update(file.name for file in listed)
        return relative_import_targets(listed)

    monkeypatch.setattr(_scan, "relative_import_targets", counted)
    return reads


def write_shared_package_project(root: Path) -> None:
    """Steps importing from ``shared/``, a folder with its own package.json: whether a file changed there
    is a helper of the steps depends on what they import."""
    for name, text in {
        "shared/package.json": "{}",
        "shared/lib/value.ts": "export const VALUE = 1\n",
        "steps/a.step.ts": "import { VALUE } from '../shared/lib/value'\n",
        "steps/b.step.ts": "import { VALUE } from '../shared/lib/value'\n",
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_a_batch_of_changes_in_a_package_the_steps_import_reads_the_steps_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_shared_package_project(tmp_path)
    reads = count_step_reads(monkeypatch)
    paths = [tmp_path / f"shared/lib/part{index}.ts" for index in range(50)]
    changes = classify_changes(tmp_path, paths)
    assert len(changes.paths) == 50
    assert reads == Counter({"a.step.ts": 1, "b.step.ts": 1})


async def test_a_burst_of_changes_in_a_package_the_steps_import_reads_the_steps_once_a_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On real watches: each batch ``project_changes`` yields reads each step once, however many files
    it holds (the watches' filter, which sees every change, does not read them)."""
    write_shared_package_project(tmp_path)
    reads = count_step_reads(monkeypatch)
    async with reported(tmp_path, "shared/lib/ready.ts", helper_limit=500) as seen:
        reads.clear()
        seen.batches.clear()
        burst = {f"shared/lib/part{index}.ts" for index in range(50)}
        for name in sorted(burst):
            (tmp_path / name).write_text("export const PART = 1\n")
        await until(lambda: burst <= seen.paths())
        batches = len(seen.batches)
    assert reads["a.step.ts"] == reads["b.step.ts"] == batches
