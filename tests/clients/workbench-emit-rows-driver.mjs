// A trace's emit operations as the Workbench lists them, in headless Chromium, for
// tests/test_project_loading.py:
//   node workbench-emit-rows-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR TRACE_ID
// Opens the trace and reads the summary of each emit row in its operations. Prints RESULT and the JSON
// of what it saw: { emits: [summary, ...] }.
import { drive, openWorkbench } from './workbench-page.mjs'

const [executablePath, base, outDir, traceId] = process.argv.slice(2)
const result = {}

await drive(executablePath, result, async (page) => {
  await openWorkbench(page, base, 'traces', `#/traces/${traceId}`)
  await page.waitForSelector('[data-event-row="emit"]', { timeout: 20000 })
  result.emits = await page.$$eval('[data-event-row="emit"]', (rows) => rows.map((row) => row.cells[3].textContent))
  await page.screenshot({ path: `${outDir}/workbench-emit-rows.png` })
})
