"""The project templates of ``motia create``.

Step sources live under ``supervisor/templates/`` (package data): the greetings flow once per language.
The pet app is the repository's own example app: its ``steps/``, ``requirements.txt`` and
``motia.config.json`` (the wheel carries them as ``templates/pet-app/``). The small files around the
steps (package.json, tsconfig.json, requirements.txt, motia.config.json, README.md, .gitignore) are
written from each template's description here, so no template carries its own copy of them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

ZOD = {"zod": "^4.6.7"}
TYPESCRIPT_TOOLS = {"typescript": "~5.9.0", "@types/node": "^20.19.0"}
PYDANTIC = ("pydantic>=2.7",)

GREETINGS = "greetings"
_GREETINGS_SUMMARY = (
    "an API step emits an event, an event step writes state, a second API step reads it, in {language}"
)
_TRY_GREETINGS = """\
curl -s -X POST http://127.0.0.1:3000/greetings -H 'content-type: application/json' -d '{"name": "Ada"}'
curl -s http://127.0.0.1:3000/greetings/Ada"""
_TRY_PETS = """\
curl -s -X POST http://127.0.0.1:3000/ts/pets -H 'content-type: application/json' \\
  -d '{"name": "Buddy", "species": "dog", "ageMonths": 24}'
curl -s http://127.0.0.1:3000/ts/pets      # /js and /py serve the same app in JavaScript and Python
# The AI agents use OPENAI_API_KEY (environment or .env) when it is set, a rule-based fallback otherwise;
# steps/README.md describes every route and event."""


@dataclass(frozen=True)
class Template:
    name: str
    summary: str
    #: (path under supervisor/templates, path in the new project): files or whole folders
    sources: tuple[tuple[str, str], ...]
    try_it: str
    npm_dependencies: dict[str, str] = field(default_factory=dict)
    npm_dev_dependencies: dict[str, str] = field(default_factory=dict)
    #: "module" for ES-module .js steps, None for CommonJS ones
    module_type: str | None = None
    python_requirements: tuple[str, ...] = ()
    typescript: bool = False
    #: motia.config.json turns on the core's bodySchema check (off by default, as in Motia)
    validate_body: bool = False

    def generated_files(self, project_name: str) -> dict[str, str]:
        files = {".gitignore": _GITIGNORE, "README.md": self._readme(project_name)}
        if self.npm_dependencies or self.npm_dev_dependencies:
            files["package.json"] = self._package_json(project_name)
        if self.python_requirements:
            files["requirements.txt"] = "\n".join(self.python_requirements) + "\n"
        if self.typescript:
            files["tsconfig.json"] = json.dumps(_TSCONFIG, indent=2) + "\n"
        if self.validate_body:
            files["motia.config.json"] = json.dumps({"api": {"validateBody": True}}, indent=2) + "\n"
        return files

    def _package_json(self, project_name: str) -> str:
        package: dict[str, object] = {"name": _npm_name(project_name), "version": "0.1.0", "private": True}
        if self.module_type:
            package["type"] = self.module_type
        # Motia 0.17's `motia create` writes these scripts too (and `postinstall`, left out: npm would
        # need `motia` on its PATH to install anything): `npm run build` is how its projects check.
        package["scripts"] = {
            "dev": "motia dev",
            "start": "motia start",
            **({"generate-types": "motia generate-types"} if self.typescript else {}),
            "build": "motia build",
            "clean": "rm -rf node_modules python_modules .motia .mermaid",
        }
        if self.npm_dependencies:
            package["dependencies"] = self.npm_dependencies
        if self.npm_dev_dependencies:
            package["devDependencies"] = self.npm_dev_dependencies
        return json.dumps(package, indent=2) + "\n"

    def _readme(self, project_name: str) -> str:
        types = (
            "\n`motia dev` keeps `types.d.ts` (the `Handlers` types of every step) up to date; "
            "`motia generate-types` writes it on demand.\n"
            if self.typescript
            else ""
        )
        if self.validate_body:
            types += (
                "\n`motia.config.json` turns on `api.validateBody`: a request whose body does not match its "
                "step's `bodySchema` is answered 400, listing every failing field, before the handler runs.\n"
            )
        return f"""\
# {project_name}

A [Motia](https://motia.dev) project created with `motia create -t {self.name}`: {self.summary}.

```bash
motia install   # npm packages, and a python_modules/ venv from requirements.txt
motia dev       # http://127.0.0.1:3000, reloads when a file under steps/ changes
```

Try it:

```bash
{self.try_it}
```
{types}"""


def _npm_name(project_name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-._" else "-" for c in project_name.lower()).strip("-._")
    return cleaned or "motia-app"


_TSCONFIG = {
    "compilerOptions": {
        "target": "ES2022",
        "module": "ESNext",
        "moduleResolution": "Bundler",
        "strict": True,
        "noEmit": True,
        "skipLibCheck": True,
        "esModuleInterop": True,
        "isolatedModules": True,
        "resolveJsonModule": True,
    },
    "include": ["types.d.ts", "steps/**/*.ts", "src/**/*.ts"],
    "exclude": ["node_modules", "python_modules", ".motia"],
}

#: what a project's tools write: the virtualenvs its Python steps may run in, ``.motia/`` (state,
#: traces), ``.mermaid/`` (``motia dev -m``)
_GITIGNORE = """\
node_modules/
python_modules/
.venv/
venv/
__pycache__/
.motia/
.mermaid/
.env
"""


def _greetings(language: str) -> tuple[tuple[str, str], ...]:
    return ((f"{GREETINGS}/{language}", f"steps/{GREETINGS}"),)


TEMPLATES: dict[str, Template] = {
    template.name: template
    for template in (
        Template(
            "typescript",
            _GREETINGS_SUMMARY.format(language="TypeScript"),
            _greetings("typescript"),
            _TRY_GREETINGS,
            validate_body=True,
            npm_dependencies=ZOD,
            npm_dev_dependencies=TYPESCRIPT_TOOLS,
            module_type="module",
            typescript=True,
        ),
        Template(
            "javascript",
            _GREETINGS_SUMMARY.format(language="JavaScript"),
            _greetings("javascript"),
            _TRY_GREETINGS,
            validate_body=True,
            npm_dependencies=ZOD,
            module_type="module",
        ),
        Template(
            "python",
            _GREETINGS_SUMMARY.format(language="Python"),
            _greetings("python"),
            _TRY_GREETINGS,
            validate_body=True,
            python_requirements=PYDANTIC,
        ),
        Template(
            "mixed",
            "one flow across three languages: a TypeScript API step emits, a Python event step writes state, "
            "a JavaScript API step reads it",
            (
                (
                    f"{GREETINGS}/typescript/request-greeting.step.ts",
                    "steps/greetings/request-greeting.step.ts",
                ),
                (f"{GREETINGS}/python/write_greeting_step.py", "steps/greetings/write_greeting_step.py"),
                (f"{GREETINGS}/javascript/get-greeting.step.js", "steps/greetings/get-greeting.step.js"),
            ),
            _TRY_GREETINGS,
            validate_body=True,
            npm_dependencies=ZOD,
            npm_dev_dependencies=TYPESCRIPT_TOOLS,
            module_type="module",
            python_requirements=PYDANTIC,
            typescript=True,
        ),
        Template(
            "pet-app",
            "the pet-management app of Motia's tutorial, the same in TypeScript, JavaScript and Python "
            "(CRUD API, background and cron jobs, a lifecycle orchestrator, AI agents, a stream)",
            (
                ("pet-app/steps", "steps"),
                ("pet-app/requirements.txt", "requirements.txt"),
                ("pet-app/motia.config.json", "motia.config.json"),
            ),
            _TRY_PETS,
            npm_dependencies={"openai": "^6.49.0", **ZOD},
            npm_dev_dependencies=TYPESCRIPT_TOOLS,
            typescript=True,
        ),
    )
}

#: Motia's own template names (its docs: ``motia create --template starter-typescript``, the CLI
#: reference's ``nodejs``), each the template here that gives the same project: a user following those
#: docs is not refused.
MOTIA_TEMPLATE_NAMES: dict[str, str] = {
    "starter-typescript": "typescript",
    "starter-javascript": "javascript",
    "starter-python": "python",
    "nodejs": "typescript",
    "motia-tutorial-typescript": "pet-app",
    "motia-tutorial-python": "pet-app",
}
