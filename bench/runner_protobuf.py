"""What the Python runner's protobuf implementation costs per invocation: upb (the C extension, what
motia's own protobuf gives a project venv without one) against protobuf's pure-Python implementation
(what is left where the C extension cannot load), measured in the same run.

    .venv/bin/python bench/runner_protobuf.py

One invocation's frames on the runner side: decode an Invoke, encode a ContextCall (a state.set),
decode its ContextReply, encode the InvokeResult.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

PROGRAM = r"""
import json, time
from google.protobuf.internal import api_implementation
from motia_runner.messages import pb

request = {"body": {"name": "Buddy", "species": "dog", "ageMonths": 24},
           "headers": {"content-type": "application/json"}, "pathParams": {}, "queryParams": {}}
invoke = pb.SupervisorMessage(invoke=pb.Invoke(
    invocation_id=7, file="steps/create-pet.step.ts", step_name="CreatePet", kind=1,
    payload_json=json.dumps(request).encode(), trace_id="5d2c7f0e-1f7a-4c1e-9b0a-2f9a6a3c1d11",
)).SerializeToString()
reply = pb.SupervisorMessage(
    context_reply=pb.ContextReply(call_id=3, ok=True, result_json=b'{"id":"1"}')
).SerializeToString()

def one():
    message = pb.SupervisorMessage()
    message.ParseFromString(invoke)
    call = pb.RunnerMessage(call=pb.ContextCall(
        call_id=3, invocation_id=7, trace_id=message.invoke.trace_id, step_name="CreatePet",
        method="state.set", args_json=b'["pets","1",{"name":"Buddy"}]',
    )).SerializeToString()
    answer = pb.SupervisorMessage()
    answer.ParseFromString(reply)
    result = pb.RunnerMessage(result=pb.InvokeResult(
        invocation_id=7, ok=True, result_json=b'{"status":201,"body":{"id":"1","name":"Buddy"}}',
    )).SerializeToString()
    return len(call) + len(result)

for _ in range(2000): one()
best = float("inf")
for _ in range(5):
    n = 20000
    start = time.perf_counter()
    for _ in range(n): one()
    best = min(best, (time.perf_counter() - start) / n)
print(json.dumps({"implementation": api_implementation.Type(), "us": best * 1e6}))
"""


def measure(implementation: str) -> tuple[str, float]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT / "runners" / "python"),
        "PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION": implementation,
    }
    command = [sys.executable, "-c", PROGRAM]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    result = json.loads(done.stdout)
    return str(result["implementation"]), float(result["us"])


def main() -> None:
    rows = [measure("upb"), measure("python")]
    for name, micros in rows:
        print(f"{name:8} {micros:7.1f} µs of protobuf work per invocation")
    print(f"pure Python / upb: {rows[1][1] / rows[0][1]:.1f}x")


if __name__ == "__main__":
    main()
