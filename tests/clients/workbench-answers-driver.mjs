// The HTTP status a request's trace was answered with, in headless Chromium, for tests/test_workbench.py:
//   node workbench-answers-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR TRACE_ID...
// Opens the Traces panel and reads each TRACE_ID's row: its entry's text and the status shown in it
// (its text and whether it is marked failed); then opens the first TRACE_ID and reads the line under
// its heading; then each TRACE_ID's timeline: per span, its step, the badge shown and the HTTP status
// beside it. Prints RESULT and the JSON of what it saw: { rows: { id: { entry, status, failed } },
// summary, spans: { id: [{ step, badge, status, bar }] } }.
import { drive, openWorkbench } from './workbench-page.mjs'

const [executablePath, base, outDir, ...traceIds] = process.argv.slice(2)
const result = { rows: {} }

await drive(executablePath, result, async (page) => {
  await openWorkbench(page, base, 'traces')
  for (const id of traceIds) {
    await page.waitForSelector(`tr[data-trace="${id}"]`, { timeout: 20000 })
    result.rows[id] = await page.$eval(`tr[data-trace="${id}"]`, (row) => {
      const status = row.cells[1].querySelector('[data-http-status]')
      return { entry: row.cells[1].textContent, status: status?.textContent ?? null, failed: status?.classList.contains('failed') ?? null }
    })
  }
  await page.screenshot({ path: `${outDir}/workbench-answers.png` })
  await openWorkbench(page, base, 'traces', `#/traces/${traceIds[0]}`)
  await page.waitForSelector('h2 + p.muted', { timeout: 20000 })
  result.summary = await page.textContent('h2 + p.muted')
  result.spans = {}
  for (const id of traceIds) {
    await openWorkbench(page, base, 'traces', `#/traces/${id}`)
    await page.waitForSelector('[data-span-label]', { timeout: 20000 })
    result.spans[id] = await page.$$eval('[data-span-label]', (labels) =>
      labels.map((label, i) => ({
        step: label.dataset.spanLabel,
        badge: label.querySelector('.badge').textContent,
        status: label.querySelector('[data-http-status]')?.textContent ?? null,
        bar: document.querySelectorAll('[data-span]')[i].className,
      })),
    )
  }
})
