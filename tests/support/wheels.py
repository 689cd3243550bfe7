"""Tiny pure-Python wheels written by hand, so that pip can install a package offline in a test."""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import zipfile
from pathlib import Path


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def make_wheel(
    folder: Path, name: str, version: str, module_source: str, requires: tuple[str, ...] = ()
) -> Path:
    """A wheel of distribution ``name`` holding one module (``name`` with dashes as underscores),
    depending on the distributions ``requires`` names (``"other==1.0"``)."""
    module = name.replace("-", "_")
    dist_info = f"{module}-{version}.dist-info"
    requires_dist = "".join(f"Requires-Dist: {requirement}\n" for requirement in requires)
    files = {
        f"{module}.py": module_source.encode(),
        f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n{requires_dist}".encode(),
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(f"{path},{_record_hash(data)},{len(data)}\n" for path, data in files.items())
    record += f"{dist_info}/RECORD,,\n"
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / f"{module}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
        archive.writestr(f"{dist_info}/RECORD", record)
    return wheel


def make_unbuildable_sdist(folder: Path, name: str, version: str, reason: str) -> Path:
    """A source distribution whose build fails where a native package's does when its system library
    is missing: while pip gets its build requirements, printing ``reason``. Its build backend is in
    the archive and needs nothing installed, so pip gets there offline."""
    base = f"{name.replace('-', '_')}-{version}"
    backend = f"import sys\n\ndef get_requires_for_build_wheel(config_settings=None):\n    print({reason!r})\n    sys.exit(1)\n"
    files = {
        "PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        "pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n',
        "backend.py": backend,
    }
    folder.mkdir(parents=True, exist_ok=True)
    sdist = folder / f"{base}.tar.gz"
    with tarfile.open(sdist, "w:gz") as archive:
        for path, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{base}/{path}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return sdist
