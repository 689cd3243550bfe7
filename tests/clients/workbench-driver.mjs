// The Workbench in headless Chromium, for tests/test_workbench.py:
//   node workbench-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR
// Opens every panel of the running app, creates a pet from the Endpoints panel, follows its trace,
// filters the logs, sets a state value, replays a dead letter; saves one screenshot per panel in
// OUT_DIR and prints one line, RESULT followed by the JSON of what it saw (the test asserts on it).
import { cancelledOnLeaving, drive, failOnPurpose, openWorkbench, panelReady as ready, path, sendAndFollow, shownAs, timedFetch, wholeShot } from './workbench-page.mjs'

const [executablePath, base, outDir] = process.argv.slice(2)
const result = { panels: {}, shots: {} }
// a panel's shot for the README, its whole content shown; the window's size it was taken in, in result.shots
const shot = async (page, name) => (result.shots[name] = await wholeShot(page, `${outDir}/workbench-${name}.png`))
// once the trace ``id`` is no longer running (its workflow has gone through every step)
const traceDone = async (id) => {
  for (let tries = 0; tries < 300; tries++) {
    const answer = await timedFetch(`${base}/__motia/traces/${encodeURIComponent(id)}`)
    if (answer.ok && (await answer.json()).status !== 'running') return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`trace ${id} still running after 30 s`)
}
const open = async (page, hash, panel) => {
  await page.evaluate((h) => (location.hash = h), hash)
  await ready(page, panel)
}

await drive(executablePath, result, async (page) => {
  // the live streams (EventSources, the stream socket) the page has open: a panel closes its own
  // when another opens
  const live = new Set()
  const isLive = (request) => /^\/__motia\/(logs\/stream|sse\/)/.test(new URL(request.url()).pathname)
  page.on('request', (request) => isLive(request) && live.add(request))
  for (const ended of ['requestfinished', 'requestfailed']) page.on(ended, (request) => live.delete(request))
  page.on('websocket', (socket) => {
    live.add(socket)
    socket.on('close', () => live.delete(socket))
  })

  // Flows: every flow drawn, node types told apart, a click shows the step's config and file.
  await openWorkbench(page, base, 'flows', '')
  const flowIds = await page.$$eval('.flow-tabs a', (links) => links.map((a) => decodeURIComponent(a.getAttribute('href').split('/').pop())))
  result.panels.flows = {}
  for (const id of flowIds) {
    await open(page, `#/flows/${encodeURIComponent(id)}`, 'flows')
    result.panels.flows[id] = await page.evaluate(() => ({
      nodes: [...document.querySelectorAll('.node')].map((n) => ({ step: n.dataset.step, type: [...n.classList].find((c) => c.startsWith('type-')) })),
      edges: document.querySelectorAll('.edge').length,
      virtualEdges: document.querySelectorAll('.edge.virtual').length,
      conditionalEdges: [...document.querySelectorAll('.edge.conditional')].map((e) => ({ edge: e.dataset.edge, label: e.querySelector('text').textContent })),
      // edges that cross, as drawn: each path sampled into a polyline; edges that share a step do not count
      crossings: (() => {
        const lines = [...document.querySelectorAll('.edge')].map((e) => {
          const path = e.querySelector('path')
          const length = path.getTotalLength()
          const points = Array.from({ length: 33 }, (_, i) => path.getPointAtLength((length * i) / 32))
          return { ends: [e.dataset.source, e.dataset.target], points }
        })
        const cross = (p, q, r, s) => {
          const d = (a, b, c) => (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x)
          return d(p, q, r) * d(p, q, s) < 0 && d(r, s, p) * d(r, s, q) < 0
        }
        let count = 0
        for (let i = 0; i < lines.length; i++)
          for (let j = i + 1; j < lines.length; j++) {
            if (lines[i].ends.some((end) => lines[j].ends.includes(end))) continue
            const a = lines[i].points
            const b = lines[j].points
            if (a.some((p, k) => k && b.some((r, m) => m && cross(a[k - 1], p, b[m - 1], r)))) count++
          }
        return count
      })(),
      // edges drawn across a step they do not connect (in the diagram's own coordinates)
      edgesOverNodes: (() => {
        const boxes = [...document.querySelectorAll('.node')].map((n) => {
          const [, x, y] = n.getAttribute('transform').match(/translate\(([-\d.]+),([-\d.]+)\)/).map(Number)
          const r = n.querySelector('rect')
          return { step: n.dataset.step, x, y, w: Number(r.getAttribute('width')), h: Number(r.getAttribute('height')) }
        })
        let count = 0
        for (const e of document.querySelectorAll('.edge')) {
          const path = e.querySelector('path')
          const length = path.getTotalLength()
          const points = Array.from({ length: 65 }, (_, i) => path.getPointAtLength((length * i) / 64))
          for (const b of boxes) {
            if (b.step === e.dataset.source || b.step === e.dataset.target) continue
            if (points.some((p) => p.x > b.x && p.x < b.x + b.w && p.y > b.y && p.y < b.y + b.h)) count++
          }
        }
        return count
      })(),
      // the most steps side by side in one row
      widestRow: (() => {
        const rows = new Map()
        for (const n of document.querySelectorAll('.node')) {
          const y = n.getAttribute('transform').split(',')[1]
          rows.set(y, (rows.get(y) || 0) + 1)
        }
        return Math.max(0, ...rows.values())
      })(),
      // nodes must not overlap: the layout keeps them apart
      overlaps: (() => {
        const boxes = [...document.querySelectorAll('.node rect')].map((r) => r.getBoundingClientRect())
        let count = 0
        for (let i = 0; i < boxes.length; i++)
          for (let j = i + 1; j < boxes.length; j++) {
            const a = boxes[i]
            const b = boxes[j]
            if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) count++
          }
        return count
      })(),
    }))
  }
  await open(page, '#/flows/Workbench', 'flows')
  await shot(page, 'flows-conditional') // the test steps' flow: a conditional emit, a virtual edge
  await open(page, '#/flows/PetShelter', 'flows')
  await shot(page, 'flows-shelter') // the pet app's languages meeting: every desk's pets taken in
  await open(page, '#/flows/TsPetManagement', 'flows')
  await page.click('.node[data-step="TsCreatePet"]')
  result.panels.flowDetail = await page.textContent('[data-detail="TsCreatePet"]')
  // its schemas each under a heading of their own: an api step's body, an event step's input
  const schemasShown = () => page.$$eval('[data-detail] [data-schema]', (blocks) => Object.fromEntries(blocks.map((b) => [b.dataset.schema, JSON.parse(b.textContent)])))
  result.panels.flowSchemas = { TsCreatePet: await schemasShown() }
  await page.click('.node[data-step="TsAiProfileEnrichment"]')
  await page.waitForSelector('[data-detail="TsAiProfileEnrichment"]')
  result.panels.flowSchemas.TsAiProfileEnrichment = await schemasShown()
  await page.click('.node[data-step="TsCreatePet"]')
  await shot(page, 'flows')

  // Endpoints: create a pet from the request form.
  await open(page, '#/endpoints', 'endpoints')
  result.panels.endpoints = { count: await page.$$eval('[data-endpoint]', (items) => items.length) }
  // each endpoint's method, path and name shown whole: no text runs past its own box or the list's row
  result.panels.endpoints.cutOff = await page.$$eval('[data-endpoint]', (items) =>
    items
      .filter((item) =>
        [...item.querySelectorAll('span')]
          .filter((span) => !span.children.length)
          .some((span) => {
            const range = document.createRange()
            range.selectNodeContents(span)
            const text = range.getBoundingClientRect()
            const [row, own] = [item.getBoundingClientRect(), span.getBoundingClientRect()]
            return text.right > Math.min(row.right, own.right) + 0.5 || text.left < row.left - 0.5
          }),
      )
      .map((item) => item.textContent),
  )
  await page.click('[data-endpoint="POST /ts/pets"]')
  result.panels.endpoints.prefilled = await page.inputValue('textarea[name="body"]')
  await page.fill('textarea[name="body"]', JSON.stringify({ name: 'Luna', species: 'cat', ageMonths: 8 }))
  await page.click('form[aria-label="request"] button[type="submit"]')
  await page.waitForSelector('[data-status]', { timeout: 20000 })
  result.panels.endpoints.status = await page.getAttribute('[data-status]', 'data-status')
  result.panels.endpoints.body = await page.textContent('.response-body')
  const traceId = await page.getAttribute('[data-trace-link]', 'data-trace-link')
  result.traceId = traceId
  await page.waitForSelector('[data-stream-event]', { timeout: 20000 })
  await traceDone(traceId) // more updates arrive as the pet's workflow runs
  // the trace read until it settled: every stream's group it wrote to followed
  await page.waitForSelector('.response [data-stream-updates][data-following="done"]', { timeout: 20000 })
  result.panels.endpoints.streamEvents = await page.$$eval('[data-stream-event]', (lines) => lines.map((l) => l.dataset.streamEvent))
  result.panels.endpoints.following = await page.textContent('.response [data-following-text]')
  result.panels.endpoints.streamLines = await page.$$eval('.response [data-stream-event]', (lines) =>
    lines.map((line) => ({
      kind: line.dataset.streamEvent,
      stream: line.dataset.stream,
      group: line.dataset.group,
      id: line.querySelector('[data-item-id]').dataset.itemId,
      at: Number(line.dataset.at),
      shownAt: line.children[0].textContent,
      hidden: line.hidden,
      elsewhere: line.classList.contains('elsewhere'),
    })),
  )
  // a badge beside a message that wraps over many lines keeps its own height (it stretched with the row)
  result.panels.endpoints.tallestBadge = await page.$$eval('[data-stream-event] > .badge', (badges) =>
    Math.max(...badges.map((b) => b.getBoundingClientRect().height)))
  // where the endpoints' list ends, in the window it is scrolled in: the list is longer than one
  result.panels.endpoints.listEnds = await page.$eval('.endpoint-list', (list) => list.getBoundingClientRect().top + list.scrollHeight)
  await shot(page, 'endpoints')

  // An endpoint with a declared query parameter and a response schema
  await page.click('[data-endpoint="GET /workbench/query/:kind"]')
  await page.fill('[data-path-param="kind"]', 'cats')
  await page.fill('[data-query-param="limit"]', '5')
  await page.click('form[aria-label="request"] button[type="submit"]')
  await page.waitForSelector('.response [data-status]', { timeout: 20000 })
  result.panels.endpoints.query = {
    label: await page.textContent('[data-query-label="limit"] > span'),
    status: await page.getAttribute('.response [data-status]', 'data-status'),
    body: await page.textContent('.response .response-body'),
    schemas: await page.$$eval('.card h3', (titles) => titles.map((t) => t.textContent).filter((t) => t.endsWith('schema'))),
    responseSchema: await page.evaluate(() => [...document.querySelectorAll('.card h3')].find((t) => t.textContent === 'Response schema')?.nextElementSibling?.textContent),
  }

  // Each answer's stream updates are followed until another request is sent, another endpoint chosen
  // or the panel left, even when left while they are being set up: the page reads the streams'
  // names first, held here until the panel is left, which cancels that read (the live streams left
  // open are checked at the end).
  await page.click('[data-endpoint="GET /ts/pets"]')
  await sendAndFollow(page)
  // the pets listed are no stream item, and the request's trace wrote to no stream: none followed,
  // nothing shown, once its trace is read to its end
  await page.waitForSelector('.response [data-stream-updates][data-following="done"]', { timeout: 20000 })
  result.panels.endpoints.quietUpdates = await page.$$eval('.response [data-stream-event]', (lines) => lines.map((line) => line.textContent))
  result.panels.endpoints.quietFollowing = await page.textContent('.response [data-following-text]')
  result.panels.endpoints.quietRooms = await page.getAttribute('.response [data-stream-updates]', 'data-rooms')
  // An item the request deletes, before the page can subscribe to its group (which it learns from
  // the trace): no sync has it, no live update comes; its line is the delete the trace recorded.
  await timedFetch(`${base}/workbench/live/wb-gone?group=wb-deleted`, { method: 'POST' })
  await page.click('[data-endpoint="DELETE /workbench/live/:item"]')
  await page.fill('[data-path-param="item"]', 'wb-gone')
  await page.fill('input[name="query"]', 'group=wb-deleted')
  await sendAndFollow(page)
  await page.waitForSelector('.response [data-stream-updates][data-following="done"]', { timeout: 20000 })
  result.panels.endpoints.deleted = {
    traceId: await page.getAttribute('.response [data-trace-link]', 'data-trace-link'),
    lines: await page.$$eval('.response [data-stream-event]:not([hidden])', (lines) =>
      lines.map((line) => ({ kind: line.dataset.streamEvent, group: line.dataset.group, id: line.querySelector('[data-item-id]').dataset.itemId, at: Number(line.dataset.at) })),
    ),
  }
  // A request whose trace writes to a group long after it stopped running: its event step failed,
  // dead-lettered, and its letter is replayed (as from the CLI, or another tab) once the page has
  // read the trace to its end; the group is followed then.
  await page.click('[data-endpoint="POST /workbench/later"]')
  await sendAndFollow(page)
  const laterTrace = await page.getAttribute('.response [data-trace-link]', 'data-trace-link')
  await page.waitForSelector('.response [data-stream-updates][data-following="done"]', { timeout: 20000 })
  const listed = await (await timedFetch(`${base}/__motia/dead-letters`)).json()
  const laterLetter = listed.deadLetters.find((letter) => letter.traceId === laterTrace)
  if (!laterLetter) throw new Error(`no dead letter of trace ${laterTrace} once it settled: ${JSON.stringify(listed)}`)
  await timedFetch(`${base}/__motia/state/item?groupId=workbench&key=later`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: 'true' })
  const replayed = await timedFetch(`${base}/__motia/dead-letters/${laterLetter.id}/replay`, { method: 'POST' })
  if (!replayed.ok) throw new Error(`replaying ${laterLetter.id}: ${replayed.status} ${await replayed.text()}`)
  await page.waitForSelector(`.response [data-stream-event][data-group="later-${laterTrace}"]`, { timeout: 30000 })
  result.panels.endpoints.later = {
    traceId: laterTrace,
    followed: (await page.textContent('.response [data-following-text]')).match(/petCreation\/later-[^,;]*/)?.[0],
    lines: await page.$$eval('.response [data-stream-event]:not([hidden])', (lines) =>
      lines.map((line) => ({ kind: line.dataset.streamEvent, id: line.querySelector('[data-item-id]').dataset.itemId })),
    ),
  }
  await page.click('[data-endpoint="GET /ts/pets"]')
  await sendAndFollow(page)
  const send = () => page.click('form[aria-label="request"] button[type="submit"]')
  // (its trace's read, for the streams it writes to)
  const traceRead = Object.assign((url) => url.pathname.startsWith('/__motia/traces/'), { toString: () => '/__motia/traces/<id>' })
  result.panels.endpoints.leftWhileSettingUp = await cancelledOnLeaving(page, traceRead, send, () => open(page, '#/traces', 'traces'))

  // Traces: the list shows it; its timeline has spans in all three languages and their operations.
  // its row as done: the list's refreshes leave an unchanged row in place under the click
  await page.waitForSelector(`tr[data-trace="${traceId}"]:not([data-trace-status="running"])`, { timeout: 20000 })
  await shot(page, 'traces')
  result.panels.traces = { stepNames: await page.$$eval('select[aria-label="step"] option', (options) => options.map((option) => option.value).filter(Boolean)) }
  await page.click(`tr[data-trace="${traceId}"]`)
  await page.waitForFunction((id) => location.hash === `#/traces/${id}`, traceId, { timeout: 20000 })
  await ready(page, 'traces')
  // the trace was done before the panel read it: the timeline drawn first is the whole trace
  result.panels.trace = { status: await page.textContent('h2 .badge') }
  await page.waitForFunction(
    () => ['typescript', 'javascript', 'python'].every((lang) => document.querySelector(`.gantt .label .badge.${lang}`)),
    null,
    { timeout: 30000 },
  )
  Object.assign(result.panels.trace, await page.evaluate(() => ({
    spans: [...document.querySelectorAll('[data-span-label]')].map((l) => ({ step: l.dataset.spanLabel, text: l.textContent })),
    bars: document.querySelectorAll('.gantt .bar').length,
    ticks: [...new Set([...document.querySelectorAll('.gantt .tick')].map((t) => t.dataset.event))],
    eventRows: [...new Set([...document.querySelectorAll('[data-event-row]')].map((r) => r.dataset.eventRow))],
  })))
  await page.click('.gantt .bar')
  result.panels.trace.selected = await page.textContent('[data-selected]')
  await page.click('.gantt .tick.emit')
  result.panels.trace.selectedEvent = await page.textContent('[data-selected]')
  await shot(page, 'trace')

  // Logs: live tail, filtered by the trace; its id links back to the trace.
  await open(page, '#/logs', 'logs')
  await page.waitForSelector('.logs .line', { timeout: 20000 })
  await page.fill('input[aria-label="trace id"]', traceId)
  await page.dispatchEvent('input[aria-label="trace id"]', 'change')
  // every line shown is of the trace
  const filteredToTrace = () =>
    page.waitForFunction((id) => {
      const lines = [...document.querySelectorAll('.logs .line')]
      return lines.length > 0 && lines.every((line) => line.querySelector(`[data-trace-link="${id}"]`))
    }, traceId, { timeout: 20000 })
  await filteredToTrace()
  result.panels.logs = { lines: await page.$$eval('.logs .line .message', (ms) => ms.map((m) => m.textContent)) }
  await shot(page, 'logs')
  // the trace filter's field loses the focus to the link: the lines the click lands on stay
  const readsOnLeaving = []
  const recordRead = (request) => new URL(request.url()).pathname.startsWith('/__motia/logs') && readsOnLeaving.push(request.url())
  page.on('request', recordRead)
  await page.click(`.logs [data-trace-link="${traceId}"]`)
  await ready(page, 'traces')
  page.off('request', recordRead)
  result.panels.logs.readsOnLeaving = readsOnLeaving
  result.panels.logs.followedTo = await page.evaluate(() => location.hash)
  // Back from the trace: the lines as they were filtered (the filters are in the panel's address)
  await page.goBack()
  await ready(page, 'logs')
  await filteredToTrace()
  result.panels.logs.back = await page.evaluate(() => ({ hash: location.hash, filter: document.querySelector('input[aria-label="trace id"]').value }))
  // the step filter offers the steps' names; filters no line matches say so
  result.panels.logs.stepNames = await page.$$eval('input[aria-label="step"]', ([input]) => [...input.list.options].map((option) => option.value))
  await page.fill('input[aria-label="text"]', 'no line says this')
  await page.dispatchEvent('input[aria-label="text"]', 'change')
  await page.waitForSelector('[data-no-lines]:not([hidden])', { timeout: 20000 })
  result.panels.logs.noLines = { shown: await page.textContent('[data-no-lines]'), lines: await page.$$eval('.logs .line', (lines) => lines.length) }

  // State: set a value (the switch the doomed step waits for) and edit another.
  const putState = (key, value) =>
    timedFetch(`${base}/__motia/state/item?groupId=workbench&key=${key}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) })
  await putState('visits', 1)
  await open(page, '#/state', 'state')
  result.panels.state = { groups: await page.$$eval('[data-group]', (items) => items.map((i) => i.dataset.group)) }
  await page.click('[data-group="workbench"]')
  await page.waitForSelector('[data-key="fixed"]')
  await page.click('[data-edit="fixed"]')
  await page.fill('[data-value-of="fixed"]', 'true')
  await page.click('[data-save="fixed"]')
  await page.waitForFunction(() => document.querySelector('[data-key="fixed"] pre')?.textContent === 'true', null, { timeout: 10000 })
  await shot(page, 'state')
  // A refresh (every 3 s) leaves what the user is typing in the add form, and the rows and groups
  // that did not change, in place (marked before, checked after); a value changed meanwhile (from
  // outside, which tells the refresh has happened) is updated in its row.
  const marked = ['[data-key="fixed"]', '[data-key="visits"]', '[data-group="workbench"]']
  await page.waitForSelector(marked[1])
  await page.evaluate((selectors) => selectors.forEach((selector) => (document.querySelector(selector).markedBefore = true)), marked)
  await page.fill('input[aria-label="new key"]', 'typed')
  await page.fill('input[aria-label="new value"]', '{"by": "hand"}')
  await putState('visits', 2)
  await page.waitForFunction(() => document.querySelector('[data-key="visits"] pre')?.textContent === '2', null, { timeout: 10000 })
  const addInputs = () => page.$$eval('form:has([aria-label="new key"]) input', (inputs) => inputs.map((input) => input.value))
  result.panels.state.afterRefresh = {
    typed: await addInputs(),
    focused: await page.evaluate(() => document.activeElement?.getAttribute('aria-label')),
    kept: await page.evaluate((selectors) => selectors.map((selector) => document.querySelector(selector)?.markedBefore === true), marked),
  }
  await page.click('form:has([aria-label="new key"]) button[type="submit"]')
  await page.waitForSelector('[data-key="typed"]', { timeout: 10000 })
  result.panels.state.added = { value: JSON.parse(await page.textContent('[data-key="typed"] pre')), inputs: await addInputs() }
  // A Delete the server fails shows its error in the row, which stays; the next one goes through.
  await putState('gone', 'soon')
  await page.waitForSelector('[data-delete="gone"]', { timeout: 10000 })
  const isStateItem = (url) => url.pathname === '/__motia/state/item'
  const stateDown = { error: 'Internal Server Error', message: 'the state store is down' }
  await page.route(isStateItem, (route) => failOnPurpose(route, 500, stateDown), { times: 1 })
  await page.click('[data-delete="gone"]')
  await page.click('[data-confirm-delete="gone"]')
  await page.waitForFunction(() => document.querySelector('[data-error-of="gone"]')?.textContent, null, { timeout: 10000 })
  result.panels.state.failedDelete = { shown: await page.textContent('[data-error-of="gone"]'), rowKept: Boolean(await page.$('[data-key="gone"]')) }
  await page.click('[data-delete="gone"]')
  await page.click('[data-confirm-delete="gone"]')
  await page.waitForSelector('[data-key="gone"]', { state: 'detached', timeout: 10000 })

  // Dead letters: replay the one waiting; with the switch set it now goes through.
  await open(page, '#/dead-letters', 'dead-letters')
  const letters = await page.$$eval('[data-dead-letter]', (rows) => rows.map((r) => r.dataset.deadLetter))
  result.panels.deadLetters = { before: letters }
  await shot(page, 'dead-letters')
  // its trace shows the failure with the stack, at the user's line
  const failedTrace = await page.$eval(`[data-dead-letter="${letters[0]}"] a`, (a) => a.getAttribute('href'))
  await open(page, failedTrace, 'traces')
  await page.waitForSelector('[data-failure="WorkbenchDoomed"]', { timeout: 10000 })
  result.panels.deadLetters.failure = await page.textContent('[data-failure="WorkbenchDoomed"]')
  await shot(page, 'trace-failure')
  await open(page, '#/dead-letters', 'dead-letters')
  await page.click(`[data-replay="${letters[0]}"]`)
  await page.waitForFunction((id) => !document.querySelector(`[data-dead-letter="${id}"]`), letters[0], { timeout: 10000 })
  result.panels.deadLetters.after = await page.$$eval('[data-dead-letter]', (rows) => rows.map((r) => r.dataset.deadLetter))
  // the replay goes on in the letter's trace, linked from the message: it shows the step's new attempt
  await page.click('[data-message] [data-replayed-trace]')
  await ready(page, 'traces')
  await page.waitForFunction(() => {
    const labels = [...document.querySelectorAll('[data-span-label="WorkbenchDoomed"]')]
    return labels.length >= 2 && labels.every((label) => label.querySelector('.badge').textContent !== 'running')
  }, null, { timeout: 20000 })
  result.panels.deadLetters.followed = await page.evaluate((trace) => ({
    trace,
    hash: location.hash,
    attempts: [...document.querySelectorAll('[data-span-label="WorkbenchDoomed"]')].map((label) => label.querySelector('.badge').textContent),
  }), failedTrace)

  // Streams and runners: listed, live.
  await open(page, '#/streams', 'streams')
  result.panels.streams = { streams: await page.$$eval('[data-stream]', (items) => items.map((i) => i.dataset.stream)) }
  await page.click('[data-stream="petCreation"]')
  await page.waitForSelector('[data-stream="petCreation"].selected', { timeout: 10000 })
  await page.waitForSelector(`[data-stream-group="${traceId}"]`, { timeout: 10000 })
  await page.click(`[data-stream-group="${traceId}"]`)
  await page.waitForSelector('[data-item]', { timeout: 10000 })
  result.panels.streams.items = await page.$$eval('[data-item]', (items) => items.map((i) => i.dataset.item))
  await shot(page, 'streams')
  // A group whose read fails shows the error.
  const streamDown = { error: 'Internal Server Error', message: 'the stream store is down' }
  await page.route(path(`/__motia/streams/petCreation/${traceId}`), (route) => failOnPurpose(route, 500, streamDown), { times: 1 })
  await page.click(`[data-stream-group="${traceId}"]`)
  result.panels.streams.failedGroup = await shownAs(page, '[data-group-items] .error-text', 'Could not load: the stream store is down')
  // The stream view's read pending when the panel is left (its refresh, every 2 s, held here until
  // then) is cancelled, so nothing is written into the panel left.
  const refreshed = () => {} // by the panel itself
  result.panels.streams.leftWhileReading = await cancelledOnLeaving(page, path('/__motia/streams/petCreation'), refreshed, () => open(page, '#/runners', 'runners'))
  result.panels.runners = await page.$$eval('[data-runner]', (rows) => rows.map((r) => r.textContent))
  await shot(page, 'runners')
  result.health = await page.textContent('#health')
  result.streamsLeftOpen = [...live].map((request) => new URL(request.url()).pathname)
})
