// Runs scenario.mjs with Motia's published browser client in headless Chromium:
//   node browser-driver.mjs http://127.0.0.1:PORT [/usr/bin/chromium]
// The page is served at the server's own origin by intercepting its URL in the browser, so the
// scenario's fetches to the api steps are same-origin and the WebSocket goes to the real server.
import { build } from 'esbuild'
import { chromium } from 'playwright-core'
import { fileURLToPath } from 'node:url'

const httpUrl = process.argv[2]
const executablePath = process.argv[3] ?? '/usr/bin/chromium'
const here = fileURLToPath(new URL('.', import.meta.url))

const bundle = await build({
  entryPoints: [`${here}/browser-entry.mjs`],
  bundle: true,
  write: false,
  format: 'iife',
  platform: 'browser',
  target: 'chrome120',
  logLevel: 'error',
})
const page_html = '<!doctype html><meta charset="utf-8"><title>motia stream client</title><script src="bundle.js"></script>'

const browser = await chromium.launch({
  executablePath,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    // The page is served by intercepting its URL, so it has no address space of its own: the
    // local-network checks would take it for a public page reaching into localhost.
    '--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests',
  ],
})
let status = 1
try {
  const page = await browser.newPage()
  page.on('console', (message) => console.log(`[browser ${message.type()}] ${message.text()}`))
  page.on('pageerror', (error) => console.log(`[browser error] ${error}`))
  await page.route(`${httpUrl}/__motia-test/**`, (route) => {
    const url = route.request().url()
    if (url.endsWith('/bundle.js')) {
      return route.fulfill({ contentType: 'text/javascript', body: bundle.outputFiles[0].text })
    }
    return route.fulfill({ contentType: 'text/html', body: page_html })
  })
  await page.goto(`${httpUrl}/__motia-test/page.html`)
  const outcome = await page.evaluate(() => window.runScenario())
  for (const line of outcome.lines) console.log(line)
  if (outcome.ok) {
    console.log(`RESULT ${JSON.stringify(outcome.result)}`)
    status = 0
  } else {
    console.error(`FAILED: ${outcome.error}`)
  }
} finally {
  await browser.close()
}
process.exit(status)
