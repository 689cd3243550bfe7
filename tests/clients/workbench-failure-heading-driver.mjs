// A failed trace's failure heading, in headless Chromium, for tests/test_workbench.py:
//   node workbench-failure-heading-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR TRACE_ID
// Opens the trace and prints RESULT and the JSON of what it saw: { headings: the failure cards'
// headings, as their text }.
import { drive, openWorkbench } from './workbench-page.mjs'

const [executablePath, base, outDir, traceId] = process.argv.slice(2)
const result = {}

await drive(executablePath, result, async (page) => {
  await openWorkbench(page, base, 'traces', `#/traces/${traceId}`)
  await page.waitForSelector('[data-failure] h3', { timeout: 20000 })
  // the heading says it was dead-lettered once the trace's delivery outcome is read with it
  await page.waitForFunction(() => document.querySelector('[data-failure] h3').textContent.includes('dead-lettered'), null, { timeout: 20000 })
  result.headings = await page.$$eval('[data-failure] h3', (headings) => headings.map((h) => h.textContent))
  await page.screenshot({ path: `${outDir}/workbench-failure-heading.png` })
})
