// The header's health line of a project some of whose files did not load, in headless Chromium, for
// tests/test_workbench_load_problems.py:
//   node workbench-load-problems-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR COUNT
// Opens the Flows panel and waits for the line to count COUNT files that did not load. Prints RESULT
// and the JSON of what it saw: the line's text and its tooltip (title).
import { drive, openWorkbench } from './workbench-page.mjs'

const [executablePath, base, outDir, count] = process.argv.slice(2)
const result = {}

await drive(executablePath, result, async (page) => {
  await openWorkbench(page, base, 'flows')
  await page.waitForSelector(`#health[data-health="ok"][data-problems="${count}"]`, { timeout: 20000 })
  result.line = await page.textContent('#health')
  result.title = await page.getAttribute('#health', 'title')
  await page.screenshot({ path: `${outDir}/workbench-load-problems-${count}.png` })
})
