"""Discovery over a temporary project tree holding every file name the docs show, and the look-alikes."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest

from supervisor.discovery import RunnerKind, SourceFile, classify, discover, is_motia_config
from supervisor.discovery._motia_config import advice_for
from supervisor.settings import Adapter

STEPS: dict[str, RunnerKind] = {
    "steps/create-pet.step.ts": "node",
    "steps/legacy.step.js": "node",
    "steps/esm.step.mjs": "node",
    "steps/common.step.cjs": "node",
    "steps/module.step.mts": "node",
    "steps/common-ts.step.cts": "node",
    "steps/my_step.py": "python",
    "steps/analyze-email.step.py": "python",
    "steps/jobs/set-next-feeding-reminder.job.step.ts": "node",
    "steps/jobs/deletion_reaper.cron_step.py": "python",
    "steps/api-example.api.step.ts": "node",
    "steps/01-api-gateway.step.ts": "node",
    "steps/02-data-processor_step.py": "python",
    "src/deep/er/still/found.step.ts": "node",
    "src/simple-python_step.py": "python",
    "steps/snake_case_step.ts": "node",  # Motia globs **/*_step.{ts,js} too
    "src/legacy_step.js": "node",
}
STREAMS: dict[str, RunnerKind] = {
    "steps/00-chess-game.stream.ts": "node",
    "steps/todo.stream.js": "node",
    "steps/esm.stream.mjs": "node",
    "steps/cjs.stream.cjs": "node",
    "src/chat_stream.py": "python",
    "src/pet_creation.stream.py": "python",
    "steps/chat_stream.ts": "node",
    "src/todo_stream.js": "node",
}
NOT_FOUND = [
    "steps/create-order.step.tsx",  # Workbench UI override
    "steps/create-order.step.jsx",
    "steps/create-todo.step.test.ts",  # tests next to steps
    "steps/process-todo.step.spec.js",
    "steps/process.spec.step.ts",
    "steps/test_create_pet_step.py",
    "steps/types.step.d.ts",  # declarations
    "steps/types.stream.d.ts",
    "steps/ts-store.ts",  # helpers imported by steps
    "steps/js-store.js",
    "steps/.#locked.step.ts",  # editor lock file
    "steps/_step.py",
    "steps/_step.ts",
    "steps/types_step.d.ts",
    "steps/notes.step.md",
    "lib/outside.step.ts",  # outside steps/ and src/
    "outside_step.py",
    "steps/node_modules/pkg/index.step.js",
    "steps/.venv/lib/x_step.py",
    "steps/venv/lib/x_step.py",
    "steps/env/lib/site-packages/x_step.py",  # env/ holds pyvenv.cfg, see below
    "steps/python_modules/x_step.py",
    "steps/dist/built.step.js",
    "steps/__pycache__/x_step.py",
    "steps/.hidden/secret.step.ts",
    "src/.cache/thing.stream.ts",
]


def _touch(root: Path, relative: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for relative in [*STEPS, *STREAMS, *NOT_FOUND]:
        _touch(tmp_path, relative)
    _touch(tmp_path, "steps/env/pyvenv.cfg")
    return tmp_path


def test_finds_every_step_with_its_runtime(project: Path) -> None:
    found = discover(project)
    assert found.step_files == sorted(SourceFile(path, lang) for path, lang in STEPS.items())


def test_finds_every_stream_with_its_runtime(project: Path) -> None:
    found = discover(project)
    assert found.stream_files == sorted(SourceFile(p, lang) for p, lang in STREAMS.items())


def test_look_alikes_and_skipped_folders_are_not_found(project: Path) -> None:
    found = discover(project)
    paths = {f.path for f in [*found.step_files, *found.stream_files]}
    assert paths.isdisjoint(NOT_FOUND)


def test_a_folder_named_env_without_pyvenv_cfg_is_scanned(tmp_path: Path) -> None:
    _touch(tmp_path, "steps/env/config_step.py")
    assert [f.path for f in discover(tmp_path).step_files] == ["steps/env/config_step.py"]


def test_order_is_sorted_by_path(project: Path) -> None:
    paths = [f.path for f in discover(project).step_files]
    assert paths == sorted(paths)


def test_missing_roots_give_an_empty_discovery(tmp_path: Path) -> None:
    found = discover(tmp_path)
    assert found.step_files == [] and found.stream_files == []


def test_only_src_is_enough(tmp_path: Path) -> None:
    _touch(tmp_path, "src/a.step.ts")
    assert [f.path for f in discover(tmp_path).step_files] == ["src/a.step.ts"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("x.step.ts", ("step", "node")),
        ("x_step.py", ("step", "python")),
        ("x.stream.py", ("stream", "python")),
        ("x_stream.py", ("stream", "python")),
        ("x.step.test.ts", None),
        ("x.step.tsx", None),
        ("steps/nested/x.job.step.ts", ("step", "node")),
    ],
)
def test_classify_is_usable_on_its_own(name: str, expected: object) -> None:
    # The hot reloader asks this for single changed files.
    assert classify(name) == expected


# ---------------------------------------------------------------- hook files (stream authenticate)


def test_hook_files_at_the_root_then_steps_then_src(tmp_path: Path) -> None:
    for relative in [
        "src/motia_auth.py",
        "steps/motia.auth.js",
        "motia.auth.ts",
        "motia_auth.py",
        "steps/nested/motia.auth.ts",  # only directly in steps/ and src/
        "lib/motia.auth.ts",  # not a hook folder
        "steps/motia.auth.tsx",
        "steps/motia-auth.ts",
        "steps/motia.auth.d.ts",
    ]:
        _touch(tmp_path, relative)
    assert discover(tmp_path).hook_files == [
        SourceFile("motia.auth.ts", "node"),
        SourceFile("motia_auth.py", "python"),
        SourceFile("steps/motia.auth.js", "node"),
        SourceFile("src/motia_auth.py", "python"),
    ]


def test_hook_files_are_not_steps_or_streams(tmp_path: Path) -> None:
    for relative in ["steps/motia.auth.ts", "steps/motia_auth.py", "src/motia.auth.mjs"]:
        _touch(tmp_path, relative)
    found = discover(tmp_path)
    assert found.step_files == [] and found.stream_files == []
    assert [hook.path for hook in found.hook_files] == [
        "steps/motia.auth.ts",
        "steps/motia_auth.py",
        "src/motia.auth.mjs",
    ]


def test_motia_config_is_a_hook_file_only_when_it_has_stream_auth(tmp_path: Path) -> None:
    (tmp_path / "motia.config.ts").write_text("export default defineConfig({ plugins: [] })\n")
    (tmp_path / "motia.config.json").write_text('{"streamAuth": "not code"}\n')
    assert discover(tmp_path).hook_files == []
    (tmp_path / "motia.config.ts").write_text(
        "export default defineConfig({ streamAuth: { authenticate } })\n"
    )
    (tmp_path / "steps").mkdir()
    (tmp_path / "steps" / "motia.config.ts").write_text("streamAuth")  # the root only, as in Motia
    assert discover(tmp_path).hook_files == [SourceFile("motia.config.ts", "node")]
    assert is_motia_config("motia.config.ts") and not is_motia_config("motia.auth.ts")


def test_motia_config_ts_storage_keys_are_told_where_redis_and_every_adapter_are_configured() -> None:
    # motia.config.ts's `adapters` and `redis` are Node Motia's: the warning names what works instead,
    # Redis included (it said "no Redis server is needed", as if Redis were not supported)
    assert all(f'"{adapter}"' in advice_for("adapters") for adapter in get_args(Adapter))
    assert '"redis": {"url"' in advice_for("redis") and "MOTIA_REDIS_URL" in advice_for("redis")
