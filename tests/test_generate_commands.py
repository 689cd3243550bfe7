"""``motia generate-types`` and ``motia generate openapi`` run as a user runs them, in a copy of a project."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from openapi_spec_validator import validate

from tests.support.project import write_project
from tests.support.server import REPO_ROOT, MotiaServer, eventually, motia_argv
from tests.test_generate_types import run_tsc

pytestmark = pytest.mark.e2e


def motia(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(motia_argv(*args), cwd=project, capture_output=True, text=True, timeout=120)


@pytest.fixture
def pet_app(tmp_path: Path) -> Path:
    """A copy of the example app with the app's npm packages (openai, zod) and no Node `motia`."""
    shutil.copytree(REPO_ROOT / "steps", tmp_path / "steps", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(REPO_ROOT / "package.json", tmp_path / "package.json")
    (tmp_path / "node_modules").symlink_to(REPO_ROOT / "node_modules", target_is_directory=True)
    assert not (tmp_path / "node_modules" / "motia").exists()
    return tmp_path


def test_generate_types_lets_tsc_check_the_pet_app_without_node_motia(pet_app: Path) -> None:
    result = motia(pet_app, "generate-types")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "47 handlers, 2 streams" in result.stdout
    types = (pet_app / "types.d.ts").read_text()
    assert "TsCreatePet: ApiRouteHandler<" in types and "PyCreatePet: ApiRouteHandler<" in types
    checked = run_tsc(pet_app, ["types.d.ts", "steps/typescript/**/*.ts"], skip_lib_check=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # The repository's own types.d.ts is this command's output.
    stale = "the repository's types.d.ts is stale: run `.venv/bin/motia generate-types` at its root"
    assert types == (REPO_ROOT / "types.d.ts").read_text(), stale


def test_tsc_fails_on_a_step_that_emits_data_its_subscriber_does_not_accept(pet_app: Path) -> None:
    step = pet_app / "steps" / "typescript" / "create-pet.step.ts"
    source = step.read_text()
    emitted = "data: { petId: pet.id, event: 'pet.created', name: pet.name, species: pet.species },"
    assert emitted in source
    step.write_text(
        source.replace(emitted, emitted.replace("species: pet.species", "species: pet.ageMonths"))
    )

    result = motia(pet_app, "generate-types")
    assert result.returncode == 0, result.stdout + result.stderr
    checked = run_tsc(pet_app, ["types.d.ts", "steps/typescript/**/*.ts"], skip_lib_check=True)
    assert checked.returncode != 0
    # its subscribers: the TS enrichment (species: a string) and the Python shelter intake (species:
    # one of the pydantic model's literals), whose JSON Schema the TS emit is checked against too
    assert "create-pet.step.ts" in checked.stdout
    assert """'number' is not assignable to type '"dog" | "cat" | "bird" | "other"'""" in checked.stdout


def test_generate_types_names_each_step_that_failed_to_load_and_exits_1(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "steps/ok.step.ts": "export const config = { type: 'api', name: 'Ok', path: '/ok', method: 'GET', emits: [] }\n"
            "export const handler = async () => ({ status: 200, body: {} })\n",
            "steps/broken.step.ts": "export const config = {\n",
        },
    )
    result = motia(tmp_path, "generate-types")
    assert result.returncode == 1
    assert "Ok: ApiRouteHandler<" in (tmp_path / "types.d.ts").read_text()
    assert "steps/broken.step.ts" in result.stderr and "missing" in result.stderr


def test_generate_types_says_each_problem_as_the_start_up_summary_does(tmp_path: Path) -> None:
    """ai-chat-agent-with-memory's steps import a middleware file the example lacks: Node's message
    ends with its require stack, which broke the list into unlabelled lines; the cause's first line is
    said, with the fix the summary gives (a missing npm package)."""
    api = (
        "export const config = {{ type: 'api', name: '{name}', path: '/{name}', method: 'GET', emits: [] }}\n"
    )
    write_project(
        tmp_path,
        {
            "steps/chat.step.ts": "import { core } from '../middlewares/core.middleware'\n"
            + api.format(name="Chat")
            + "export const handler = async () => ({ status: 200, body: core })\n",
            "steps/search.step.ts": "import { getJson } from 'serpapi-not-installed'\n"
            + api.format(name="Search")
            + "export const handler = async () => ({ status: 200, body: getJson })\n",
        },
    )
    result = motia(tmp_path, "generate-types")
    assert result.returncode == 1
    said = result.stderr[result.stderr.index("motia generate-types: 2 problem(s)") :].splitlines()
    assert "Require stack" not in result.stderr
    assert said[1] == "  - steps/chat.step.ts: Cannot find module '../middlewares/core.middleware'"
    # a project file that is not there: the summary's fix says where the import points
    assert said[2].startswith("    fix: `../middlewares/core.middleware` in steps/chat.step.ts is "), said
    assert said[3].startswith("  - steps/search.step.ts: Cannot find module 'serpapi-not-installed'")
    assert said[4].startswith("    fix: ") and "serpapi-not-installed" in said[4]


MOTIA_CONFIG = """\
import { config } from 'motia'

export default config({
  streamAuth: {
    contextSchema: { type: 'object', properties: { user: { type: 'string' } } },
    authenticate: async (request) => (request.headers.authorization ? { user: 'ada' } : null),
  },
})
"""


def test_a_node_motia_config_loads_and_type_checks_without_node_motia(tmp_path: Path) -> None:
    """`import { config } from 'motia'` gets the runner's stand-in at run time, our declaration in tsc."""
    write_project(
        tmp_path, {"motia.config.ts": MOTIA_CONFIG, "steps/greet.step.ts": STEP.format(field="name")}
    )
    result = motia(tmp_path, "generate-types")
    assert result.returncode == 0, result.stdout + result.stderr
    checked = run_tsc(tmp_path, ["types.d.ts", "motia.config.ts", "steps/**/*.ts"])
    assert checked.returncode == 0, checked.stdout + checked.stderr


ZOD_DEFAULTS = {
    "steps/order.step.ts": """
        import { z } from 'zod'
        import type { ApiRouteConfig, Handlers } from 'motia'
        export const config: ApiRouteConfig = {
          type: 'api', name: 'Order', path: '/order', method: 'POST', emits: [], validateBody: true,
          flows: ['orders'], bodySchema: z.object({ sku: z.string(), quantity: z.number().default(1) }),
        }
        export const handler: Handlers['Order'] = async (req, { streams }) => {
          const quantity: number = req.body.quantity  // there in the parsed value: not `number | undefined`
          const cart = await streams.carts.get('board', req.body.sku)
          const items: number = cart ? cart.items : 0
          return { status: 200, body: { quantity, items } }
        }
    """,
    "steps/ship.step.ts": """
        import { z } from 'zod'
        import type { EventConfig, Handlers } from 'motia'
        export const config: EventConfig = {
          type: 'event', name: 'Ship', subscribes: ['order.placed'], emits: [], flows: ['orders'],
          input: z.object({ sku: z.string(), rush: z.boolean().default(false) }),
        }
        export const handler: Handlers['Ship'] = async (input) => {
          const rush: boolean = input.rush
          void rush
        }
    """,
    "steps/carts.stream.ts": """
        import { z } from 'zod'
        import type { StreamConfig } from 'motia'
        export const config: StreamConfig = {
          name: 'carts', schema: z.object({ items: z.number().default(0) }), baseConfig: { storageType: 'default' },
        }
    """,
}


def test_a_zod_default_field_is_required_in_the_types_and_may_be_left_out_of_a_body(tmp_path: Path) -> None:
    """A zod field with ``.default()`` is in the value a handler gets: its types have it required (as
    Motia 0.17's, z.toJSONSchema's output shape), in a body, an event's input and a stream's schema; the
    request may still leave it out (the core validates the input shape). That output shape is for the
    types only: no view of the config shows it (the user never wrote it)."""
    write_project(tmp_path, ZOD_DEFAULTS)
    result = motia(tmp_path, "generate-types")
    assert result.returncode == 0, result.stdout + result.stderr
    types = (tmp_path / "types.d.ts").read_text()
    assert "quantity: number" in types and "items: number" in types and "rush: boolean" in types, types
    (tmp_path / "node_modules").mkdir()  # zod's declarations for tsc: the runner's
    (tmp_path / "node_modules" / "zod").symlink_to(REPO_ROOT / "runners" / "node" / "node_modules" / "zod")
    checked = run_tsc(tmp_path, ["types.d.ts", "steps/**/*.ts"])
    assert checked.returncode == 0, checked.stdout + checked.stderr
    with MotiaServer(tmp_path) as server:
        answered = server.client.post("/order", json={"sku": "a"})
        assert answered.status_code == 200, answered.text
        # the Workbench's Flows (node config) and Endpoints panels draw these
        for view in ("/__motia/steps", "/__motia/flows"):
            shown = server.client.get(view)
            assert shown.status_code == 200 and "quantity" in shown.text and "rush" in shown.text, shown.text
            assert "x-motia-output" not in shown.text, (view, shown.text)
    printed = motia(tmp_path, "get-config")
    assert printed.returncode == 0 and "rush" in printed.stdout, printed.stdout + printed.stderr
    assert "x-motia-output" not in printed.stdout
    # the OpenAPI document describes what a client sends (the input shape), without the output shape
    documented = motia(tmp_path, "generate", "openapi", "-o", "openapi.json")
    assert documented.returncode == 0, documented.stdout + documented.stderr
    text = (tmp_path / "openapi.json").read_text()
    assert "x-motia-output" not in text
    body = json.loads(text)["paths"]["/order"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert "quantity" in body["properties"] and "quantity" not in body.get("required", [])


# Each zod wrapper users write, as zod 4's output shape types it (what Motia 0.17 types: z.toJSONSchema's
# output), in zod 4 and zod 3 alike; a transform's result, which JSON Schema cannot say (Motia refused
# such a step), as what the handler gets: the value as sent (nothing runs zod's parse on it).
ZOD_WRAPPERS = """
    import {{ z }} from '{module}'
    import type {{ ApiRouteConfig, Handlers }} from 'motia'
    const body = z.object({{
      length: z.string().transform((s) => s.length),
      count: z.string().transform(Number).pipe(z.number()),
      trimmed: z.preprocess((v) => String(v).trim(), z.string()),
      quantity: z.number().default(1),
      fallback: z.number().catch(0),
      id: z.string().brand<'Id'>(),
      even: z.number().refine((n) => n % 2 === 0),
      odd: z.number().superRefine(() => undefined),
      age: z.coerce.number(),
      note: z.string().optional(),
      parent: z.string().nullable(),
      tags: z.array(z.string()).readonly(),
      tree: z.lazy(() => z.object({{ name: z.string() }})),
    }})
    export const config: ApiRouteConfig = {{
      type: 'api', name: 'Wrap{v}', path: '/wrap{v}', method: 'POST', emits: ['stamped{v}'], bodySchema: body,
      responseSchema: {{ 200: z.object({{ size: z.string().transform((s) => s.length) }}) }},
    }}
    export const handler: Handlers['Wrap{v}'] = async (req, {{ emit }}) => {{
      const {{ length, count, trimmed, quantity, fallback, id, even, odd, age, tags, tree }} = req.body
      const strings: string[] = [length, trimmed, id, ...tags, tree.name]
      const numbers: number[] = [count, quantity, fallback, even, odd, age]
      const note: string | undefined = req.body.note
      const parent: string | null = req.body.parent
      await emit({{ topic: 'stamped{v}', data: {{ at: '2026-12-02' }} }})
      // @ts-expect-error the subscriber's transform takes a string
      await emit({{ topic: 'stamped{v}', data: {{ at: 5 }} }})
      return {{ status: 200, body: {{ size: `${{strings}}${{numbers}}${{note}}${{parent}}` }} }}
    }}
    type Reply = Exclude<Awaited<ReturnType<Handlers['Wrap{v}']>>, void>
    // @ts-expect-error the response's transform takes a string
    export const wrong: Reply = {{ status: 200, body: {{ size: 3 }} }}
"""

ZOD_STAMP = """
    import {{ z }} from '{module}'
    import type {{ EventConfig, Handlers }} from 'motia'
    export const config: EventConfig = {{
      type: 'event', name: 'Stamp{v}', subscribes: ['stamped{v}'], emits: [],
      input: z.object({{ at: z.string().transform((s) => new Date(s)) }}),
    }}
    export const handler: Handlers['Stamp{v}'] = async (input) => {{
      const at: string = input.at
      void at
    }}
"""


def test_each_zod_wrapper_types_as_zod_4s_output_and_a_transform_as_what_was_sent(tmp_path: Path) -> None:
    """A transform typed `unknown` (body, response, event input, emitted data); in zod 3 a refine too,
    a `.default()`/`.catch()` field optional and a pipe `in & out`."""
    files: dict[str, str] = {}
    for module, v in (("zod", "4"), ("zod/v3", "3")):
        files[f"steps/wrap{v}.step.ts"] = ZOD_WRAPPERS.format(module=module, v=v)
        files[f"steps/stamp{v}.step.ts"] = ZOD_STAMP.format(module=module, v=v)
    write_project(tmp_path, files)
    result = motia(tmp_path, "generate-types")
    assert result.returncode == 0, result.stdout + result.stderr
    types = (tmp_path / "types.d.ts").read_text()
    assert "unknown" not in types[types.index("interface Handlers") :], types
    (tmp_path / "node_modules").mkdir()  # zod's declarations for tsc: the runner's
    (tmp_path / "node_modules" / "zod").symlink_to(REPO_ROOT / "runners" / "node" / "node_modules" / "zod")
    checked = run_tsc(tmp_path, ["types.d.ts", "steps/**/*.ts"], skip_lib_check=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


STEP = """
import {{ ApiRouteConfig, Handlers }} from 'motia'
export const config: ApiRouteConfig = {{
  type: 'api', name: 'Greet', path: '/greet', method: 'POST', emits: [],
  bodySchema: {{ type: 'object', properties: {{ {field}: {{ type: 'string' }} }}, required: ['{field}'] }},
}}
export const handler: Handlers['Greet'] = async (req) => ({{ status: 200, body: {{ hello: req.body.{field} }} }})
"""


def test_dev_rewrites_types_when_a_step_changes(tmp_path: Path) -> None:
    write_project(tmp_path, {"steps/greet.step.ts": STEP.format(field="name")})
    types = tmp_path / "types.d.ts"
    with MotiaServer(tmp_path, mode="dev") as server:
        assert "name: string" in types.read_text()
        (tmp_path / "steps" / "greet.step.ts").write_text(STEP.format(field="nickname"))
        eventually(lambda: "nickname: string" in types.read_text(), timeout=30)
        eventually(lambda: server.client.post("/greet", json={"nickname": "Ada"}).status_code == 200)
    assert "types.d.ts updated" in server.output


def test_dev_leaves_types_alone_when_the_project_turns_generation_off(tmp_path: Path) -> None:
    write_project(
        tmp_path, {"steps/greet.step.ts": STEP.format(field="name")}, config={"generateTypes": False}
    )
    with MotiaServer(tmp_path, mode="dev") as server:
        # With generation on, the file is written before the server listens.
        assert not (tmp_path / "types.d.ts").exists()
        (tmp_path / "steps" / "greet.step.ts").write_text(STEP.format(field="nickname"))
        eventually(lambda: server.client.post("/greet", json={"nickname": "Ada"}).status_code == 200)
    assert not (tmp_path / "types.d.ts").exists()
    assert "types.d.ts" not in server.output


def test_generate_openapi_documents_every_api_step_of_the_pet_app(pet_app: Path) -> None:
    result = motia(pet_app, "generate", "openapi", "-o", "docs/openapi.json", "--title", "Pets")
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads((pet_app / "docs" / "openapi.json").read_text())
    validate(document)
    # Motia's -v defaults to 1.0.0 (its CLI docs and source), not package.json's version (0.1.0 here)
    assert document["info"] == {"title": "Pets", "version": "1.0.0"}
    operations = {
        operation["operationId"]: (path, method)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }
    assert len(operations) == 24  # 8 api steps in each of the three languages
    assert operations["PyUpdatePet"] == ("/py/pets/{id}", "put")
    update = document["paths"]["/ts/pets/{id}"]["put"]
    assert update["parameters"] == [
        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    ]
    body = update["requestBody"]["content"]["application/json"]["schema"]
    assert "status" in body["properties"] and update["description"].startswith("Update pet fields")


def test_generate_openapi_writes_to_stdout_with_dash(pet_app: Path) -> None:
    result = motia(pet_app, "generate", "openapi", "-o", "-")
    assert result.returncode == 0, result.stderr
    validate(json.loads(result.stdout))
    assert not (pet_app / "openapi.json").exists()


def test_get_config_prints_every_step_flow_and_stream_of_the_pet_app(pet_app: Path) -> None:
    printed = motia(pet_app, "get-config")
    assert printed.returncode == 0, printed.stderr
    config = json.loads(printed.stdout)
    steps = {step["name"]: step for step in config["steps"]}
    created = steps["PyCreatePet"]
    assert (created["type"], created["method"], created["path"]) == ("api", "POST", "/py/pets")
    assert (created["language"], created["file"]) == ("python", "steps/python/create_pet_step.py")
    assert steps["TsCreatePet"]["language"] == "typescript" and "JsCreatePet" in steps
    flows = {flow["name"]: flow for flow in config["flows"]}
    assert "PyCreatePet" in {step["name"] for step in flows[created["flows"][0]]["steps"]}
    assert len(config["streams"]) == 2

    # -o DIR: Motia's file in DIR, the same document
    written = motia(pet_app, "get-config", "-o", "build")
    assert written.returncode == 0, written.stderr
    assert json.loads((pet_app / "build" / ".motia.generated.json").read_text()) == config


def test_get_config_names_a_step_that_failed_to_load_and_exits_1(tmp_path: Path) -> None:
    write_project(tmp_path, {"steps/broken.step.ts": "export const config = {\n"})
    result = motia(tmp_path, "get-config")
    assert result.returncode == 1
    assert json.loads(result.stdout)["steps"] == []
    assert "steps/broken.step.ts" in result.stderr and "missing" in result.stderr
