"""The keys of a Node Motia ``motia.config.ts`` are read from its text, without running it."""

from __future__ import annotations

import pytest

from supervisor.discovery._motia_config import top_level_keys

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
