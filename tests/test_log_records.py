"""The records ``log_event`` makes of runner and user log lines: the same as ``Logger.makeRecord``'s,
attribute for attribute, made for less; an application's own record factory still makes them."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest

from supervisor.logs import level_name, log_event


class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def kept() -> Iterator[tuple[logging.Logger, _Kept]]:
    logger = logging.getLogger("motia.test-log-records")
    handler = _Kept()
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield logger, handler
    finally:
        logger.removeHandler(handler)


def test_a_logged_line_has_every_attribute_of_the_record_make_record_makes(
    kept: tuple[logging.Logger, _Kept],
) -> None:
    logger, handler = kept
    created = time.time() - 3.25
    meta = {"petId": "p1"}
    log_event(logger, "warn", "Pet created", step="CreatePet", trace_id="t1", meta=meta, created=created,
              runner="node-0")  # fmt: skip
    record = handler.records[-1]
    expected = logger.makeRecord(
        logger.name, logging.WARNING, "(runner)", 0, "Pet created", (), None,
        extra={"step": "CreatePet", "trace_id": "t1", "meta": meta, "runner": "node-0"},
    )  # fmt: skip
    formatted = ("message", "asctime")  # what a formatter on the way (pytest's) added
    made: dict[str, Any] = {name: value for name, value in vars(record).items() if name not in formatted}
    wanted: dict[str, Any] = dict(vars(expected))
    assert set(made) == set(wanted)
    # the time is the line's (the runner's clock), where makeRecord's is the time it is handled
    assert made.pop("created") == created
    assert made.pop("msecs") == pytest.approx((created - int(created)) * 1000)
    assert made.pop("relativeCreated") == pytest.approx(wanted["relativeCreated"] - 3250, abs=500)
    for name in ("created", "msecs", "relativeCreated"):
        wanted.pop(name)
    assert made == wanted
    assert record.getMessage() == "Pet created" and record.levelname == "WARNING"


def test_a_record_factory_of_the_application_makes_the_records_of_logged_lines(
    kept: tuple[logging.Logger, _Kept],
) -> None:
    logger, handler = kept
    standard = logging.getLogRecordFactory()

    def tagged(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = standard(*args, **kwargs)
        record.tenant = "acme"
        return record

    logging.setLogRecordFactory(tagged)
    try:
        log_event(logger, "info", "hello", step="S", created=1_700_000_000.5)
    finally:
        logging.setLogRecordFactory(standard)
    record = handler.records[-1]
    assert getattr(record, "tenant", None) == "acme"
    assert record.created == 1_700_000_000.5 and record.msecs == 500.0
    assert getattr(record, "step", None) == "S"


@pytest.mark.parametrize("sent", ["critical", "fatal"])
def test_a_runners_critical_or_fatal_line_is_recorded_as_critical_not_info(
    sent: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Whatever sends them (our runners send critical); a level of their own, above error:
    test_critical_lines_are_a_level_of_their_own_stored_and_live."""
    logger = logging.getLogger("motia.test.levels")
    caplog.set_level(logging.ERROR, logger=logger.name)
    log_event(logger, sent, "disk full", step="Create")
    assert [(level_name(record), record.getMessage()) for record in caplog.records] == [
        ("critical", "disk full")
    ]
