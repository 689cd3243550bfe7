"""Which distribution in requirements.txt provides a Python module that failed to import, when their
names differ beyond PEP 503 normalization (``import yaml`` comes from ``PyYAML``, ``import slugify``
from ``python-slugify``): the load summary then says the package is listed but not installed, rather
than telling the user to list it again."""

from __future__ import annotations

import re

#: top-level module -> the distributions (PEP 503 names) that install it, for the common ones whose
#: names share nothing a rule could find
_KNOWN: dict[str, tuple[str, ...]] = {
    "PIL": ("pillow", "pillow-simd"),
    "yaml": ("pyyaml",),
    "bs4": ("beautifulsoup4",),
    "sklearn": ("scikit-learn",),
    "skimage": ("scikit-image",),
    "cv2": (
        "opencv-python",
        "opencv-python-headless",
        "opencv-contrib-python",
        "opencv-contrib-python-headless",
    ),
    "jwt": ("pyjwt",),
    "fitz": ("pymupdf",),
    "git": ("gitpython",),
    "github": ("pygithub",),
    "Crypto": ("pycryptodome",),
    "OpenSSL": ("pyopenssl",),
    "serial": ("pyserial",),
    "attr": ("attrs",),
    "telegram": ("python-telegram-bot",),
    "googleapiclient": ("google-api-python-client",),
    "zmq": ("pyzmq",),
    "faiss": ("faiss-cpu", "faiss-gpu"),
    "magic": ("python-magic",),
    "dateutil": ("python-dateutil",),
}

#: what distributions put around their module's name: python-slugify, tavily-python, pinecone-client,
#: psycopg2-binary
_PREFIXES = ("python-", "py-")
_SUFFIXES = ("-python", "-client", "-binary", "-sdk")


def listed_distribution(module: str, declared: set[str]) -> str | None:
    """The distribution of ``declared`` (PEP 503 names) that provides ``module``, if any: a top-level
    module, or a namespace package's part (``google.genai`` from ``google-genai``)."""
    name = re.sub(r"[._]", "-", module.lower())
    for distribution in sorted(declared):
        if distribution == name or distribution in _KNOWN.get(module, ()):
            return distribution
        if any(distribution == prefix + name for prefix in _PREFIXES):
            return distribution
        if any(distribution == name + suffix for suffix in _SUFFIXES):
            return distribution
    return None
