// A request's stream item changed while the page's stream socket was lost, in headless Chromium, for
// tests/test_workbench_stream_resync.py:
//   node workbench-stream-resync-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR [PATH]
// Sends POST /note from the Endpoints panel (it sets the notes stream's item board/n to 'first') and
// waits for its answer to follow the group, synced, its trace read. Then the server's side of the
// page's one stream socket (routed through Playwright) is closed, as a server hot reload or a lost
// connection closes it, and POST /note/again sets the item to 'second' while no subscription has it
// (PATH: another request, POST /note/remove deleting it). The socket opens again (a moment later, the
// server healthy) and its subscriptions sync afresh: waits for the item's second line shown. Prints RESULT and the JSON of what it saw: { lostAt (ms: the
// socket closed, before the second write), lines: [{ kind, at, item, text, hidden, elsewhere }], sockets (the
// page's stream sockets opened), socketsBeforeLost }.
import { drive, openWorkbench, timedFetch } from './workbench-page.mjs'

const [executablePath, base, outDir, meanwhile = '/note/again'] = process.argv.slice(2)
const result = { sockets: 0 }
const WAIT = { timeout: 20000 }

await drive(executablePath, result, async (page) => {
  let server = null // the server's side of the page's stream socket, as routed now
  await page.routeWebSocket((url) => url.pathname === '/', (ws) => {
    result.sockets++
    server = ws.connectToServer() // (messages go both ways as they are)
  })
  await openWorkbench(page, base, 'endpoints')
  await page.click('[data-endpoint="POST /note"]')
  await page.click('form[aria-label="request"] button[type="submit"]')
  const list = '.response [data-stream-updates]'
  await page.waitForSelector(list, WAIT)
  await page.waitForFunction((s) => {
    const shown = document.querySelector(s)
    return shown.dataset.following === 'done' && shown.dataset.rooms !== '0' && shown.dataset.synced === shown.dataset.rooms
  }, list, WAIT)
  await page.waitForSelector(`${list} [data-stream-event="written"]`, WAIT)

  result.socketsBeforeLost = result.sockets
  result.lostAt = Date.now()
  server.close() // the page's side closes with it
  const again = await timedFetch(`${base}${meanwhile}`, { method: 'POST' })
  if (!again.ok) throw new Error(`POST ${meanwhile}: ${again.status}`)
  await page.waitForFunction((s) => [...document.querySelectorAll(`${s} .stream-line`)].filter((line) => !line.hidden && line.querySelector('[data-item-id]').dataset.itemId === 'n').length >= 2, list, WAIT)
  result.lines = await page.$$eval(`${list} .stream-line`, (lines) =>
    lines.map((line) => ({
      kind: line.dataset.streamEvent,
      at: Number(line.dataset.at),
      item: line.querySelector('[data-item-id]').dataset.itemId,
      text: line.querySelector('.message').textContent,
      hidden: line.hidden,
      elsewhere: line.classList.contains('elsewhere'), // (not by this request)
    })),
  )
  await page.$eval(list, (shown) => shown.scrollIntoView())
  await page.screenshot({ path: `${outDir}/workbench-stream-resync.png` })
})
