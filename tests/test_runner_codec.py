"""The node runner's hand-written codec for its hot messages (runners/node/src/codec.ts) says on the wire
exactly what protobuf-es, the reference, says: the same bytes for every InvokeResult, ContextCall, LogRecord
and Pong it encodes, the same message for every Invoke, ContextReply, Cancel and Ping it decodes (unknown
fields skipped), and protobuf-es's own answer (a message or an error) for everything else.

The comparison runs in node (tests/support/runner_codec_check.cjs, thousands of generated messages: every
field set or left out, empty and unicode strings, lone surrogates, 3 MB bytes, uint64 edges up to 2^64-1,
negative and special doubles, open enum values, unknown fields of every wire type, truncated and
bit-flipped frames); its hand-encoded samples are then read here with the supervisor's own protobuf code.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from supervisor.protocol._generated import runner_pb2 as pb
from tests.support.runner_harness import REPO_ROOT

CHECK = REPO_ROOT / "tests" / "support" / "runner_codec_check.cjs"


def run_check(seed: int) -> dict[str, Any]:
    done = subprocess.run(
        ["node", str(CHECK), str(seed)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


@pytest.fixture(scope="module", params=[1, 2, 3])
def report(request: pytest.FixtureRequest) -> dict[str, Any]:
    return run_check(request.param)


def test_every_hot_message_is_encoded_by_hand_to_protobuf_es_bytes(report: dict[str, Any]) -> None:
    counts = report["counts"]
    assert report["mismatches"] == []
    assert counts["encode: by hand"] >= 1600
    assert counts["encode: same bytes"] == counts["encode: by hand"]


def test_other_runner_messages_and_invalid_values_go_to_protobuf_es(report: dict[str, Any]) -> None:
    counts = report["counts"]
    assert report["mismatches"] == []
    assert counts["encode fallback: same bytes"] == 5  # Hello, LoadResult, a Pong with a stall, empty
    assert counts["encode invalid: same error"] == 4  # negative and 2^64 uint64s, fractions


def test_every_hot_message_is_decoded_by_hand_as_protobuf_es_decodes_it(report: dict[str, Any]) -> None:
    counts = report["counts"]
    assert report["mismatches"] == []
    # half of them with unknown fields inside and around the message and a repeated field
    assert counts["decode: by hand"] >= 3200
    assert counts["decode: same message"] == counts["decode: by hand"]


def test_other_and_broken_supervisor_frames_get_protobuf_es_answers(report: dict[str, Any]) -> None:
    counts = report["counts"]
    assert report["mismatches"] == []
    assert counts["decode fallback: same result"] == 8
    assert counts["decode corrupt: same result"] == 400


def test_hand_encoded_messages_read_back_in_the_supervisor() -> None:
    samples = run_check(7)["samples"]

    result = pb.RunnerMessage.FromString(bytes.fromhex(samples["result"])).result
    assert result.invocation_id == 2**63 + 5
    assert result.ok
    assert json.loads(result.result_json) == {"status": 200, "body": "ペット🐶"}
    assert result.HasField("body") and result.body == b""

    call = pb.RunnerMessage.FromString(bytes.fromhex(samples["call"])).call
    assert (call.call_id, call.invocation_id, call.trace_id, call.step_name, call.method) == (
        300,
        7,
        "tr\u00e9ce",
        "Create Pet",
        "state.set",
    )
    assert json.loads(call.args_json) == ["pets", "p1", {"name": "Rex"}]

    log = pb.RunnerMessage.FromString(bytes.fromhex(samples["log"])).log
    assert (log.level, log.message, log.invocation_id, log.trace_id, log.step_name) == (
        "error",
        "boom \ufffd",  # a lone surrogate is sent as U+FFFD, as TextEncoder does
        1,
        "t",
        "s",
    )
    assert log.time_ms == -1.5
    assert json.loads(log.meta_json) == {"a": 1}

    failed = pb.RunnerMessage.FromString(bytes.fromhex(samples["error"])).result
    assert not failed.ok and not failed.HasField("body")
    assert (failed.error.name, failed.error.message, failed.error.stack) == ("TypeError", "bad", "at x")
