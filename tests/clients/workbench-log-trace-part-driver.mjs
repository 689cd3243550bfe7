// The Logs panel's trace filter given a part of a trace's id, in headless Chromium, for
// tests/test_workbench.py:
//   node workbench-log-trace-part-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR PART...
// Opens the Logs panel and, for each PART, types it in the trace filter and, once the panel is live
// again, reads the lines shown (their traces and messages), the status beside the filters and
// whether the panel says no line matches. Prints RESULT and the JSON of what it saw:
// { PART: { traces, messages, status, noLines } }.
import { drive, openWorkbench } from './workbench-page.mjs'

const [executablePath, base, outDir, ...parts] = process.argv.slice(2)
const result = {}
const live = (page) =>
  page.waitForFunction(() => document.querySelector('[data-log-status]').textContent.startsWith('live'), null, { timeout: 20000 })

await drive(executablePath, result, async (page) => {
  await openWorkbench(page, base, 'logs')
  await live(page)
  for (const part of parts) {
    await page.fill('input[aria-label="trace id"]', part)
    await page.dispatchEvent('input[aria-label="trace id"]', 'change')
    await live(page)
    result[part] = await page.evaluate(() => ({
      traces: [...new Set([...document.querySelectorAll('.logs .line')].map((line) => line.querySelector('[data-trace-link]')?.dataset.traceLink ?? null))],
      messages: [...document.querySelectorAll('.logs .line .message')].map((message) => message.textContent),
      status: document.querySelector('[data-log-status]').textContent,
      noLines: !document.querySelector('[data-no-lines]').hidden,
    }))
  }
  await page.screenshot({ path: `${outDir}/workbench-log-trace-part.png` })
})
