// A state value edited, then the edit cancelled, in headless Chromium, for tests/test_workbench.py:
//   node workbench-state-edit-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR GROUP KEY
// Opens GROUP in the State panel and KEY's Edit: whether every line of the value shows in the box
// (no scrolling inside it); then types over it and cancels. Prints RESULT and the JSON of what it
// saw: the box's rows and lines, and the row once cancelled (its value shown, no box left).
import { drive, openWorkbench } from './workbench-page.mjs'

const [executablePath, base, outDir, group, key] = process.argv.slice(2)
const result = {}

await drive(executablePath, result, async (page) => {
  await openWorkbench(page, base, 'state')
  await page.click(`[data-group="${group}"]`)
  await page.click(`[data-edit="${key}"]`)
  const box = `[data-value-of="${key}"]`
  result.box = await page.$eval(box, (area) => ({
    lines: area.value.split('\n').length,
    rows: area.rows,
    scrolls: area.scrollHeight > area.clientHeight + 1,
  }))
  await page.screenshot({ path: `${outDir}/workbench-state-edit.png` })
  await page.fill(box, '{"typed": "and thought better of it"}')
  await page.click(`[data-cancel="${key}"]`)
  result.cancelled = await page.$eval(`[data-key="${key}"]`, (row) => ({
    box: row.querySelector('textarea') !== null,
    shown: JSON.parse(row.querySelector('pre.json').textContent),
  }))
})
