"""``motia docker setup``'s files: a Dockerfile that installs motia and the project's packages and runs
``motia start``, and a ``.dockerignore`` (Motia's command writes the same two, for its own image)."""

from __future__ import annotations

from pathlib import Path

from supervisor.scaffold._rules import PulledRules, write_unless_there

#: the port ``motia start`` listens on in the container (Motia's default)
CONTAINER_PORT = 3000

_DOCKERFILE = """\
# This Motia project's image: Node.js 20 and Python 3.11 (Debian bookworm), motia (the
# motia-supervisor package), the project's npm and Python packages, served by `motia start`.
# Written by `motia docker setup`; `motia docker build` and `motia docker run` build and run it.
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-venv \\
    && rm -rf /var/lib/apt/lists/*
RUN python3 -m venv /opt/motia
ENV PATH=/opt/motia/bin:$PATH
# motia from the package index, or a wheel in the project folder:
#   docker build --build-arg MOTIA_PACKAGE=./motia_supervisor-{version}-py3-none-any.whl .
ARG MOTIA_PACKAGE=motia-supervisor=={version}
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir "$MOTIA_PACKAGE"
# the project's packages (npm install, python_modules/ from requirements.txt); then every step is
# loaded once, which fails the build on a broken step and installs the node runner's own packages
# into the image rather than at the container's first start
RUN motia install && motia build
EXPOSE {port}
CMD ["motia", "start", "--host", "0.0.0.0", "--port", "{port}"]
"""

_DOCKERIGNORE = """\
.git
.gitignore
.motia/
.mermaid/
node_modules/
python_modules/
__pycache__/
*.py[cod]
.venv/
venv/
.env
.vscode/
.idea/
.DS_Store
Dockerfile
.dockerignore
"""


def docker_files(version: str) -> dict[str, str]:
    return {
        "Dockerfile": _DOCKERFILE.format(version=version, port=CONTAINER_PORT),
        ".dockerignore": _DOCKERIGNORE,
    }


def write_docker_files(folder: Path, version: str, force: bool = False) -> PulledRules:
    """Write the Dockerfile and .dockerignore into ``folder``; one already there is kept unless ``force``."""
    return write_unless_there(folder, docker_files(version), force)
