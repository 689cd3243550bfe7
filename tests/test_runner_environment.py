"""What a runner needs from the machine: a recent Node, npm once, the runner's packages in the cache."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from supervisor.runners import RunnerSetupError, find_node, installed_node_runner, runner_files
from supervisor.runners._node_env import runner_install_key


def fake_program(folder: Path, name: str, script: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    program = folder / name
    program.write_text(script)
    program.chmod(0o755)


def runner_copy(root: Path) -> Path:
    """The node runner's files without node_modules, as the wheel ships them."""
    source = runner_files().node
    copy = root / "runner"
    for name in ("bin", "src"):
        shutil.copytree(source / name, copy / name)
    for name in ("package.json", "package-lock.json"):
        shutil.copy2(source / name, copy / name)
    return copy


def test_no_node_on_the_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RunnerSetupError) as caught:
        find_node()
    assert caught.value.cause == "Node.js was not found on the PATH"
    assert caught.value.fix.startswith("install Node.js 20 or newer")


def test_a_node_older_than_20_is_named_with_its_version_and_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_program(tmp_path, "node", "#!/bin/sh\necho v18.19.0\n")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RunnerSetupError) as caught:
        find_node()
    assert caught.value.cause == (
        f"Node.js v18.19.0 found at {tmp_path / 'node'}; TypeScript and JavaScript steps need Node.js 20 or newer"
    )


def test_the_first_start_without_npm_says_npm_is_needed_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOTIA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(RunnerSetupError) as caught:
        installed_node_runner(runner_copy(tmp_path))
    assert "npm was not found on the PATH; it is needed once" in caught.value.cause
    assert str(tmp_path / "cache" / "node-runner") in caught.value.cause


def test_a_failed_npm_ci_leaves_nothing_behind_and_names_the_cause(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_program(tmp_path / "bin", "npm", "#!/bin/sh\necho 'npm error code ENOTFOUND' >&2\nexit 1\n")
    monkeypatch.setenv("MOTIA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(RunnerSetupError) as caught:
        installed_node_runner(runner_copy(tmp_path))
    assert "`npm ci` for the node runner's packages failed (exit 1)" in caught.value.cause
    assert "ENOTFOUND" in caught.value.cause and "network" in caught.value.fix
    leftovers = [p.name for p in (tmp_path / "cache" / "node-runner").iterdir() if p.is_dir()]
    assert leftovers == []


def test_a_checkout_with_node_modules_runs_the_runner_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOTIA_CACHE_DIR", str(tmp_path / "cache"))
    runner = runner_files().node
    if not (runner / "node_modules").is_dir():
        pytest.fail("runners/node/node_modules is missing: run scripts/setup")
    assert installed_node_runner(runner) == runner
    assert not (tmp_path / "cache").exists()


def test_the_cache_key_changes_with_the_runners_files(tmp_path: Path) -> None:
    copy = runner_copy(tmp_path)
    before = runner_install_key(copy)
    assert before.startswith("0.1.0-")
    source = next((copy / "src").rglob("*.ts"))
    source.write_text(source.read_text() + "\n// changed\n")
    assert runner_install_key(copy) != before
