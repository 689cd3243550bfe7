// The Workbench's panels when a request fails, in headless Chromium, for tests/test_workbench.py:
//   node workbench-failures-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR LETTER_A LETTER_B
// Answers chosen requests with an error (page.route, failOnPurpose) or holds them, and reads what each
// panel shows: the server's message where the user acted, the rows kept, one request per double
// click. LETTER_A and LETTER_B are dead letters that fail again when replayed; the state groups
// wb-fail (keys a, b) and wb-other (key c) exist. Prints RESULT and the JSON of what it saw; an
// unhandled rejection lands in consoleErrors.
import { cancelledOnLeaving, cutOffOnPurpose, drive, failOnPurpose, failedOnPurpose, hold, openWorkbench, panelReady, path, shownAs, timedFetch } from './workbench-page.mjs'

const [executablePath, base, outDir, letterA, letterB] = process.argv.slice(2)
const result = {}
const down = (what) => ({ error: 'Internal Server Error', message: `the ${what} is down` })
const WAIT = { timeout: 20000 }
// the text of ``selector`` once it has one, read when it appears (a refresh may clear it next)
const textOnce = async (page, selector) =>
  (await page.waitForFunction((s) => document.querySelector(s)?.textContent || false, selector, WAIT)).jsonValue()
// Answers every request ``matches`` with a 500 and ``body`` until the function returned is called:
// where a refresh may start while a read is in flight, the read shown (the latest) fails too.
const failEvery = async (page, matches, body) => {
  let failing = true
  await page.route(matches, (route) => (failing ? failOnPurpose(route, 500, body) : route.fallback()))
  return () => (failing = false)
}
// once the page has had the answer to its next request ``matches`` (method GET)
const nextRead = (page, matches) =>
  page.waitForEvent('requestfinished', { predicate: (r) => r.method() === 'GET' && matches(new URL(r.url())), ...WAIT })
// Marks the page so that ``handled`` can tell when it has done with an answer: the body of each
// response, once read, is noted after the code awaiting it has run (a task after its promise's).
const noteBodiesRead = (page) =>
  page.evaluate(() => {
    window.bodiesRead = []
    const text = Response.prototype.text
    Response.prototype.text = function () {
      return text.call(this).then((body) => {
        setTimeout(() => window.bodiesRead.push(this.url))
        return body
      })
    }
  })
// once ``selector`` shows ``text``
const shows = (page, selector, text) =>
  page.waitForFunction(([s, t]) => document.querySelector(s)?.textContent === t, [selector, text], WAIT)
// Runs ``steps()`` while reads are held here (routes not answered yet; ``isHeld(request)`` tells
// them): a read held past the page's 10 s timeout on reads is cut, and the steps then prove nothing,
// so they fail at once, saying so, rather than on a wait that times out.
const whileHeld = async (page, isHeld, what, steps) => {
  const started = Date.now()
  let cutOff
  const cut = new Promise((resolve, reject) => {
    cutOff = (request) => isHeld(request) && reject(new Error(`${what}, held here, was cut by the page after ${Date.now() - started} ms`))
  })
  page.on('requestfailed', cutOff)
  try {
    return await Promise.race([steps(), cut])
  } finally {
    page.off('requestfailed', cutOff)
  }
}

await drive(executablePath, result, async (page) => {
  // ---- Dead letters
  await openWorkbench(page, base, 'dead-letters')
  const letterTrace = await page.$eval(`[data-dead-letter="${letterA}"] a`, (a) => a.getAttribute('href'))
  const replayOf = path(`/__motia/dead-letters/${letterA}/replay`)
  // a failed replay shows the server's message in its row, which stays
  await page.route(replayOf, (route) => failOnPurpose(route, 500, down('queue')), { times: 1 })
  await page.click(`[data-replay="${letterA}"]`)
  result.failedReplay = {
    shown: await textOnce(page, `[data-error-of="${letterA}"]`),
    message: await page.textContent('[data-message]'),
    rowKept: Boolean(await page.$(`[data-dead-letter="${letterA}"]`)),
  }
  // a failed purge too
  await page.route(path(`/__motia/dead-letters/${letterB}`), (route) => failOnPurpose(route, 500, down('queue')), { times: 1 })
  await page.click(`[data-purge="${letterB}"]`)
  result.failedPurge = { shown: await textOnce(page, `[data-error-of="${letterB}"]`), rowKept: Boolean(await page.$(`[data-dead-letter="${letterB}"]`)) }
  // and a failed replay-all above the table
  await page.route(path('/__motia/dead-letters/replay'), (route) => failOnPurpose(route, 500, down('queue')), { times: 1 })
  const before = await page.textContent('[data-message]')
  await page.click('[data-replay-all]')
  const replayAllShown = await page.waitForFunction((b) => document.querySelector('[data-message]').textContent !== b && document.querySelector('[data-message]').textContent, before, WAIT)
  result.failedReplayAll = await replayAllShown.jsonValue()
  // a failed refresh shows its error above the rows, which stay. The panel refreshes every 3 s: the
  // step waits for a refresh answered with the failure, then for the error line (a read in flight
  // meanwhile, answered or not, may show first: its own error, or none). What each list read got,
  // and when, and each text the error line had, say why should the error not show.
  const started = Date.now()
  const listReads = []
  const noteListRead = (response) => path('/__motia/dead-letters')(new URL(response.url())) && listReads.push([response.status(), Date.now() - started])
  page.on('response', noteListRead)
  await page.evaluate(() => {
    const line = document.querySelector('[data-load-error]')
    window.loadErrorTexts = []
    new MutationObserver(() => window.loadErrorTexts.push([line.textContent, Math.round(performance.now())])).observe(line, { childList: true, characterData: true, subtree: true })
  })
  const listBack = await failEvery(page, path('/__motia/dead-letters'), down('queue'))
  const failedRead = await page
    .waitForEvent('response', { predicate: (r) => path('/__motia/dead-letters')(new URL(r.url())) && r.status() === 500, timeout: 30000 })
    .then(() => true, () => false)
  const refreshShown = failedRead ? await shownAs(page, '[data-load-error]', 'Could not load: the queue is down') : 'no refresh was answered with the failure in 30 s'
  page.off('response', noteListRead)
  result.failedRefresh = {
    shown: refreshShown,
    reads: listReads,
    lineTexts: await page.evaluate(() => window.loadErrorTexts),
    rows: await page.$$eval('[data-dead-letter]', (rows) => rows.map((r) => r.dataset.deadLetter)),
  }
  listBack()

  // a double click replays once: the button is disabled while its request is held, also once a
  // refresh has been answered meanwhile (its row, unchanged, is the same element)
  const replays = []
  page.on('request', (request) => request.method() === 'POST' && replayOf(new URL(request.url())) && replays.push(request.url()))
  await page.click(`[data-inspect="${letterA}"]`)
  await page.waitForSelector(`[data-inspected="${letterA}"]`, WAIT)
  const heldReplay = (await hold(page, replayOf)).reached
  await page.$eval(`[data-replay="${letterA}"]`, (button) => (button.markedBefore = true))
  await page.dblclick(`[data-replay="${letterA}"]`)
  const replay = await heldReplay
  await nextRead(page, path('/__motia/dead-letters'))
  const button = await page.evaluate((id) => {
    const b = document.querySelector(`[data-replay="${id}"]`) // gone if a second click replayed it
    return b && { disabled: b.disabled, same: b.markedBefore === true }
  }, letterA)
  result.doubleClick = { replays, button }
  await replay.continue()
  // replayed, the letter leaves the list (it fails again as another letter)
  await page.waitForSelector(`[data-dead-letter="${letterA}"]`, { state: 'detached', ...WAIT })
  result.doubleClick.message = await page.textContent('[data-message]')
  result.doubleClick.inspectedLeft = await page.$$eval('[data-inspected]', (cards) => cards.length)
  // a replay of a letter already gone (purged elsewhere as the click goes out) answers 404: the
  // server's message is shown and the list, read again at once, no longer has it. On a page just
  // loaded, the refresh (every 3 s) is the only reader of the list: held, it reads nothing more, so
  // the read seen after the 404 is the replay's own.
  await openWorkbench(page, base, 'dead-letters')
  const listOf = path('/__motia/dead-letters')
  const heldRefresh = await (await hold(page, listOf)).reached
  const purgedFirst = async (route) => {
    const purged = await timedFetch(`${base}/__motia/dead-letters/${letterB}`, { method: 'DELETE' })
    if (!purged.ok) throw new Error(`DELETE dead letter ${letterB}: ${purged.status}`)
    failedOnPurpose.add(route.request().url()) // the browser's line for the 404
    await route.continue()
  }
  await page.route(path(`/__motia/dead-letters/${letterB}/replay`), purgedFirst, { times: 1 })
  let goneReplay = null
  const isGoneReplay = (r) => r.request().method() === 'POST' && r.url().endsWith(`/${letterB}/replay`)
  page.on('response', (r) => isGoneReplay(r) && (goneReplay = r))
  const reread = page.waitForRequest((r) => goneReplay !== null && r.method() === 'GET' && listOf(new URL(r.url())), WAIT)
  // the refresh let go as soon as the list is read again (a hold as short as can be)
  await whileHeld(page, (r) => r === heldRefresh.request(), 'the refresh of the dead letters', async () => {
    await page.click(`[data-replay="${letterB}"]`)
    await reread
  })
  await heldRefresh.continue()
  await page.waitForSelector(`[data-dead-letter="${letterB}"]`, { state: 'detached', ...WAIT })
  result.goneReplay = { status: goneReplay.status(), message: await page.textContent('[data-message]') }

  // ---- A trace, running: each refresh (every second) has one more log line. The elements shown stay
  // in place under the pointer, the bars and ticks moved to the new scale. The page follows the trace
  // by its row and reads it whole when the row's changes moved: both are answered running here, the
  // row changed at each read, the whole trace with as many more lines as the row was read.
  const letterTraceId = letterTrace.split('/').pop()
  const traceRead = (url) => url.pathname === `/__motia/traces/${letterTraceId}`
  const rowRead = (url) => url.pathname === '/__motia/traces' && url.searchParams.get('traceId') === letterTraceId
  let rowReads = 0
  const CHANGED = 1000 // more changes than the real trace's
  const running = async (route) => {
    const trace = await (await route.fetch()).json()
    const [span] = trace.spans
    const last = trace.events.at(-1)
    for (let n = 0; n < rowReads; n++) {
      trace.events.push({ ...last, id: last.id + 1 + n, type: 'log', level: 'info', message: `one more line ${n}`, spanId: span.spanId, step: span.step, time: last.time + 1 + n })
    }
    await route.fulfill({ json: { ...trace, status: 'running', updatedAt: Date.now(), changes: CHANGED + rowReads } })
  }
  const runningRow = async (route) => {
    const listing = await (await route.fetch()).json()
    rowReads++
    listing.traces = listing.traces.map((row) => ({ ...row, status: 'running', updatedAt: Date.now(), changes: CHANGED + rowReads }))
    await route.fulfill({ json: listing })
  }
  await page.route(traceRead, running)
  await page.route(rowRead, runningRow)
  await openWorkbench(page, base, 'traces', letterTrace)
  const kept = ['.gantt .bar', '.gantt .tick', '[data-event-row]', '[data-failure]', '[data-span-label]']
  await page.evaluate((selectors) => selectors.forEach((s) => (document.querySelector(s).markedBefore = true)), kept)
  const rowsBefore = await page.$$eval('[data-event-row]', (rows) => rows.length)
  await page.waitForFunction((n) => document.querySelectorAll('[data-event-row]').length >= n + 2, rowsBefore, WAIT)
  result.traceRefreshed = {
    kept: await page.evaluate((selectors) => selectors.map((s) => document.querySelector(s).markedBefore === true), kept),
    added: (await page.$$eval('[data-event-row]', (rows) => rows.length)) - rowsBefore,
    ticks: await page.$$eval('.gantt .tick', (ticks) => ticks.length),
  }
  await page.click('.gantt .bar')
  result.traceRefreshed.selected = await page.textContent('[data-selected] h3')
  // written on by a supervisor of an earlier version (a rolling upgrade, on Redis), whose batches
  // move the row's updatedAt but not its changes: the trace is read whole all the same, each read
  // with as many more lines as the row was read (the first of these reads, as its changes moved
  // from those above, has one line at most: the third line shows only if later reads followed)
  const FROZEN = CHANGED + 1000 // more changes than the reads above made
  const UPDATED = Date.now()
  let olderReads = 0
  const olderRow = async (route) => {
    const listing = await (await route.fetch()).json()
    olderReads++
    listing.traces = listing.traces.map((row) => ({ ...row, status: 'running', updatedAt: UPDATED + olderReads, changes: FROZEN }))
    await route.fulfill({ json: listing })
  }
  const olderWhole = async (route) => {
    const trace = await (await route.fetch()).json()
    const [span] = trace.spans
    const last = trace.events.at(-1)
    for (let n = 0; n < olderReads; n++) {
      trace.events.push({ ...last, id: last.id + 1 + n, type: 'log', level: 'info', message: `older line ${n}`, spanId: span.spanId, step: span.step, time: last.time + 1 + n })
    }
    await route.fulfill({ json: { ...trace, status: 'running', updatedAt: UPDATED + olderReads, changes: FROZEN } })
  }
  await page.route(traceRead, olderWhole)
  await page.route(rowRead, olderRow)
  await page.unroute(rowRead, runningRow)
  await page.unroute(traceRead, running)
  const olderLine = (text) => [...document.querySelectorAll('[data-event-row]')].some((row) => row.textContent.includes(text))
  result.traceRefreshed.olderSupervisor = await page.waitForFunction(olderLine, 'older line 2', WAIT).then(() => true, () => `not shown after ${olderReads} reads of its row`)
  // a refresh that fails shows its error above the trace, which stays
  // (the next whole read, which the next row read makes, whether faked or the real one: its changes
  // are not those last read)
  await page.route(traceRead, (route) => failOnPurpose(route, 500, down('trace store')), { times: 1 })
  await page.unroute(rowRead, olderRow)
  await page.unroute(traceRead, olderWhole)
  result.traceRefreshed.failed = await shownAs(page, '[data-load-error="trace"]', 'Could not load: the trace store is down')

  // ---- State
  await openWorkbench(page, base, 'state')
  await noteBodiesRead(page)
  await page.click('[data-group="wb-fail"]')
  await page.waitForSelector('[data-key="a"]', WAIT)
  // a group whose read fails shows the error under its name, and none of the other group's rows
  const itemsOf = (group) => (url) => url.pathname === '/__motia/state/items' && url.searchParams.get('groupId') === group
  const otherBack = await failEvery(page, itemsOf('wb-other'), down('state store'))
  await page.click('[data-group="wb-other"]')
  const groupShown = (wanted) => {
    const shown = document.querySelector('[data-load-error="items"]').textContent
    const rows = [...document.querySelectorAll('[data-key]')].map((r) => r.dataset.key)
    return (wanted === null || shown === wanted) && { shown, title: document.querySelector('main h3').textContent, rows }
  }
  // (what it shows if never the failure)
  const failedGroup = await page.waitForFunction(groupShown, 'Could not load: the state store is down', WAIT).catch(() => page.evaluateHandle(groupShown, null))
  result.failedGroup = await failedGroup.jsonValue()
  otherBack()
  // a Save whose reading back fails shows the error; the next refresh shows the value saved
  await page.click('[data-group="wb-fail"]')
  await page.waitForSelector('[data-key="a"]', WAIT)
  await page.click('[data-edit="a"]')
  await page.fill('[data-value-of="a"]', '5')
  const failBack = await failEvery(page, itemsOf('wb-fail'), down('state store'))
  await page.click('[data-save="a"]')
  result.failedReload = await shownAs(page, '[data-load-error="items"]', 'Could not load: the state store is down')
  failBack()
  await shows(page, '[data-key="a"] pre', '5')
  // while another group is being read (its reads held), a row shown still deletes from its own
  // group; those reads, answered with a failure after a later choice was shown, show nothing
  const heldOthers = []
  let reachedOther
  const otherReached = new Promise((resolve) => (reachedOther = resolve))
  const holdOther = (route) => {
    heldOthers.push(route)
    reachedOther()
  }
  const otherItems = itemsOf('wb-other')
  await page.route(otherItems, holdOther)
  await page.click('[data-group="wb-other"]')
  await otherReached
  const isHeldOther = (request) => heldOthers.some((route) => route.request() === request)
  await whileHeld(page, isHeldOther, "the other group's reads", async () => {
    const deleting = page.waitForRequest((r) => r.method() === 'DELETE', WAIT)
    await page.click('[data-delete="b"]')
    await page.click('[data-confirm-delete="b"]')
    result.deletedFrom = new URL((await deleting).url()).searchParams.get('groupId')
    await page.click('[data-group="wb-fail"]')
    await page.waitForSelector('[data-key="b"]', { state: 'detached', ...WAIT })
    for (const route of heldOthers) await failOnPurpose(route, 500, down('state store'))
  })
  await page.unroute(otherItems, holdOther)
  // what the page shows once it has done with those answers
  const staleShown = await page.waitForFunction(
    ([url, count]) =>
      window.bodiesRead.filter((read) => read === url).length >= count && {
        shown: document.querySelector('[data-load-error="items"]').textContent,
        title: document.querySelector('main h3').textContent,
      },
    [heldOthers[0].request().url(), heldOthers.length],
    WAIT,
  )
  result.staleFailure = await staleShown.jsonValue()
  // a double click on Delete only asks (its second click, on what took Delete's place, answers
  // nothing), one on its Yes
  // deletes once (a second request would answer 404 and show it)
  const deletes = []
  const isDeleteOfA = (r) => r.method() === 'DELETE' && new URL(r.url()).searchParams.get('key') === 'a'
  page.on('request', (r) => isDeleteOfA(r) && deletes.push(r.url()))
  await page.dblclick('[data-delete="a"]')
  await page.dblclick('[data-confirm-delete="a"]')
  await page.waitForSelector('[data-key="a"]', { state: 'detached', ...WAIT })
  result.deletesForDoubleClick = deletes.length

  // ---- Endpoints: a request whose trace cannot be read for the streams it writes to says so under
  // its answer, until a read of it succeeds
  await openWorkbench(page, base, 'endpoints')
  await page.click('[data-endpoint="GET /ts/pets"]')
  const anyTraceRead = (url) => url.pathname.startsWith('/__motia/traces/')
  await page.route(anyTraceRead, (route) => failOnPurpose(route, 500, down('trace store')), { times: 1 })
  await page.click('form[aria-label="request"] button[type="submit"]')
  result.failedStreams = await textOnce(page, '[data-streams-error]:not([hidden])')
  await page.waitForSelector('[data-streams-error][hidden]', { state: 'attached', ...WAIT })
  // a request to the endpoint still in flight (held here) is cancelled when the panel is left
  const send = () => page.click('form[aria-label="request"] button[type="submit"]')
  result.leftWhileRequesting = await cancelledOnLeaving(page, path('/ts/pets'), send, () => page.evaluate(() => (location.hash = '#/runners')))
  await panelReady(page, 'runners')

  // ---- Streams: an item created in the group shown leaves the items shown (and a selection) in place
  const setLive = async (item, group = 'workbench-live') => {
    const answer = await timedFetch(`${base}/workbench/live/${item}?group=${group}`, { method: 'POST' })
    if (!answer.ok) throw new Error(`POST /workbench/live/${item}: ${answer.status}`)
  }
  await setLive('first')
  await openWorkbench(page, base, 'streams')
  if (!(await page.$('[data-stream="petCreation"].selected'))) {
    await page.click('[data-stream="petCreation"]')
    await page.waitForSelector('[data-stream="petCreation"].selected', WAIT)
  }
  await page.click('[data-stream-group="workbench-live"]')
  await page.waitForSelector('[data-item="first"]', WAIT)
  await page.evaluate(() => {
    const item = document.querySelector('[data-item="first"]')
    item.markedBefore = true
    const range = document.createRange()
    range.selectNodeContents(item.querySelector('pre'))
    getSelection().removeAllRanges()
    getSelection().addRange(range)
  })
  await setLive('second')
  await page.waitForSelector('[data-item="second"]', WAIT)
  result.streamItems = await page.evaluate(() => {
    const item = document.querySelector('[data-item="first"]')
    return { same: item.markedBefore === true, selected: getSelection().toString() !== '' && getSelection().toString() === item.querySelector('pre').textContent }
  })
  // the stream's groups are read again while a group is shown: the count of workbench-live (1 when
  // the panel opened) goes to 2 in its cell, a group created meanwhile appears; the rows stay in place
  const countOf = (group) => `[data-items-of="${group}"]`
  const liveRow = '[data-stream-group="workbench-live"]'
  await shows(page, countOf('workbench-live'), '2')
  await page.evaluate((s) => (document.querySelector(s).markedBefore = true), liveRow)
  const newGroup = 'workbench-new'
  await setLive('third')
  await setLive('one', newGroup)
  await page.waitForSelector(`[data-stream-group="${newGroup}"]`, WAIT)
  await shows(page, countOf('workbench-live'), '3')
  await page.waitForSelector('[data-group-items] [data-item="third"]', WAIT)
  result.streamGroups = await page.evaluate(
    ([row, group]) => ({
      same: document.querySelector(row).markedBefore === true,
      chosen: [...document.querySelectorAll('[data-stream-group].selected')].map((r) => r.dataset.streamGroup),
      newCount: document.querySelector(`[data-items-of="${group}"]`).textContent,
      listed: document.querySelector('[data-stream="petCreation"] .muted').textContent,
      rows: document.querySelectorAll('[data-stream-group]').length,
      items: [...document.querySelectorAll('[data-item]')].map((item) => item.dataset.item),
    }),
    [liveRow, newGroup],
  )
  // the group view replaced cancels its read: the new group's, held, when workbench-live is chosen
  const chooseNew = () => page.click(`[data-stream-group="${newGroup}"]`)
  result.streamGroups.replacedGroupRead = await cancelledOnLeaving(page, path(`/__motia/streams/petCreation/${newGroup}`), chooseNew, () => page.click(liveRow))
  await page.waitForSelector('[data-group-items] [data-item="third"]', WAIT)

  // ---- Logs: filters whose read fails show the error and no lines
  await openWorkbench(page, base, 'logs')
  await page.waitForSelector('.logs .line', WAIT)
  await page.route((url) => url.pathname === '/__motia/logs' && url.searchParams.get('q') === 'boom', (route) => failOnPurpose(route, 500, down('log store')), { times: 1 })
  await page.fill('input[aria-label="text"]', 'boom')
  await page.dispatchEvent('input[aria-label="text"]', 'change')
  result.failedLogs = { shown: await shownAs(page, '[data-log-status].error-text', 'Could not load: the log store is down'), lines: await page.$$eval('.logs .line', (lines) => lines.length) }

  // ---- Runners: a refresh keeps the text a user selected (a pid) while the uptime changes
  await openWorkbench(page, base, 'runners')
  const uptimeBefore = await page.evaluate(() => {
    const row = document.querySelector('[data-runner]')
    row.markedBefore = true
    const range = document.createRange()
    range.selectNodeContents(row.children[3])
    getSelection().removeAllRanges()
    getSelection().addRange(range)
    return row.children[6].textContent
  })
  await page.waitForFunction((before) => document.querySelector('[data-runner]').children[6].textContent !== before, uptimeBefore, WAIT)
  result.runnersRefreshed = await page.evaluate(() => {
    const row = document.querySelector('[data-runner]')
    return { same: row.markedBefore === true, selected: getSelection().toString() === row.children[3].textContent && getSelection().toString() !== '' }
  })
  result.runnersRefreshed.uptime = uptimeBefore
  // a failed refresh shows its error above the runners, which stay
  await page.route(path('/__motia/runners'), (route) => failOnPurpose(route, 500, down('supervisor')), { times: 1 })
  result.failedRunners = { shown: await shownAs(page, '[data-load-error="runners"]', 'Could not load: the supervisor is down'), rows: await page.$$eval('[data-runner]', (rows) => rows.length) }
  await page.waitForFunction(() => document.querySelector('[data-load-error="runners"]')?.textContent === '', null, WAIT)
  result.failedRunners.clearedBy = 'the next refresh'
  // a refresh that never answers (held here for good) fails as no answer, and the refreshes go on:
  // the next one, answered, clears its error
  const unanswered = await hold(page, path('/__motia/runners'))
  await unanswered.reached
  result.unansweredRunners = { shown: await shownAs(page, '[data-load-error="runners"]', 'Could not load: no answer in 10 s') }
  await page.waitForFunction(() => document.querySelector('[data-load-error="runners"]')?.textContent === '', null, WAIT)
  result.unansweredRunners.clearedBy = 'the next refresh'
  // ---- The server stops answering (every request to it cut off): the header's line, read again,
  // says so; the Runners panel's read that found it shows its error, and the panel reads no more
  // until the line sees the server answer again, then reads at once
  await page.waitForSelector('#health[data-health="ok"]', WAIT)
  const toServer = (url) => url.pathname.startsWith('/__motia/')
  const runnerReadsFailed = []
  const countRunnerRead = (request) => path('/__motia/runners')(new URL(request.url())) && runnerReadsFailed.push(request)
  page.on('requestfailed', countRunnerRead)
  await page.route(toServer, cutOffOnPurpose)
  await page.waitForSelector('#health[data-health="down"]', WAIT)
  const healthDown = await page.textContent('#health')
  await page.waitForTimeout(8000) // four refreshes of the panel's
  const whileDown = { runnerReadsFailed: runnerReadsFailed.length, shown: await page.textContent('[data-load-error="runners"]') }
  await page.unroute(toServer, cutOffOnPurpose)
  await page.waitForSelector('#health[data-health="ok"]', WAIT)
  await page.waitForFunction(() => document.querySelector('[data-load-error="runners"]')?.textContent === '', null, WAIT)
  page.off('requestfailed', countRunnerRead)
  result.health = { down: healthDown, back: await page.textContent('#health'), whileDown }
})
