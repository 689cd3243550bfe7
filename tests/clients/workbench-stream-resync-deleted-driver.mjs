// An item a request created and then deleted while the page followed its group, and the page's
// stream socket lost after, in headless Chromium, for tests/test_workbench_stream_resync.py:
//   node workbench-stream-resync-deleted-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR SIGNALS_DIR
// Sends POST /brief from the Endpoints panel: its trace goes on in an event step that waits for
// SIGNALS_DIR/create to set the notes stream's item board/brief, then for SIGNALS_DIR/delete to
// delete it. Once the answer follows the group, synced, writes each signal in turn, waiting for the
// item's create and then delete line; waits for the trace to be done. Then closes the server's side
// of the page's one stream socket (routed through Playwright) and waits for the socket to open again
// and its group to sync afresh; then POST /note/again sets board/n, and waits for its line. Prints RESULT and the JSON of what it saw: { lines: [{ kind, item,
// text }], sockets }.
import { writeFileSync } from 'node:fs'
import { drive, openWorkbench, timedFetch } from './workbench-page.mjs'

const [executablePath, base, outDir, signals] = process.argv.slice(2)
const result = { sockets: 0, syncs: 0 }
const WAIT = { timeout: 20000 }

await drive(executablePath, result, async (page) => {
  let server = null // the server's side of the page's stream socket, as routed now
  await page.routeWebSocket((url) => url.pathname === '/', (ws) => {
    result.sockets++
    server = ws.connectToServer()
    server.onMessage((message) => {
      ws.send(message)
      if (JSON.parse(message).event?.type === 'sync') result.syncs++
    })
    ws.onMessage((message) => server.send(message))
  })
  await openWorkbench(page, base, 'endpoints')
  await page.click('[data-endpoint="POST /brief"]')
  await page.click('form[aria-label="request"] button[type="submit"]')
  const list = '.response [data-stream-updates]'
  await page.waitForSelector(list, WAIT)
  await page.waitForFunction((s) => document.querySelector(s).dataset.rooms !== '0' && document.querySelector(s).dataset.synced === document.querySelector(s).dataset.rooms, list, WAIT)
  for (const kind of ['create', 'delete']) {
    writeFileSync(`${signals}/${kind}`, '')
    await page.waitForSelector(`${list} [data-stream-event="${kind}"]`, WAIT)
  }
  await page.waitForFunction((s) => document.querySelector(s).dataset.following === 'done', list, WAIT)
  const syncsBefore = result.syncs
  server.close() // the page's side closes with it
  const deadline = Date.now() + 20000
  while (result.syncs === syncsBefore && Date.now() < deadline) await page.waitForTimeout(100)
  // an item another request sets in the group after that sync, on the same socket: once its line
  // shows, the sync before it has been drawn
  const again = await timedFetch(`${base}/note/again`, { method: 'POST' })
  if (!again.ok) throw new Error(`POST /note/again: ${again.status}`)
  await page.waitForSelector(`${list} .stream-line [data-item-id="n"]`, WAIT)
  result.lines = await page.$$eval(`${list} .stream-line:not([hidden])`, (lines) =>
    lines.map((line) => ({
      kind: line.dataset.streamEvent,
      item: line.querySelector('[data-item-id]').dataset.itemId,
      text: line.querySelector('.message').textContent,
    })),
  )
  await page.$eval(list, (shown) => shown.scrollIntoView())
  await page.screenshot({ path: `${outDir}/workbench-stream-resync-deleted.png` })
})
