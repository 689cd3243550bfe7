// Bundled by esbuild into the page browser-driver.mjs loads: Motia's browser client + the scenario.
import { Stream } from '@motiadev/stream-client-browser'
import { runScenario } from './scenario.mjs'

window.runScenario = async () => {
  const lines = []
  const httpUrl = window.location.origin
  const wsUrl = httpUrl.replace(/^http/, 'ws')
  try {
    const result = await runScenario({ Stream, httpUrl, wsUrl, log: (line) => lines.push(line) })
    return { ok: true, lines, result }
  } catch (error) {
    return { ok: false, lines, error: String(error.stack ?? error) }
  }
}
