// A log line's stack in the Logs panel, in headless Chromium, for tests/test_workbench.py:
//   node workbench-log-stack-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR TRACE_ID MESSAGE_START
// Opens the panel filtered to the trace, clicks the line whose message starts with MESSAGE_START and
// prints RESULT and the JSON of what it saw: the stacks shown above the line's JSON, as their text.
import { drive, openWorkbench } from './workbench-page.mjs'

const [executablePath, base, outDir, traceId, start] = process.argv.slice(2)
const result = {}

await drive(executablePath, result, async (page) => {
  await openWorkbench(page, base, 'logs', `#/logs?traceId=${encodeURIComponent(traceId)}`)
  const line = page.locator('.logs .line', { has: page.locator('.message', { hasText: start }) }).first()
  await line.waitFor({ timeout: 20000 })
  await line.locator('.message').click()
  await line.locator('.meta').waitFor({ timeout: 10000 })
  result.stacks = await line.locator('[data-log-stack]').allTextContents()
  await page.screenshot({ path: `${outDir}/workbench-log-stack.png` })
})
