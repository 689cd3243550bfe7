// A state value edited, then the edit cancelled, in headless Chromium, for tests/test_workbench.py:
//   node workbench-state-edit-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR GROUP KEY NEW_GROUP
// Opens GROUP in the State panel and KEY's Edit: whether every line of the value shows in the box
// (no scrolling inside it); then types over it and cancels; then opens NEW_GROUP, which the store
// does not have, and adds its first item. Prints RESULT and the JSON of what it saw: the box's rows
// and lines, the row once cancelled (its value shown, no box left), and the groups listed, the one
// selected and its keys once the item is added.
import { drive, openWorkbench } from './workbench-page.mjs'

const [executablePath, base, outDir, group, key, newGroup] = process.argv.slice(2)
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

  // a group the store does not have yet opened, and its first item added there
  await page.fill('input[aria-label="new group"]', newGroup)
  await page.click('form[aria-label="open a new group"] button')
  await page.waitForSelector(`[data-group="${newGroup}"].selected`)
  await page.fill('input[aria-label="new key"]', 'first')
  await page.fill('input[aria-label="new value"]', '{"seeded": true}')
  await page.click('form[aria-label="add a state item"] button[type="submit"]')
  await page.waitForSelector('[data-key="first"]')
  await page.waitForTimeout(3500) // a refresh of the groups, which the store now lists
  result.newGroup = await page.evaluate(() => ({
    groups: [...document.querySelectorAll('[data-group]')].map((entry) => entry.dataset.group),
    selected: document.querySelector('[data-group].selected')?.dataset.group,
    keys: [...document.querySelectorAll('[data-key]')].map((row) => row.dataset.key),
  }))
})
