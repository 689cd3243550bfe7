"""The projects the benchmarks start ``motia start`` on: step sources per language, and their writers."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from constants import LANGS

API_STEP = {
    "ts": """
        export const config = { type: 'api', name: '{name}', path: '{path}', method: 'GET', emits: [] }
        export const handler = async (_req: unknown) => ({ status: 200, body: { ok: true } })
    """,
    "js": """
        const config = { type: 'api', name: '{name}', path: '{path}', method: 'GET', emits: [] }
        const handler = async () => ({ status: 200, body: { ok: true } })
        module.exports = { config, handler }
    """,
    "py": """
        config = {"type": "api", "name": "{name}", "path": "{path}", "method": "GET", "emits": []}


        async def handler(req, context):
            return {"status": 200, "body": {"ok": True}}
    """,
}

# The handler reads CLOCK_MONOTONIC first thing (process.hrtime.bigint / time.monotonic_ns, the same clock
# as the client's time.monotonic_ns), then logs it; the log line reaches us on the supervisor's stdout.
RECORDER_STEP = {
    "ts": """
        export const config = { type: 'event', name: '{name}', subscribes: ['{topic}'], emits: [] }
        export const handler = async (input: { seq: number }, ctx: any) => {
          const t = process.hrtime.bigint()
          ctx.logger.info('bench-start', { seq: input.seq, t: t.toString() })
        }
    """,
    "js": """
        const config = { type: 'event', name: '{name}', subscribes: ['{topic}'], emits: [] }
        const handler = async (input, ctx) => {
          const t = process.hrtime.bigint()
          ctx.logger.info('bench-start', { seq: input.seq, t: t.toString() })
        }
        module.exports = { config, handler }
    """,
    "py": """
        import time

        config = {"type": "event", "name": "{name}", "subscribes": ["{topic}"], "emits": []}


        async def handler(input_data, context):
            t = time.monotonic_ns()
            context.logger.info("bench-start", {"seq": input_data["seq"], "t": str(t)})
    """,
}

EVENT_STEP = {
    "ts": """
        export const config = { type: 'event', name: '{name}', subscribes: ['{topic}'], emits: [] }
        export const handler = async (_input: unknown, ctx: any) => { ctx.logger.info('got it') }
    """,
    "js": """
        const config = { type: 'event', name: '{name}', subscribes: ['{topic}'], emits: [] }
        const handler = async (_input, ctx) => { ctx.logger.info('got it') }
        module.exports = { config, handler }
    """,
    "py": """
        config = {"type": "event", "name": "{name}", "subscribes": ["{topic}"], "emits": []}


        async def handler(input_data, context):
            context.logger.info("got it")
    """,
}

CRON_STEP = {
    # Once a year: it must not fire during the benchmark.
    "ts": """
        export const config = { type: 'cron', name: '{name}', cron: '0 0 1 1 *', emits: [] }
        export const handler = async (ctx: any) => { ctx.logger.info('tick') }
    """,
    "js": """
        const config = { type: 'cron', name: '{name}', cron: '0 0 1 1 *', emits: [] }
        const handler = async (ctx) => { ctx.logger.info('tick') }
        module.exports = { config, handler }
    """,
    "py": """
        config = {"type": "cron", "name": "{name}", "cron": "0 0 1 1 *", "emits": []}


        async def handler(context):
            context.logger.info("tick")
    """,
}

FILE_NAME = {"ts": "{stem}.step.ts", "js": "{stem}.step.js", "py": "{stem}_step.py"}


def _render(template: str, **values: str) -> str:
    text = textwrap.dedent(template).lstrip("\n")
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def _write_step(steps: Path, lang: str, stem: str, source: str) -> None:
    (steps / FILE_NAME[lang].replace("{stem}", stem)).write_text(source, encoding="utf-8")


def write_bench_project(root: Path, events_adapter: str | None = None) -> Path:
    """Three trivial api steps and three recorder event steps, one of each per language."""
    steps = root / "steps"
    steps.mkdir(parents=True)
    for lang in LANGS:
        name = lang.capitalize()
        _write_step(
            steps, lang, f"{lang}_hello", _render(API_STEP[lang], name=f"{name}Hello", path=f"/{lang}/hello")
        )
        _write_step(
            steps, lang, f"{lang}_rec", _render(RECORDER_STEP[lang], name=f"{name}Rec", topic=f"bench.{lang}")
        )
    if events_adapter:
        config = {"events": {"adapter": events_adapter}}
        (root / "motia.config.json").write_text(json.dumps(config), encoding="utf-8")
    return root


def write_boot_project(root: Path) -> Path:
    """45 steps: per language 5 api, 5 event and 5 cron steps."""
    steps = root / "steps"
    steps.mkdir(parents=True)
    for lang in LANGS:
        name = lang.capitalize()
        for i in range(5):
            api = _render(API_STEP[lang], name=f"{name}Api{i}", path=f"/boot/{lang}/{i}")
            event = _render(EVENT_STEP[lang], name=f"{name}Event{i}", topic=f"boot.{lang}.{i}")
            cron = _render(CRON_STEP[lang], name=f"{name}Cron{i}")
            _write_step(steps, lang, f"{lang}_api_{i}", api)
            _write_step(steps, lang, f"{lang}_event_{i}", event)
            _write_step(steps, lang, f"{lang}_cron_{i}", cron)
    return root
