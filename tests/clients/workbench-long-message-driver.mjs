// A log message of many lines in the trace page and the Logs panel, in headless Chromium, for
// tests/test_workbench_long_message.py:
//   node workbench-long-message-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR TRACE_ID
// Reads the line's row in the trace's table and in the Logs panel (filtered to the trace), as shown,
// then opens each and reads the whole message it shows. Prints RESULT and the JSON of what it saw.
import { drive, openWorkbench } from './workbench-page.mjs'

const [executablePath, base, outDir, traceId] = process.argv.slice(2)
const result = {}

await drive(executablePath, result, async (page) => {
  await openWorkbench(page, base, 'traces', `#/traces/${encodeURIComponent(traceId)}`)
  const row = page.locator('tr[data-event-row="log"]', { hasText: 'Search failed:' }).first()
  await row.waitFor({ timeout: 20000 })
  result.traceRow = await row.locator('td').nth(3).innerText()
  result.traceRowHeight = (await row.boundingBox()).height
  await row.click()
  result.traceWhole = await page.locator('[data-event-detail] [data-whole-message]').innerText()
  await page.screenshot({ path: `${outDir}/workbench-long-message-trace.png` })

  await openWorkbench(page, base, 'logs', `#/logs?traceId=${encodeURIComponent(traceId)}`)
  const line = page.locator('.logs .line', { has: page.locator('.message', { hasText: 'Search failed:' }) }).first()
  await line.waitFor({ timeout: 20000 })
  result.logLine = await line.locator('.message').innerText()
  await line.locator('.message').click()
  result.logWhole = await line.locator('.meta [data-whole-message]').innerText()
  const short = page.locator('.logs .line .message', { hasText: 'searching' }).first()
  result.shortLine = await short.innerText()
  await page.screenshot({ path: `${outDir}/workbench-long-message-logs.png` })
})
