// The Logs' and Traces' text filters as a user types in them (no Enter, the focus kept in the field),
// in headless Chromium, for tests/test_workbench.py:
//   node workbench-typed-filters-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR TEXT
// TEXT: what no log line nor trace says. Prints RESULT and the JSON of what it saw: on each panel,
// the lines or rows shown once typing TEXT has paused, and what the panel says of them; a trace's
// duration of minutes as the Traces list shows it.
import { drive, openWorkbench } from './workbench-page.mjs'

const [executablePath, base, outDir, text] = process.argv.slice(2)
const result = {}
const WAIT = { timeout: 5000 }

await drive(executablePath, result, async (page) => {
  await openWorkbench(page, base, 'logs')
  await page.waitForSelector('.logs .line', { timeout: 20000 })
  await page.click('input[aria-label="text"]')
  await page.keyboard.type(text, { delay: 20 })
  const logsShown = await page.waitForSelector('[data-no-lines]:not([hidden])', WAIT).then(() => true, () => false)
  result.logs = {
    noLinesShown: logsShown,
    lines: await page.$$eval('.logs .line', (lines) => lines.length),
    focused: await page.evaluate(() => document.activeElement?.getAttribute('aria-label')),
    address: await page.evaluate(() => location.hash),
  }

  await openWorkbench(page, base, 'traces')
  await page.waitForSelector('[data-trace]', { timeout: 20000 })
  await page.click('input[aria-label="text"]')
  await page.keyboard.type(text, { delay: 20 })
  await page.waitForFunction(() => !document.querySelector('[data-trace]'), null, WAIT)
  result.traces = { shown: await page.textContent('main tbody') }
  await page.screenshot({ path: `${outDir}/workbench-typed-filters.png` })

  // a trace that went on for minutes (a letter replayed long after): its duration in minutes, the
  // list's first trace given 1,095,570 ms here
  await page.route((url) => url.pathname === '/__motia/traces', async (route) => {
    const listed = await (await route.fetch()).json()
    listed.traces[0].durationMs = 1095570
    await route.fulfill({ json: listed })
  })
  await openWorkbench(page, base, 'traces')
  result.longDuration = await page.textContent('[data-trace] td:nth-child(5)')
})
