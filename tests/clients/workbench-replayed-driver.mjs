// A trace whose step was dead-lettered then replayed, in headless Chromium, for
// tests/test_workbench_replayed.py:
//   node workbench-replayed-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR TRACE_ID
// Opens the trace and prints RESULT and the JSON of what it saw: { failures: the failure cards'
// headings, spans: each span's label ({ step, status, attempt: its #N or null, replayed }) }.
import { drive, openWorkbench } from './workbench-page.mjs'

const [executablePath, base, outDir, traceId] = process.argv.slice(2)
const result = {}

await drive(executablePath, result, async (page) => {
  await openWorkbench(page, base, 'traces', `#/traces/${traceId}`)
  await page.waitForSelector('[data-failure] h3')
  await page.waitForSelector('[data-span-label] [data-replayed]')
  result.failures = await page.$$eval('[data-failure] h3', (headings) => headings.map((h) => h.textContent))
  result.spans = await page.$$eval('[data-span-label]', (labels) =>
    labels.map((label) => ({
      step: label.dataset.spanLabel,
      status: label.querySelector('.badge')?.textContent ?? null,
      attempt: [...label.querySelectorAll('.attempt')].find((a) => a.textContent.startsWith('#'))?.textContent ?? null,
      replayed: label.querySelector('[data-replayed]') !== null,
    })),
  )
  await page.screenshot({ path: `${outDir}/workbench-replayed.png` })
})
