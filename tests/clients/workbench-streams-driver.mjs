// The Streams panel following what changes in streams other than the one shown, and a group whose
// items go, in headless Chromium, for tests/test_workbench.py:
//   node workbench-streams-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR
// The app's POST and DELETE /workbench/live/:item (?group=, ?stream=) set and delete stream items.
// Prints RESULT and the JSON of what it saw.
import { drive, openWorkbench, timedFetch } from './workbench-page.mjs'

const [executablePath, base, outDir] = process.argv.slice(2)
const result = {}
const WAIT = { timeout: 20000 }
const live = async (method, item, group, stream = 'petCreation') => {
  const answer = await timedFetch(`${base}/workbench/live/${item}?group=${group}&stream=${stream}`, { method })
  if (!answer.ok) throw new Error(`${method} /workbench/live/${item}: ${answer.status}`)
}
const countOf = (page, stream) => page.textContent(`[data-stream="${stream}"] .muted`)
const itemsShown = (page) => page.$$eval('[data-group-items] [data-item]', (items) => items.map((item) => item.dataset.item))

await drive(executablePath, result, async (page) => {
  // a group added to a stream other than the one shown: that stream's count in the list follows
  await openWorkbench(page, base, 'streams')
  await page.waitForSelector('[data-stream="petCreation"].selected', WAIT)
  const before = await countOf(page, 'workbenchBoard')
  await live('POST', 'note', `board-${Date.now()}`, 'workbenchBoard')
  await page
    .waitForFunction((text) => document.querySelector('[data-stream="workbenchBoard"] .muted').textContent !== text, before, { timeout: 8000 })
    .catch(() => null) // not followed: the count read as the panel opened stays
  result.otherStream = { before, after: await countOf(page, 'workbenchBoard') }

  // the chosen group's items all deleted while its live stream missed it (held here, as while it
  // reconnects): the groups' refresh sees the group gone and the view says so; an item added to the
  // group again is shown the same way
  const group = `gone-${Date.now()}`
  await live('POST', 'x', group)
  await page.waitForSelector(`[data-stream-group="${group}"]`, WAIT)
  const held = []
  await page.route((url) => url.pathname === `/__motia/sse/petCreation/${group}`, (route) => held.push(route))
  await page.click(`[data-stream-group="${group}"]`)
  await page.waitForSelector('[data-group-items] [data-item="x"]', WAIT)
  await live('DELETE', 'x', group)
  await page.waitForSelector(`[data-stream-group="${group}"]`, { state: 'detached', ...WAIT })
  const gone = await page.waitForSelector(`[data-group-gone="${group}"]`, { timeout: 8000 }).catch(() => null)
  result.groupGone = { shown: gone ? await gone.textContent() : null, items: await itemsShown(page), heldStreams: held.length }
  await page.screenshot({ path: `${outDir}/workbench-streams-group-gone.png` })
  await live('POST', 'y', group)
  await page.waitForSelector('[data-group-items] [data-item="y"]', { timeout: 8000 }).catch(() => null)
  result.groupBack = await itemsShown(page)
})
