// Cross-origin fetches from a real page in headless Chromium, for tests/test_cors.py:
//   node cors-driver.mjs /usr/bin/chromium '{"pages": {"name": port, ...}, "checks": [...]}'
// Each page is served by a plain HTTP server on its own port of 127.0.0.1, so it is a different
// origin from the motia server it fetches from: the browser sends real preflights and enforces
// the answers. A check is {page, url, method?, headers?, body?, credentials?}; prints one line,
// RESULT followed by the JSON list of outcomes: {ok: true, status, body, traceId} or {ok: false, error}.
import { createServer } from 'node:http'
import { chromium } from 'playwright-core'

const executablePath = process.argv[2]
const spec = JSON.parse(process.argv[3])

const pageHtml = '<!doctype html><meta charset="utf-8"><title>cors test page</title><p>cors test page</p>'
const servers = []
for (const port of Object.values(spec.pages)) {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    res.end(pageHtml)
  })
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve))
  servers.push(server)
}

const browser = await chromium.launch({
  executablePath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
})
const outcomes = []
try {
  const pages = {}
  for (const [name, port] of Object.entries(spec.pages)) {
    const page = await browser.newPage()
    page.on('console', (message) => console.error(`[${name} ${message.type()}] ${message.text()}`))
    await page.goto(`http://127.0.0.1:${port}/`)
    pages[name] = page
  }
  for (const check of spec.checks) {
    outcomes.push(
      await pages[check.page].evaluate(async ({ url, method, headers, body, credentials }) => {
        try {
          const response = await fetch(url, { method: method ?? 'GET', headers, body, credentials: credentials ?? 'same-origin' })
          return { ok: true, status: response.status, body: await response.text(), traceId: response.headers.get('x-trace-id') }
        } catch (error) {
          return { ok: false, error: String(error) }
        }
      }, check),
    )
  }
} finally {
  await browser.close()
  for (const server of servers) server.close()
}
console.log(`RESULT ${JSON.stringify(outcomes)}`)
