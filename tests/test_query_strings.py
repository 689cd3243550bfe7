"""Query strings and urlencoded bodies parse exactly as qs 6.13 parses them for Motia's Express server
(``req.query``) and body-parser (``req.body``): the same inputs through both, compared in full.

qs itself runs from tests/clients (``qs-reference.mjs``, with Express's and body-parser's options)."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path
from typing import Any

import pytest

from supervisor.http._qs import TooDeep, TooManyParameters, parse_query, parse_urlencoded

CASES = [
    "a[b]=1",
    "a[b][c]=2&a[d]=3",
    "a[]=1&a[]=2",
    "a=1&a=2&a=3",
    "a[0]=x&a[1]=y",
    "a[1]=y",
    "a[20]=z",
    "a[21]=z",
    "a[]=1&a[b]=2",
    "a[b]=2&a[]=1",
    "a=1&a[b]=2",
    "a[b]=2&a=1",
    "0[x]=1&0=2",
    "x[y][z][w][v][u][t]=deep",
    "x[y][z][w][v][u][t][s]=deeper",
    "k",
    "k=",
    "=v",
    "&&a=1&",
    "a+b=c+d",
    "a%20b=%E2%9C%93",
    "bad=%ZZ",
    "half=%E2%9C",
    "a[b%5D=1",
    "a%5Bb%5D=1",
    "__proto__[x]=1",
    "hasOwnProperty=1",
    "toString[a]=1",
    "a[__proto__]=1",
    "a.b=1",
    "&".join(f"a[]={i}" for i in range(25)),
    "a[0]=1&a[0]=2",
    "a[][b]=1&a[][c]=2",
    "a[0][b]=1&a[0][c]=2",
    "a[=1",
    "a]=1",
    "[a]=1",
    "a[b]c=1",
    "a[b][]=1&a[b][]=2",
    "a=%",
    "a=1;b=2",
    "a=b=c",
    "a" + "[x]" * 32 + "=1",
    "a" + "[x]" * 33 + "=1",
    "&".join(f"p{i}=1" for i in range(1001)),
]

_ALPHABET = ["a", "b", "0", "1", "21", "[", "]", "[]", "=", "&", "%5B", "%5D", "+", "%20", "%", "[0]", "[b]"]


def _random_cases(count: int) -> list[str]:
    rng = random.Random(9)  # the same inputs on every run
    return ["".join(rng.choice(_ALPHABET) for _ in range(rng.randint(1, 14))) for _ in range(count)]


def _qs_reference(client_packages: Path, inputs: list[str]) -> list[dict[str, Any]]:
    done = subprocess.run(
        ["node", "qs-reference.mjs"],
        cwd=client_packages,
        input=json.dumps(inputs),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results


def _ours(text: str) -> dict[str, Any]:
    try:
        body: dict[str, Any] = {"value": parse_urlencoded(text)}
    except TooManyParameters:
        body = {"status": 413}
    except TooDeep:
        body = {"status": 400}
    return {"query": parse_query(text), "body": body}


@pytest.mark.parametrize("source", ["chosen", "random"])
def test_parsing_matches_qs_as_express_and_body_parser_use_it(client_packages: Path, source: str) -> None:
    inputs = CASES if source == "chosen" else _random_cases(3000)
    expected = _qs_reference(client_packages, inputs)
    differences = [
        (text, reference, _ours(text))
        for text, reference in zip(inputs, expected, strict=True)
        if _ours(text) != reference
    ]
    assert not differences, "\n".join(f"{t!r}\n  qs:   {r}\n  ours: {o}" for t, r, o in differences[:10])


def test_the_common_shapes() -> None:
    assert parse_query("page=2&tag=a&tag=b") == {"page": "2", "tag": ["a", "b"]}
    assert parse_query("filter[status]=open&filter[tags][]=x&filter[tags][]=y") == {
        "filter": {"status": "open", "tags": ["x", "y"]}
    }
    assert parse_query("ids[1]=b&ids[0]=a") == {"ids": ["a", "b"]}
    assert parse_query("") == {}
