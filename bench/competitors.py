"""What users would write without a framework: FastAPI on uvicorn and Express on Node serving the same
trivial JSON hello, from a bench-only environment under ``bench/.env/`` (git-ignored; not a project
dependency). The first run creates it (a venv with pip, a folder with npm); later runs reuse it while
the pinned versions below are unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable

from constants import BENCH

ENV = BENCH / ".env"
# standard: uvloop + httptools. granian: measured against uvicorn on the bare ASGI app (bench/baselines.py).
PY_REQUIREMENTS = ("fastapi==0.165.0", "uvicorn[standard]==0.54.0", "granian==2.8.7")
NODE_PACKAGES = {"express": "5.3.0"}

FASTAPI_APP = """
import sys

import uvicorn
from fastapi import FastAPI

app = FastAPI()


@app.get("/hello")
async def hello():
    return {"ok": True}


if __name__ == "__main__":
    # uvicorn's defaults with uvicorn[standard] installed: loop "auto" -> uvloop, http "auto" -> httptools.
    # No access log, like motia start.
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=False, log_level="warning")
"""

EXPRESS_APP = """
const express = require('express')

const app = express()
app.get('/hello', (_req, res) => res.json({ ok: true }))
app.listen(Number(process.argv[2]), '127.0.0.1')
"""


def _stamp() -> str:
    wanted = {"python": sys.version, "py": PY_REQUIREMENTS, "node": NODE_PACKAGES}
    return hashlib.sha256(json.dumps(wanted, sort_keys=True).encode()).hexdigest()[:16]


def ensure_env(log: Callable[[str], None] = print) -> dict[str, str]:
    """Create (once) the bench-only environment; returns the interpreters and the app files."""
    stamp_file = ENV / "stamp"
    python = ENV / "venv" / "bin" / "python"
    node_dir = ENV / "node"
    if not (stamp_file.exists() and stamp_file.read_text() == _stamp()):
        log(f"[setup] bench-only environment in {ENV} (fastapi, uvicorn[standard], granian, express)")
        shutil.rmtree(ENV, ignore_errors=True)
        ENV.mkdir(parents=True)
        subprocess.run([sys.executable, "-m", "venv", str(ENV / "venv")], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *PY_REQUIREMENTS],
            check=True,
        )
        node_dir.mkdir()
        package = {"name": "motia-bench-competitors", "private": True, "dependencies": NODE_PACKAGES}
        (node_dir / "package.json").write_text(json.dumps(package, indent=2), encoding="utf-8")
        npm = shutil.which("npm") or "npm"
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--silent"],
            cwd=node_dir,
            check=True,
            env={**os.environ, "npm_config_loglevel": "error"},
        )
        stamp_file.write_text(_stamp())
    (ENV / "fastapi_app.py").write_text(FASTAPI_APP, encoding="utf-8")
    (node_dir / "express_app.js").write_text(EXPRESS_APP, encoding="utf-8")
    return {
        "python": str(python),
        "fastapi_app": str(ENV / "fastapi_app.py"),
        "node": shutil.which("node") or "node",
        "express_app": str(node_dir / "express_app.js"),
    }


def versions(env: dict[str, str]) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json;"
        "names = ('fastapi', 'uvicorn', 'uvloop', 'httptools', 'starlette', 'granian');"
        "print(json.dumps({p: m.version(p) for p in names}))"
    )
    out: dict[str, str] = json.loads(
        subprocess.run([env["python"], "-c", code], capture_output=True, text=True, check=True).stdout
    )
    lock = json.loads((ENV / "node" / "node_modules" / "express" / "package.json").read_text())
    out["express"] = lock["version"]
    return out


def argv(env: dict[str, str], name: str, port: int) -> list[str]:
    if name == "fastapi":
        return [env["python"], env["fastapi_app"], str(port)]
    return [env["node"], env["express_app"], str(port)]
