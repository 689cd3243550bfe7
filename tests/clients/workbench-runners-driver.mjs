// The Runners panel, in headless Chromium, for tests/test_attached_runners.py:
//   node workbench-runners-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR RUNNERS
// Opens the panel once it lists RUNNERS runners; prints RESULT and the JSON of what it saw: each
// runner's row, its cells by their column's heading (runners: id -> heading -> text).
import { drive, openWorkbench } from './workbench-page.mjs'

const [executablePath, base, outDir, count] = process.argv.slice(2)
const result = {}

await drive(executablePath, result, async (page) => {
  await openWorkbench(page, base, 'runners')
  await page.waitForFunction((n) => document.querySelectorAll('[data-runner]').length === n, Number(count), { timeout: 20000 })
  // whose runners the panel says these are (empty until the first read is shown)
  await page.waitForFunction(() => document.querySelector('[data-runners-of]')?.textContent, null, { timeout: 20000 })
  result.runnersOf = await page.$eval('[data-runners-of]', (p) => p.textContent)
  await page.screenshot({ path: `${outDir}/runners-${new URL(base).port}.png` })
  result.runners = await page.evaluate(() => {
    const headings = [...document.querySelectorAll('table[aria-label="runners"] th')].map((th) => th.textContent)
    const rows = [...document.querySelectorAll('[data-runner]')]
    return Object.fromEntries(rows.map((row) => [row.dataset.runner, Object.fromEntries([...row.children].map((cell, n) => [headings[n], cell.textContent]))]))
  })
})
