// A page's one-time routes (page.route with { times: 1 }) one after another, as the drivers set them,
// in headless Chromium, for tests/test_workbench.py:
//   node workbench-routes-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR ROUNDS
// On the Workbench (its panels polling meanwhile), ROUNDS times: a route answers the next request of a
// path with its round's number, once, and the page fetches that path as soon as the route is set, the
// next round's route set as soon as the page has the answer. Prints RESULT and the JSON of what it
// saw: the answers that were not the route's (the server's 404, the round and its status).
import { drive, openWorkbench, path } from './workbench-page.mjs'

const [executablePath, base, , rounds] = process.argv.slice(2)
const result = { missed: [] }
const ROUTED = '/__motia/workbench/routed'

await drive(executablePath, result, async (page) => {
  await openWorkbench(page, base, 'runners')
  for (let round = 0; round < Number(rounds); round++) {
    await page.route(path(ROUTED), (route) => route.fulfill({ status: 200, body: String(round) }), { times: 1 })
    const answer = await page.evaluate(async (url) => {
      const response = await fetch(url)
      return { status: response.status, body: await response.text() }
    }, ROUTED)
    if (answer.body !== String(round)) result.missed.push({ round, status: answer.status })
  }
})
