"""``types.d.ts`` from a registry, without runners: JSON Schema -> TypeScript, and handler types that make
``tsc`` accept correct step code and reject what the configs forbid."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest

from supervisor.codegen import typescript_declarations
from supervisor.codegen._ts_schema import schema_type
from tests.support.registries import registry_of
from tests.support.server import REPO_ROOT

TSC = REPO_ROOT / "runners" / "node" / "node_modules" / ".bin" / "tsc"
NODE_TYPES = REPO_ROOT / "runners" / "node" / "node_modules" / "@types"


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "string"}, "string"),
        ({"type": "integer", "minimum": 0}, "number"),
        ({"type": "null"}, "null"),
        ({"type": "string", "format": "binary"}, "Buffer"),
        ({"type": "string", "enum": ["dog", "it's"]}, "'dog' | 'it\\'s'"),
        ({"const": 3}, "3"),
        ({"type": ["string", "null"]}, "string | null"),
        ({"anyOf": [{"type": "number"}, {"type": "null"}]}, "number | null"),
        ({"type": "number", "nullable": True}, "number | null"),
        ({"type": "array", "items": {"type": "boolean"}}, "Array<boolean>"),
        ({"type": "array"}, "Array<unknown>"),
        (
            {"type": "array", "prefixItems": [{"type": "string"}, {"type": "number"}], "items": False},
            "[string, number]",
        ),
        ({"type": "object"}, "Record<string, unknown>"),
        ({"type": "object", "additionalProperties": {"type": "number"}}, "Record<string, number>"),
        ({"allOf": [{"type": "string"}, {"minLength": 1}]}, "string"),
        ({"not": {}}, "never"),
        ({"$ref": "#/$defs/Missing"}, "unknown"),
        (True, "unknown"),
        ({}, "unknown"),
    ],
)
def test_json_schema_becomes_the_typescript_type(schema: Any, expected: str) -> None:
    assert schema_type(schema) == expected


def test_objects_list_required_and_optional_members_quote_odd_keys_and_keep_descriptions() -> None:
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "shown to adopters"},
            "content-type": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "number"}}}},
        },
        "required": ["name"],
        "additionalProperties": {},
    }
    assert schema_type(schema) == textwrap.dedent(
        """\
        {
          /** shown to adopters */
          name: string
          'content-type'?: string
          tags?: Array<{
            id?: number
          }>
          [key: string]: unknown
        }"""
    )


def test_references_resolve_against_the_schemas_own_defs_and_recursion_stops_at_unknown() -> None:
    pydantic_style = {
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {"label": {"type": "string"}, "children": {"items": {"$ref": "#/$defs/Node"}}},
                "required": ["label"],
            }
        },
        "type": "object",
        "properties": {"root": {"$ref": "#/$defs/Node"}},
        "required": ["root"],
    }
    assert schema_type(pydantic_style) == textwrap.dedent(
        """\
        {
          root: {
            label: string
            children?: Array<unknown>
          }
        }"""
    )


# ---------------------------------------------------------------- handler types, checked by tsc

ORDER = {
    "type": "object",
    "properties": {
        "orderId": {"type": "string"},
        "quantity": {"type": "integer"},
        "lines": {"type": "array", "items": {"$ref": "#/$defs/Line"}},
    },
    "required": ["orderId", "quantity"],
    "$defs": {"Line": {"type": "object", "properties": {"sku": {"type": "string"}}, "required": ["sku"]}},
}

STEPS: dict[str, dict[str, Any]] = {
    "steps/create-order.step.ts": {
        "type": "api",
        "name": "CreateOrder",
        "path": "/orders",
        "method": "POST",
        "bodySchema": {
            "type": "object",
            "properties": {"quantity": {"type": "integer"}, "note": {"type": "string"}},
            "required": ["quantity"],
        },
        "responseSchema": {
            "201": {"type": "object", "properties": {"orderId": {"type": "string"}}, "required": ["orderId"]},
            "400": {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]},
        },
        "emits": ["order.created", "order.audited"],
    },
    # A Python subscriber's pydantic schema types what TypeScript emits.
    "steps/fulfil_step.py": {
        "type": "event",
        "name": "Fulfil",
        "subscribes": ["order.created"],
        "input": ORDER,
        "emits": ["order.shipped"],
    },
    "steps/audit.step.ts": {"type": "event", "name": "Audit", "subscribes": ["order.created"], "emits": []},
    "steps/notify.step.ts": {
        "type": "event",
        "name": "Notify",
        "subscribes": ["order.shipped"],
        "input": {"type": "object", "properties": {"orderId": {"type": "string"}}, "required": ["orderId"]},
        "emits": [],
        "infrastructure": {"queue": {"type": "fifo"}},
    },
    "steps/nightly.step.ts": {
        "type": "cron",
        "name": "Nightly",
        "cron": "0 3 * * *",
        "emits": ["order.created"],
    },
    "steps/ping.step.ts": {"type": "api", "name": "Ping", "path": "/ping", "method": "GET", "emits": []},
    "steps/placeholder.step.ts": {"type": "noop", "name": "Placeholder"},
}
STREAMS = {
    "steps/orders.stream.ts": {
        "name": "orders",
        "schema": {
            "type": "object",
            "properties": {"status": {"enum": ["new", "shipped"]}},
            "required": ["status"],
        },
        "baseConfig": {"storageType": "default"},
    }
}

# Each `@ts-expect-error` line must fail to compile, and every other line must compile.
USAGE = """\
import type { ApiRouteConfig, Handlers, StreamConfig } from 'motia'

export const config: ApiRouteConfig = { type: 'api', name: 'CreateOrder', path: '/orders', method: 'POST', emits: [] }
export const stream: StreamConfig = { name: 'orders', schema: { type: 'object' }, baseConfig: { storageType: 'default' } }

export const createOrder: Handlers['CreateOrder'] = async (req, { emit, logger, state, streams, traceId }) => {
  const quantity: number = req.body.quantity
  const note: string | undefined = req.body.note
  const raw: string = req.rawBody
  // @ts-expect-error the body schema has no such field
  req.body.nope
  logger.info('creating', { quantity, note, bytes: raw.length })
  logger.critical('out of stock', { quantity })
  await state.set('orders', traceId, { quantity })
  await emit({ topic: 'order.created', data: { orderId: traceId, quantity, lines: [{ sku: 'a' }] } })
  // @ts-expect-error data must fit the input of every subscriber (Fulfil wants quantity)
  await emit({ topic: 'order.created', data: { orderId: traceId } })
  // @ts-expect-error a topic the step does not list in emits
  await emit({ topic: 'order.shipped', data: { orderId: traceId } })
  // @ts-expect-error order.audited has no subscriber, so it is left out of the emit types (as in Motia)
  await emit({ topic: 'order.audited', data: {} })
  await streams.orders.set(traceId, 'o1', { status: 'new' })
  // @ts-expect-error the stream's schema
  await streams.orders.set(traceId, 'o1', { status: 'lost' })
  if (quantity > 10) return { status: 400, body: { error: 'too many' } }
  return { status: 201, body: { orderId: traceId } }
}

// @ts-expect-error a status the responseSchema does not declare
export const teapot: Handlers['CreateOrder'] = async () => ({ status: 418, body: { error: 'teapot' } })

export const notify: Handlers['Notify'] = async (input, { emit }) => {
  const id: string = input.orderId
  // @ts-expect-error the step emits nothing
  await emit({ topic: 'order.created', data: { orderId: id, quantity: 1 } })
}

export const audit: Handlers['Audit'] = async (input) => {
  // @ts-expect-error a step without an input schema gets `never` (as in Motia)
  input.orderId
}

export const fulfil: Handlers['Fulfil'] = async (input, { emit }) => {
  const sku: string | undefined = input.lines?.[0]?.sku
  await emit({ topic: 'order.shipped', data: { orderId: sku ?? input.orderId }, messageGroupId: input.orderId })
  // @ts-expect-error a FIFO subscriber needs a messageGroupId
  await emit({ topic: 'order.shipped', data: { orderId: input.orderId } })
}

export const nightly: Handlers['Nightly'] = async ({ emit }) => {
  await emit({ topic: 'order.created', data: { orderId: 'n', quantity: 0 } })
}

export const ping: Handlers['Ping'] = async (req) => ({ status: 200, body: { pong: req.queryParams.x ?? null } })

// @ts-expect-error noop steps have no handler
export const placeholder: Handlers['Placeholder'] = async () => {}
"""


def run_tsc(
    project: Path, include: list[str], skip_lib_check: bool = False
) -> subprocess.CompletedProcess[str]:
    tsconfig = {
        "compilerOptions": {
            "target": "ES2022",
            "module": "ESNext",
            "moduleResolution": "Bundler",
            "strict": True,
            "noEmit": True,
            "skipLibCheck": skip_lib_check,
            "types": ["node"],
            "typeRoots": [str(NODE_TYPES)],
        },
        "include": include,
    }
    (project / "tsconfig.json").write_text(json.dumps(tsconfig))
    return subprocess.run(
        [str(TSC), "-p", str(project / "tsconfig.json")], capture_output=True, text=True, timeout=120
    )


def test_handler_types_accept_what_the_configs_allow_and_reject_the_rest(tmp_path: Path) -> None:
    generated = typescript_declarations(registry_of(STEPS, STREAMS))
    assert generated.warnings == [
        "steps/create-order.step.ts: step 'CreateOrder' emits 'order.audited', which no step subscribes to; "
        "it is left out of the types of Handlers['CreateOrder']"
    ]
    (tmp_path / "types.d.ts").write_text(generated.text)
    (tmp_path / "usage.ts").write_text(USAGE)
    # Declaration files are checked too (skipLibCheck off): the generated file itself has no error.
    result = run_tsc(tmp_path, ["types.d.ts", "usage.ts"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_empty_project_still_declares_the_motia_module(tmp_path: Path) -> None:
    generated = typescript_declarations(registry_of({}))
    assert "export interface Handlers {}" in generated.text
    (tmp_path / "types.d.ts").write_text(generated.text)
    (tmp_path / "usage.ts").write_text(
        "import type { FlowContext, Logger } from 'motia'\n"
        "export const log = (ctx: FlowContext, logger: Logger) => logger.child({ trace: ctx.traceId })\n"
    )
    # A Node Motia project's motia.config.ts type-checks too.
    (tmp_path / "motia.config.ts").write_text(
        "import { config } from 'motia'\n"
        "export default config({\n"
        "  streamAuth: {\n"
        "    contextSchema: { type: 'object' },\n"
        "    authenticate: async (request) => (request.headers.authorization ? { user: 'a' } : null),\n"
        "  },\n"
        "})\n"
    )
    result = run_tsc(tmp_path, ["types.d.ts", "usage.ts", "motia.config.ts"])
    assert result.returncode == 0, result.stdout + result.stderr
