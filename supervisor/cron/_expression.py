"""Cron expressions as Motia users write them, evaluated with croniter.

Motia schedules cron steps with node-cron, so we follow its conventions rather than croniter's:

- 5 fields ``min hour dom mon dow`` or 6 fields with the seconds FIRST (``sec min hour dom mon dow``).
  croniter puts an optional seconds field LAST, so a 6-field expression is rotated before it reaches croniter.
- Day-of-month and day-of-week are ANDed (node-cron's time matcher requires every field to match), not ORed as
  in Vixie cron; ``0 0 13 * 5`` means "Friday the 13th", not "every 13th and every Friday".
- Full month and weekday names (``January``, ``monday``) are accepted as well as the three-letter forms.

croniter also understands the ``@daily``-style nicknames; we keep them because they are unambiguous.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from croniter import CroniterBadDateError, CroniterError, croniter

_FIVE_FIELDS = ("minute", "hour", "day-of-month", "month", "day-of-week")
_SIX_FIELDS = ("second", *_FIVE_FIELDS)
_ALLOWED = {
    "second": "0-59",
    "minute": "0-59",
    "hour": "0-23",
    "day-of-month": "1-31 or L",
    "month": "1-12 or JAN-DEC",
    "day-of-week": "0-7 or SUN-SAT (0 and 7 are Sunday)",
}
_NICKNAMES = frozenset({"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"})

_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_DAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
# Longest names first so that no name is cut by a shorter one; each is replaced by its three-letter prefix.
_FULL_NAME = re.compile(r"\b(" + "|".join(sorted(_MONTHS + _DAYS, key=len, reverse=True)) + r")\b", re.I)


@dataclass(frozen=True, slots=True)
class CronExpression:
    """A validated cron expression. ``text`` is what the user wrote."""

    text: str
    _croniter_text: str

    @classmethod
    def parse(cls, text: str) -> CronExpression:
        """Validate ``text``; raise ``ValueError`` naming the field count or the bad field."""
        if not isinstance(text, str):
            raise ValueError(f"cron expression must be a string (got {type(text).__name__})")
        stripped = text.strip()
        if not stripped:
            raise ValueError("cron expression is empty; expected 5 fields like '0 2 * * *'")
        if stripped.startswith("@"):
            return cls._parse_nickname(text, stripped)

        fields = stripped.split()
        if len(fields) not in (5, 6):
            raise ValueError(
                f"cron expression {text!r} has {len(fields)} field(s); expected 5 "
                f"({' '.join(_FIVE_FIELDS)}) or 6 ({' '.join(_SIX_FIELDS)})"
            )
        names = _SIX_FIELDS if len(fields) == 6 else _FIVE_FIELDS
        fields = [_FULL_NAME.sub(lambda m: m.group(1)[:3], f) for f in fields]
        _check_each_field(text, names, fields)

        # croniter wants the optional seconds column last.
        ordered = [*fields[1:], fields[0]] if len(fields) == 6 else fields
        expression = cls(text=text, _croniter_text=" ".join(ordered))
        expression._check_fires(text)
        return expression

    @classmethod
    def _parse_nickname(cls, text: str, stripped: str) -> CronExpression:
        if stripped.lower() not in _NICKNAMES:
            raise ValueError(
                f"cron expression {text!r} is not a known nickname; "
                f"use one of {', '.join(sorted(_NICKNAMES))} or 5/6 fields"
            )
        return cls(text=text, _croniter_text=stripped.lower())

    def next_after(self, after: datetime) -> datetime:
        """The first fire time strictly after ``after``.

        The result has ``after``'s timezone; a naive ``after`` gives a naive result in the same (local) clock.
        """
        result: datetime = croniter(self._croniter_text, after, day_or=False).get_next(datetime)
        return result

    def _check_fires(self, text: str) -> None:
        # '0 0 31 2 *' is syntactically fine but never fires; say so at load time, not never.
        try:
            self.next_after(datetime(2000, 1, 1))
        except CroniterBadDateError:
            raise ValueError(f"cron expression {text!r} never fires (no date matches every field)") from None

    def __str__(self) -> str:
        return self.text


def _check_each_field(text: str, names: tuple[str, ...], fields: list[str]) -> None:
    # croniter reports "not acceptable" for the whole expression; probing one field at a time (with '*'
    # everywhere else) lets us name the culprit.
    probe_base = ["*"] * 5
    for index, (name, value) in enumerate(zip(names, fields, strict=True)):
        probe = list(probe_base)
        if name == "second":
            probe.append(value)
        else:
            probe[_FIVE_FIELDS.index(name)] = value
        if not _valid(" ".join(probe)):
            raise ValueError(
                f"cron expression {text!r}: field {index + 1} ({name}) {value!r} is invalid; "
                f"allowed values: {_ALLOWED[name]}, with '*', ranges 'a-b', lists 'a,b' and steps '*/n'"
            )
    if not _valid(" ".join(fields[1:] + fields[:1] if len(fields) == 6 else fields)):
        raise ValueError(f"cron expression {text!r} is invalid")


def _valid(croniter_text: str) -> bool:
    try:
        croniter(croniter_text, datetime(2000, 1, 1))
    except (CroniterError, ValueError, KeyError, IndexError):
        return False
    return True
