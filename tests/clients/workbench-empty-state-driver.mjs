// The State panel of an app whose steps have stored nothing yet, in headless Chromium, for
// tests/test_workbench.py:
//   node workbench-empty-state-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR GROUP
// Opens the State panel, reads what its items card (beside the groups) shows, opens GROUP with the
// new-group form and reads the card again. Prints RESULT and the JSON of what it saw, with the
// console's errors: { empty: { card }, opened: { card } } (the card's visible text each time).
import { drive, openWorkbench } from './workbench-page.mjs'

const [executablePath, base, outDir, group] = process.argv.slice(2)
const result = {}
const itemsCard = (page) => page.$eval('main .split > .card:last-child', (card) => card.innerText.trim())

await drive(executablePath, result, async (page) => {
  await openWorkbench(page, base, 'state')
  await page.waitForSelector('[aria-label="state groups"] li')
  result.empty = { card: await itemsCard(page) }
  await page.screenshot({ path: `${outDir}/workbench-state-empty.png` })
  await page.fill('input[aria-label="new group"]', group)
  await page.click('form[aria-label="open a new group"] button[type="submit"]')
  await page.waitForFunction((name) => document.querySelector('main .split > .card:last-child h3')?.textContent === name, group, { timeout: 20000 })
  result.opened = { card: await itemsCard(page) }
})
