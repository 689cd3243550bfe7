"""Build motia's wheel from this checkout and install it into a fresh virtualenv outside it, as a user
would; shared by tests/test_wheel.py and bench/wheel.py."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PET_APP_FILES = (
    "package.json",
    "package-lock.json",
    "requirements.txt",
    "tsconfig.json",
    "types.d.ts",
    "motia.config.json",
)
TUTORIAL = REPO_ROOT / "tests" / "fixtures" / "motia_tutorial"


@dataclass(frozen=True)
class InstalledMotia:
    wheel: Path
    sdist: Path
    venv: Path

    @property
    def motia(self) -> Path:
        return self.venv / "bin" / "motia"


def build_distributions(out: Path) -> tuple[Path, Path]:
    """sdist, then the wheel built from that sdist (``python -m build``): both must carry the runners."""
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(REPO_ROOT)],
        check=True,
        capture_output=True,
    )
    return next(out.glob("*.whl")), next(out.glob("*.tar.gz"))


def install_motia(root: Path) -> InstalledMotia:
    wheel, sdist = build_distributions(root / "dist")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            str(wheel),
        ],
        check=True,
    )
    return InstalledMotia(wheel, sdist, venv)


def user_env(cache: Path, path: str | None = None) -> dict[str, str]:
    """The environment of a user's shell: nothing of this checkout's venv, motia's cache in ``cache``."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env["MOTIA_CACHE_DIR"] = str(cache)
    env["OPENAI_API_KEY"] = ""  # the pet app's agents use their rule-based fallback
    if path is not None:
        env["PATH"] = path
    return env


def path_without_npm(bin_dir: Path) -> str:
    """A PATH where ``node`` is found and ``npm`` is not: a machine that is offline for npm."""
    node = shutil.which("node")
    assert node is not None
    bin_dir.mkdir(parents=True, exist_ok=True)
    (bin_dir / "node").symlink_to(node)
    kept = [d for d in os.environ["PATH"].split(os.pathsep) if d and not (Path(d) / "npm").exists()]
    return os.pathsep.join([str(bin_dir), *kept])


def copy_pet_app(project: Path) -> Path:
    """The repository's example app as a user's project: steps/ and the project files, nothing else."""
    shutil.copytree(REPO_ROOT / "steps", project / "steps", ignore=shutil.ignore_patterns("__pycache__"))
    for name in PET_APP_FILES:
        if (REPO_ROOT / name).exists():
            shutil.copy2(REPO_ROOT / name, project / name)
    return project


def copy_tutorial(project: Path, python_modules_by_node_motia: bool = True) -> Path:
    """Motia's tutorial project, with python_modules/ made as Node Motia's `motia install` makes it
    (a venv and `pip install -r requirements.txt`, so no protobuf in it), or none; no node_modules."""
    shutil.copytree(TUTORIAL, project, ignore=shutil.ignore_patterns("__pycache__", "README.md"))
    (project / "gitignore.txt").rename(project / ".gitignore")
    (project / "env.txt").rename(project / ".env")
    if not python_modules_by_node_motia:
        return project
    python_modules = project / "python_modules"
    subprocess.run([sys.executable, "-m", "venv", str(python_modules)], check=True)
    subprocess.run(
        [
            str(python_modules / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            str(project / "requirements.txt"),
        ],
        check=True,
    )
    return project
