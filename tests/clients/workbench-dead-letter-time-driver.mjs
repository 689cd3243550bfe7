// The Dead letters panel's rows, in headless Chromium, for tests/test_workbench.py:
//   node workbench-dead-letter-time-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR
// Opens the panel once a letter is listed and prints RESULT and the JSON of what it saw: the table's
// columns and, per letter, each cell by its column's name ({ id: { column: { text, title } } }).
import { drive, openWorkbench } from './workbench-page.mjs'

const [executablePath, base, outDir] = process.argv.slice(2)
const result = {}

await drive(executablePath, result, async (page) => {
  await openWorkbench(page, base, 'dead-letters')
  await page.waitForSelector('[data-dead-letter]', { timeout: 20000 })
  result.columns = await page.$$eval('table[aria-label="dead letters"] th', (cells) => cells.map((th) => th.textContent))
  result.rows = await page.$$eval('[data-dead-letter]', (rows) => {
    const columns = [...document.querySelectorAll('table[aria-label="dead letters"] th')].map((th) => th.textContent)
    return Object.fromEntries(
      rows.map((tr) => [tr.dataset.deadLetter, Object.fromEntries([...tr.cells].map((td, i) => [columns[i], { text: td.textContent, title: td.title }]))]),
    )
  })
  await page.screenshot({ path: `${outDir}/workbench-dead-letter-time.png` })
})
