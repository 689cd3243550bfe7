// A flow some of whose step files do not load, in headless Chromium, for
// tests/test_workbench_load_problems.py:
//   node workbench-flow-load-problems-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR FLOW WAIT_FOR
// Opens the Flows panel on FLOW and waits for WAIT_FOR (a selector: the list of files that did not
// load, or a step drawn as failing to load). Prints RESULT and the JSON of what it saw: the steps
// drawn (name, whether marked failing, their line under the name), the files listed as not loaded
// (file, error, the fix shown under it or null), and for each step marked failing, clicked, the error
// its detail shows and the fix under it (or null).
import { drive, openWorkbench } from './workbench-page.mjs'

const [executablePath, base, outDir, flow, waitFor] = process.argv.slice(2)
const result = {}

await drive(executablePath, result, async (page) => {
  await openWorkbench(page, base, 'flows', `#/flows/${encodeURIComponent(flow)}`)
  await page.waitForSelector(waitFor, { timeout: 20000 })
  result.nodes = await page.$$eval('.diagram .node', (nodes) =>
    nodes.map((node) => ({ step: node.dataset.step, failing: node.classList.contains('failing'), sub: node.querySelector('.sub').textContent })),
  )
  result.listed = await page.$$eval('[data-load-problem]', (items) =>
    items.map((item) => ({ file: item.dataset.loadProblem, error: item.querySelector('pre').textContent, fix: item.querySelector('[data-load-fix]')?.textContent ?? null })),
  )
  result.clicked = {}
  for (const step of result.nodes.filter((node) => node.failing).map((node) => node.step)) {
    await page.click(`.diagram .node[data-step="${step}"]`)
    await page.waitForSelector(`[data-step-load-error="${step}"]`, { timeout: 10000 })
    const fix = await page.$(`[data-load-fix="${step}"]`)
    result.clicked[step] = { error: await page.textContent(`[data-step-load-error="${step}"]`), fix: fix && (await fix.textContent()) }
  }
  await page.screenshot({ path: `${outDir}/workbench-flow-load-problems.png` })
})
