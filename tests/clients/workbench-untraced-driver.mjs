// The Workbench of a server that records no trace or log (tracing off), in headless Chromium, for
// tests/test_workbench.py:
//   node workbench-untraced-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR
// Opens the Flows panel (the first one) and waits a few of its looks for traces to light its nodes,
// then the Traces and Logs panels, then sends POST /notes from the Endpoints panel (its answer a
// stream item); prints RESULT and the JSON of what it saw, with the console's errors.
import { drive, openWorkbench, panelReady } from './workbench-page.mjs'

const [executablePath, base] = process.argv.slice(2)
const result = { asked: [] }

await drive(executablePath, result, async (page) => {
  page.on('request', (request) => {
    const path = new URL(request.url()).pathname
    if (/^\/__motia\/(traces|logs)/.test(path)) result.asked.push(path)
  })
  await openWorkbench(page, base, 'flows', '')
  await page.waitForSelector('#health[data-health="ok"]', { timeout: 20000 })
  await page.waitForTimeout(3000) // the diagram looks for traces every second
  result.health = await page.textContent('#health')
  for (const panel of ['traces', 'logs']) {
    await page.evaluate((hash) => (location.hash = hash), `#/${panel}`)
    await panelReady(page, panel)
    result[panel] = await page.textContent('main .empty')
  }
  // the answer's stream item, followed with no trace to read
  await openWorkbench(page, base, 'endpoints')
  await page.click('[data-endpoint="POST /notes"]')
  await page.click('form[aria-label="request"] button[type="submit"]')
  await page.waitForSelector('.response [data-stream-event]', { timeout: 20000 })
  result.note = {
    kinds: await page.$$eval('.response [data-stream-event]:not([hidden])', (lines) => lines.map((line) => line.dataset.streamEvent)),
    following: await page.textContent('.response [data-following-text]'),
  }
})
