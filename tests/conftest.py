from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import MotiaServer

FIXTURES = Path(__file__).parent / "fixtures"
LANGUAGES = ["ts", "js", "py"]


@pytest.fixture(scope="session")
def conformance_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotiaServer]:
    """One ``motia start`` over the conformance fixtures of all three languages."""
    project = tmp_path_factory.mktemp("conformance")
    shutil.copytree(FIXTURES / "conformance", project, dirs_exist_ok=True)
    server = MotiaServer(project, mode="start")
    with server:
        yield server
    assert server.proc.returncode == 0, server.output
