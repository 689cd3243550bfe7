"""``.env`` follows the dotenv rules Motia users rely on (Node's dotenv): one case per rule."""

from __future__ import annotations

import pytest

from supervisor.cli._dotenv import parse_dotenv

CASES = {
    "plain": ("A=1", {"A": "1"}),
    "spaces around the equals sign": ("A = 1 ", {"A": "1"}),
    "export prefix": ("export TOKEN=abc", {"TOKEN": "abc"}),
    "double quotes stripped": ('A="two words"', {"A": "two words"}),
    "single quotes stripped": ("A='two words'", {"A": "two words"}),
    "comment after a quoted value": ('A="value" # the comment', {"A": "value"}),
    "hash inside quotes is kept": ("A='quoted # not a comment'", {"A": "quoted # not a comment"}),
    "comment after an unquoted value": ("A=value # trailing", {"A": "value"}),
    "hash without a space is part of the value": ("URL=http://x/#frag", {"URL": "http://x/#frag"}),
    "comment lines and blank lines": ("# comment\n\nA=1\n   # indented comment\n", {"A": "1"}),
    "multiline double-quoted value": (
        'KEY="-----BEGIN-----\nabc\n-----END-----"',
        {"KEY": "-----BEGIN-----\nabc\n-----END-----"},
    ),
    "multiline single-quoted value": ("KEY='line 1\nline 2'", {"KEY": "line 1\nline 2"}),
    "escapes in double quotes": (r'A="a\nb\tc \"q\" \\"', {"A": 'a\nb\tc "q" \\'}),
    "no escapes in single quotes": (r"A='a\nb'", {"A": r"a\nb"}),
    "empty value": ("A=\nB=''", {"A": "", "B": ""}),
    "variables are not expanded (as in Node's dotenv)": ("A=1\nB=${A}-x", {"A": "1", "B": "${A}-x"}),
    "equals signs in the value": ("A=x=y=z", {"A": "x=y=z"}),
    "windows line endings": ("A=1\r\nB=2\r\n", {"A": "1", "B": "2"}),
    "later lines win": ("A=1\nA=2", {"A": "2"}),
    "a key without a value is skipped": ("JUSTAKEY\nA=1", {"A": "1"}),
}


@pytest.mark.parametrize(("text", "expected"), list(CASES.values()), ids=list(CASES))
def test_dotenv_rule(text: str, expected: dict[str, str]) -> None:
    assert parse_dotenv(text) == expected
