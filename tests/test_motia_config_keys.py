"""The keys of a Node Motia ``motia.config.ts`` are read from its text, without running it."""

from __future__ import annotations

from pathlib import Path

import pytest

from supervisor.discovery._motia_config import top_level_keys
from tests.support.project import step_path, write_project
from tests.support.server import MotiaServer, eventually

SOURCES = {
    "config() with plugins, adapters and streamAuth": (
        """
        import { config } from '@motiadev/core'
        import endpointPlugin from '@motiadev/plugin-endpoint/plugin'
        export default config({
          plugins: [endpointPlugin, (motia) => ({ workbench: [{ packageName: 'x' }] })],
          adapters: { state: new RedisStateAdapter({ host: process.env.REDIS_HOST || 'localhost' }) },
          streamAuth: {
            contextSchema: z.toJSONSchema(z.object({ userId: z.string() })),
            authenticate: async (request) => (request.headers.token === '}' ? { userId: 'u' } : null),
          },
        })
        """,
        ("plugins", "adapters", "streamAuth"),
    ),
    "defineConfig from motia, a method and a quoted key": (
        "import { defineConfig } from 'motia'\nexport default defineConfig({ app(app) { app.use(cors()) }, 'redis': { useMemoryServer: true } })",
        ("app", "redis"),
    ),
    "keys in comments and strings are not keys": (
        "// export default config({ commented: 1 })\nexport default config({ /* fake: 1, */ plugins: [], note: 'x: y, z' })",
        ("plugins", "note"),
    ),
    "CommonJS export of an object, shorthand and spread": (
        "const plugins = []\nmodule.exports = { plugins, ...shared, adapters: {} }",
        ("plugins", "adapters"),
    ),
    "no config object": ("export const x = 1", ()),
}


@pytest.mark.parametrize(("source", "keys"), list(SOURCES.values()), ids=list(SOURCES))
def test_top_level_keys(source: str, keys: tuple[str, ...]) -> None:
    assert top_level_keys(source) == keys


# Motia's adapters guide, as a JavaScript project writes it (Redis state, for several instances)
REDIS_STATE_CONFIG_JS = """
const { config } = require('@motiadev/core')
const { RedisStateAdapter } = require('@motiadev/adapter-redis-state')

module.exports = config({
  adapters: {
    state: new RedisStateAdapter({
      host: process.env.REDIS_HOST || 'localhost',
      port: parseInt(process.env.REDIS_PORT || '6379')
    })
  },
  redis: { useMemoryServer: false, host: 'localhost', port: 6379 },
})
"""


@pytest.mark.e2e
def test_the_warning_for_motias_redis_adapters_names_the_redis_adapter_and_where_its_url_goes(
    tmp_path: Path,
) -> None:
    write_project(
        tmp_path,
        {
            "motia.config.js": REDIS_STATE_CONFIG_JS,
            step_path("py", "ping"): """
                config = {"type": "api", "name": "Ping", "path": "/ping", "method": "GET", "emits": []}
                async def handler(req, context):
                    return {"status": 200, "body": {"pong": True}}
            """,
        },
    )
    with MotiaServer(tmp_path, mode="dev") as server:
        assert server.client.get("/ping").json() == {"pong": True}
        output = server.output
    [adapters] = [line for line in output.splitlines() if "`adapters` is ignored" in line]
    [redis] = [line for line in output.splitlines() if "`redis` is ignored" in line]
    for line in (adapters, redis):
        assert '"redis": {"url": "redis://HOST:PORT"}' in line and "MOTIA_REDIS_URL" in line, line
    assert '"memory" or "redis"' in adapters, adapters


@pytest.mark.e2e
def test_motia_dev_warns_of_the_keys_an_edit_of_motia_config_adds(tmp_path: Path) -> None:
    """``motia dev`` reads a changed ``motia.config.js`` again: a key added to it that is ignored here is
    warned about as start-up warns about those it found, not left unsaid; those start-up warned about
    are not said again at each save."""
    write_project(
        tmp_path,
        {
            "motia.config.js": "module.exports = { plugins: [] }\n",
            step_path("js", "ping"): """
                exports.config = { type: 'api', name: 'Ping', path: '/ping', method: 'GET', emits: [] }
                exports.handler = async () => ({ status: 200, body: { pong: true } })
            """,
        },
    )

    def warned(key: str) -> list[str]:
        return [line for line in server.lines if f"motia.config.js: `{key}` is ignored" in line]

    with MotiaServer(tmp_path, mode="dev") as server:
        assert len(warned("plugins")) == 1, server.output
        (tmp_path / "motia.config.js").write_text("module.exports = { plugins: [], adapters: {} }\n")
        eventually(lambda: len(warned("adapters")) == 1)
        assert len(warned("plugins")) == 1, server.output
        assert '"memory" or "redis"' in warned("adapters")[0]
