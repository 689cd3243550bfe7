// The Traces panel's filter by the HTTP status a request was answered with, in headless Chromium, for
// tests/test_workbench.py:
//   node workbench-answered-filter-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR ID_4XX ID_4XX2 ID_2XX
// Opens the Traces panel, waits for the three traces' rows, then chooses "failed (4xx, 5xx)": reads
// the options offered, the rows listed (each one's HTTP status) and the address. Then opens the
// addresses #/traces?answered=404 (a code no option names) and #/traces?answered=1xx (no request
// answered so): what the filter shows and the rows or the line saying none matches. Prints RESULT and
// the JSON of what it saw: { options, failed: { rows: { id: status }, hash }, code: { value, label,
// rows }, none }.
import { drive, openWorkbench } from './workbench-page.mjs'

const [executablePath, base, outDir, ...ids] = process.argv.slice(2)
const result = {}
const filter = 'select[aria-label="answered"]'
const listed = (page) =>
  page.$$eval('tr[data-trace]', (rows) => Object.fromEntries(rows.map((row) => [row.dataset.trace, row.querySelector('[data-http-status]')?.textContent ?? null])))

await drive(executablePath, result, async (page) => {
  await openWorkbench(page, base, 'traces')
  for (const id of ids) await page.waitForSelector(`tr[data-trace="${id}"]`, { timeout: 20000 })
  result.options = await page.$$eval(`${filter} option`, (options) => options.map((option) => [option.value, option.textContent]))
  await page.selectOption(filter, '4xx,5xx')
  await page.waitForFunction((gone) => !document.querySelector(`tr[data-trace="${gone}"]`), ids[ids.length - 1], { timeout: 20000 })
  result.failed = { rows: await listed(page), hash: await page.evaluate(() => location.hash) }
  await page.screenshot({ path: `${outDir}/workbench-answered-filter.png` })

  await openWorkbench(page, base, 'traces', '#/traces?answered=404')
  await page.waitForSelector(`tr[data-trace="${ids[0]}"]`, { timeout: 20000 })
  result.code = {
    value: await page.$eval(filter, (select) => select.value),
    label: await page.$eval(filter, (select) => select.selectedOptions[0].textContent),
    rows: await listed(page),
  }
  await openWorkbench(page, base, 'traces', '#/traces?answered=1xx')
  await page.waitForSelector('[data-no-traces]', { timeout: 20000 })
  result.none = await page.textContent('[data-no-traces]')
})
