"""Stream fan-out: 1,000 WebSocket subscribers on one group, a step updating it at a steady rate.

Usage: .venv/bin/python bench/streams_fanout.py [--clients 1000] [--rates 50,100,200,400] [--seconds 10]
                                                [--no-deflate]

A TypeScript api step sets one item of the group ``rate`` times a second for ``seconds`` seconds,
stamping each update with its wall-clock time; node clients (``ws``, offering permessage-deflate
as browsers do, unless --no-deflate) record the time each update arrives. Reported per rate: p50 /
p99 / max latency from the set in the step to receipt at a client, updates missed by any client,
clients disconnected, and the rate the step actually achieved. "Sustained" means every client got
every update, none was disconnected, and the step kept its rate (within 5%).

Needs tests/clients/node_modules (scripts/setup installs it). Talks to 127.0.0.1 only; the server
it starts is stopped by its pid.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import urllib.request
from pathlib import Path
from typing import Any

from constants import REPO
from servers import motia

CLIENT = Path(__file__).with_name("streams_fanout_client.cjs")

STREAM = """
export const config = { name: 'bench', schema: { type: 'object' }, baseConfig: { storageType: 'default' } }
"""
PUMP = """
export const config = { type: 'api', name: 'Pump', path: '/pump', method: 'POST', emits: [] }
const now = () => performance.timeOrigin + performance.now()
export const handler = async (req: any, { streams }: any) => {
  const { rate, seconds } = req.body
  const total = Math.round(rate * seconds)
  const start = now()
  for (let n = 0; n < total; n++) {
    const wait = start + (n * 1000) / rate - now()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    await streams.bench.set('fanout', 'ticker', { n, sentAt: now() })
  }
  return { status: 200, body: { sent: total, seconds: (now() - start) / 1000 } }
}
"""


def post(url: str, body: dict[str, Any], timeout: float) -> dict[str, Any]:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"content-type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        result: dict[str, Any] = json.loads(response.read())
        return result


def run_rate(port: int, clients: int, rate: int, seconds: float, deflate: bool) -> dict[str, Any]:
    expected = round(rate * seconds)
    env = {**os.environ, "NODE_PATH": str(REPO / "tests" / "clients" / "node_modules")}
    argv = ["node", str(CLIENT), f"ws://127.0.0.1:{port}/", str(clients), str(expected)]
    client = subprocess.Popen(
        [*argv, str(seconds + 30), "1" if deflate else "0"], stdout=subprocess.PIPE, text=True, env=env
    )
    assert client.stdout is not None
    if client.stdout.readline().strip() != "READY":
        client.kill()
        raise RuntimeError("the clients did not all subscribe")
    pumped = post(f"http://127.0.0.1:{port}/pump", {"rate": rate, "seconds": seconds}, seconds + 60)
    result: dict[str, Any] = json.loads(client.stdout.readline())
    client.wait(timeout=30)
    achieved = pumped["sent"] / pumped["seconds"] if pumped["seconds"] else 0.0
    result.update(rate=rate, achieved=round(achieved, 1))
    result["sustained"] = result["drops"] == 0 and result["closed"] == 0 and achieved >= rate * 0.95
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rates", default="50,100,200,400")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--no-deflate", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="motia-fanout-") as tmp:
        project = Path(tmp)
        (project / "steps").mkdir()
        (project / "steps" / "bench.stream.ts").write_text(textwrap.dedent(STREAM))
        (project / "steps" / "pump.step.ts").write_text(textwrap.dedent(PUMP))
        (project / "motia.config.json").write_text('{"apiTimeoutSeconds": 600}')
        results = []
        with motia(project, stop_timeout=30, name="fanout") as server:
            for rate in (int(value) for value in args.rates.split(",")):
                result = run_rate(server.port, args.clients, rate, args.seconds, not args.no_deflate)
                results.append(result)
                print(json.dumps(result), flush=True)
    deflate = not args.no_deflate
    print(f"\n{args.clients} subscribers, {args.seconds:g} s per rate, deflate offered: {deflate}\n")
    print("| updates/s | achieved | p50 ms | p99 ms | max ms | missed | disconnected | sustained |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        print(
            f"| {r['rate']} | {r['achieved']} | {r['p50']:.1f} | {r['p99']:.1f} | {r['max']:.1f} "
            f"| {r['drops']} | {r['closed']} | {'yes' if r['sustained'] else 'no'} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
