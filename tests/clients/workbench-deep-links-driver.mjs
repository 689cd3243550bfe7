// The Streams and State panels' addresses (#/streams/<stream>/<group>, #/state/<group>), in headless
// Chromium, for tests/test_workbench_deep_links.py:
//   node workbench-deep-links-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT GROUP
// GROUP is a group name with '/', a space, '%' and a non-ASCII letter, holding item (and state key)
// 'x' in stream 'pets', in a stream named GROUP too, and in the state; group 'abc' holds 'x' too. The app's POST /put
// { stream, group, id } sets an item and a state key. Each address is opened in a fresh page, as a
// link shared or a reload opens it; then clicks and Back. Prints RESULT and the JSON of what it saw.
import { drive, openPage, panelReady, timedFetch } from './workbench-page.mjs'

const [executablePath, base, group] = process.argv.slice(2)
const result = {}
const WAIT = { timeout: 20000 }
const encoded = encodeURIComponent(group)
const put = async (stream, inGroup, id) => {
  const answer = await timedFetch(`${base}/put`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ stream, group: inGroup, id }) })
  if (!answer.ok) throw new Error(`POST /put: ${answer.status}`)
}
// what the panel shows: its address, the stream and group (or state group) selected, the items or keys
const streamsView = (page) =>
  page.evaluate(() => ({
    hash: location.hash,
    stream: document.querySelector('[data-stream].selected')?.dataset.stream ?? null,
    group: document.querySelector('[data-stream-group].selected')?.dataset.streamGroup ?? null,
    heading: document.querySelector('[data-group-items] h3')?.textContent ?? null,
    items: [...document.querySelectorAll('[data-group-items] [data-item]')].map((item) => item.dataset.item),
  }))
const stateView = (page) =>
  page.evaluate(() => ({
    hash: location.hash,
    group: document.querySelector('[data-group].selected')?.dataset.group ?? null,
    title: document.querySelector('main .split > .card:last-child h3')?.textContent ?? null,
    keys: [...document.querySelectorAll('[data-key]')].map((row) => row.dataset.key),
  }))
const itemsAre = (page, wanted) =>
  page.waitForFunction((w) => [...document.querySelectorAll('[data-group-items] [data-item]')].map((i) => i.dataset.item).join() === w, wanted.join(), WAIT)
const hashIs = (page, wanted) => page.waitForFunction((w) => location.hash === w, wanted, WAIT)
const textOf = async (page, selector) => (await page.waitForSelector(selector, WAIT)).textContent()

await drive(executablePath, result, async (first) => {
  const browser = first.context().browser()
  const fresh = async (hash, panel) => {
    const page = await openPage(browser, result)
    await page.goto(`${base}/__motia/workbench${hash}`)
    await panelReady(page, panel)
    return page
  }

  // a stream's group, opened from its address: that stream and group, live
  let page = await fresh(`#/streams/pets/${encoded}`, 'streams')
  await itemsAre(page, ['x'])
  result.streamLink = await streamsView(page)
  await put('pets', group, 'y')
  await itemsAre(page, ['x', 'y'])
  result.streamLinkLive = (await streamsView(page)).items

  // clicks: the address follows; Back returns to each selection before
  await page.click('[data-stream-group="abc"]')
  await itemsAre(page, ['x'])
  await hashIs(page, '#/streams/pets/abc')
  result.clickedGroup = await streamsView(page)
  await page.click('[data-stream="notes"]')
  await hashIs(page, '#/streams/notes')
  await page.waitForSelector('[data-stream="notes"].selected', WAIT)
  result.clickedStream = await streamsView(page)
  await page.goBack()
  await page.waitForSelector('[data-stream-group="abc"].selected', WAIT)
  await itemsAre(page, ['x'])
  result.backToGroup = await streamsView(page)
  await page.goBack()
  await itemsAre(page, ['x', 'y'])
  result.backToFirst = await streamsView(page)
  await page.click(`[data-stream-group="${group}"]`) // the one shown: no new entry
  await page.click('[data-stream-group="abc"]')
  await hashIs(page, '#/streams/pets/abc')
  await page.click(`[data-stream-group="${group}"]`)
  await hashIs(page, `#/streams/pets/${encoded}`)
  await itemsAre(page, ['x', 'y'])
  result.clickedNamedGroup = await streamsView(page)

  // names the server does not know, said so by name
  page = await fresh('#/streams/nope', 'streams')
  result.unknownStream = await textOf(page, '[data-unknown-stream]')
  page = await fresh('#/streams/pets/no%20such', 'streams')
  result.unknownGroup = await textOf(page, '[data-unknown-group]')
  page = await fresh('#/streams', 'streams')
  await hashIs(page, '#/streams/notes')
  result.streamsBare = await streamsView(page)

  // a stream named as oddly as the group (GROUP too), opened from its address: its groups and items
  page = await fresh(`#/streams/${encoded}/${encoded}`, 'streams')
  await itemsAre(page, ['x'])
  result.oddStream = await streamsView(page)
  result.oddStreamGroups = await page.evaluate(() => [...document.querySelectorAll('[data-stream-group]')].map((g) => g.dataset.streamGroup))

  // the State panel's group, the same way
  page = await fresh(`#/state/${encoded}`, 'state')
  await page.waitForSelector('[data-key="x"]', WAIT)
  result.stateLink = await stateView(page)
  await page.click('[data-group="abc"]')
  await hashIs(page, '#/state/abc')
  await page.waitForFunction(() => document.querySelector('main .split > .card:last-child h3')?.textContent === 'abc', null, WAIT)
  result.stateClicked = await stateView(page)
  await page.goBack()
  await page.waitForFunction((g) => document.querySelector('main .split > .card:last-child h3')?.textContent === g, group, WAIT)
  result.stateBack = await stateView(page)
  page = await fresh('#/state/nope', 'state')
  result.unknownState = await textOf(page, '[data-unknown-group]:not([hidden])')
})
