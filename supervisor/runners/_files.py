"""Where the runners' own files are: in the installed wheel, or in this repository's checkout.

The wheel carries them as package data under ``supervisor/_bundle/`` (see ``pyproject.toml``: the
runners stay at the repository root, where each is a project of its own language, and are mapped into
the wheel when it is built). An editable install of a checkout has no ``_bundle`` folder; there the
repository's ``runners/`` and ``proto/`` are used as they are.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from supervisor.runners._errors import RunnerSetupError

_BUNDLE = "_bundle"
_CHECKOUT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class RunnerFiles:
    #: the node runner: ``bin/runner.mjs``, ``src/``, ``package.json``, ``package-lock.json``
    node: Path
    #: the folder that holds the ``motia_runner`` package (what goes on the Python runner's PYTHONPATH)
    python: Path
    #: ``motia/runner/v1/runner.proto`` and its README
    proto: Path


@functools.cache
def runner_files() -> RunnerFiles:
    bundle = resources.files("supervisor").joinpath(_BUNDLE)
    if bundle.is_dir():
        # A wheel installs as plain files; a zipped install could not give node a path to run.
        base = Path(str(bundle))
        return RunnerFiles(base / "runners" / "node", base / "runners" / "python", base / "proto")
    checkout = _CHECKOUT_ROOT
    if (checkout / "runners" / "node" / "bin" / "runner.mjs").is_file():
        return RunnerFiles(checkout / "runners" / "node", checkout / "runners" / "python", checkout / "proto")
    raise RunnerSetupError(
        "runners",
        f"the runners' files are missing: neither {bundle} nor {checkout / 'runners'} exists",
        "reinstall motia (pip install --force-reinstall motia-supervisor)",
    )
