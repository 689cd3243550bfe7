// The State panel's list of groups, in headless Chromium, for tests/test_workbench_state_groups.py:
//   node workbench-state-groups-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR
// Opens the State panel and prints RESULT and the JSON of what it saw: each group's entry in the list,
// { name (its data-group), text (what it shows, spaces and line breaks left out), clipped (whether
// its content is wider than the entry: cut at its edge) }.
import { drive, openWorkbench } from './workbench-page.mjs'

const [executablePath, base, outDir] = process.argv.slice(2)
const result = {}

await drive(executablePath, result, async (page) => {
  await openWorkbench(page, base, 'state')
  await page.waitForSelector('li[data-group]')
  result.groups = await page.$$eval('li[data-group]', (entries) =>
    entries.map((entry) => ({
      name: entry.dataset.group,
      text: entry.innerText.replace(/\s/g, ''),
      clipped: entry.scrollWidth > entry.clientWidth,
    })),
  )
  await page.screenshot({ path: `${outDir}/workbench-state-groups.png` })
})
