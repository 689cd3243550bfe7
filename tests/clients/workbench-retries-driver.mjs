// A trace whose step failed alike on every attempt, in headless Chromium, for tests/test_workbench.py:
//   node workbench-retries-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR TRACE_ID ATTEMPTS
// Opens the trace once its ATTEMPTS spans are drawn. Prints RESULT and the JSON of what it saw: the
// failure cards (their headings and stacks; each stack's text and its paths shown relative to the
// project, with their tooltips), the span labels whose language or attempt number is cut off (not
// wholly inside the label), and the last operation's payload, once its row is clicked, and whether
// it is in the window; whether a second click closes it; the since-start column of its operations;
// its bars' boxes against the axis's, its spans faked at the axis's ends (barsOnAxis: how far in
// from the axis's left and right, and how wide, in px), and three of its operations faked at the
// axis's start, middle and end (ticksOnAxis: the same, and the axis's width); its dead letter inspected in a window 400 px
// high, whether the letter shows in it.
import { drive, openWorkbench, timedFetch, wholeShot } from './workbench-page.mjs'

const [executablePath, base, outDir, traceId, attempts] = process.argv.slice(2)
const result = {}

await drive(executablePath, result, async (page) => {
  await openWorkbench(page, base, 'traces', `#/traces/${traceId}`)
  await page.waitForFunction((n) => document.querySelectorAll('.gantt .bar').length === n, Number(attempts), { timeout: 20000 })
  result.failures = await page.$$eval('[data-failure]', (cards) =>
    cards.map((card) => ({ heading: card.querySelector('h3').textContent, stacks: card.querySelectorAll('pre.stack').length })),
  )
  // each card's stack as shown, and each path in it shown relative to the project with its tooltip
  result.stacks = await page.$$eval('[data-failure] pre.stack', (stacks) =>
    stacks.map((stack) => ({ text: stack.textContent, paths: [...stack.querySelectorAll('[data-path]')].map((path) => [path.textContent, path.title]) })),
  )
  result.cutLabels = await page.$$eval('[data-span-label]', (labels) =>
    labels
      .filter((label) => {
        const room = label.getBoundingClientRect()
        return [...label.querySelectorAll('.badge, .muted')].some((part) => part.getBoundingClientRect().right > room.right + 0.5)
      })
      .map((label) => label.textContent),
  )
  await wholeShot(page, `${outDir}/workbench-retries.png`)

  // the last operation clicked (the table scrolled to it): its payload shows where the user looks
  const last = page.locator('[data-event-row]').last()
  await last.click()
  result.lastRowPayload = await page.evaluate(() => {
    const shown = document.querySelector('[data-event-detail], [data-selected]')
    const box = shown?.getBoundingClientRect()
    // within half a pixel: the page scrolls by whole pixels, a row's box may end at a fraction of one
    return shown && { text: shown.textContent, inWindow: box.top >= -0.5 && box.bottom <= innerHeight + 0.5 }
  })
  await page.screenshot({ path: `${outDir}/workbench-retries-payload.png` })
  await last.click()
  result.closedAgain = await page.evaluate(() => document.querySelector('[data-event-detail]') === null)

  // its operations in the order they happened (as the server lists them): the table's since-start
  // column counts up
  result.sinceStart = await page.$$eval('[data-event-row] > td:first-child', (cells) => cells.map((cell) => cell.textContent))

  // its spans moved (faked here) to the ends of the axis: one over all of it, one of no time at its
  // very end, one of no time at its start, one over its second half. Every bar's box within the
  // axis's (within half a pixel), each at least its least width (3 px) wide
  const atEnds = async (route) => {
    const trace = await (await route.fetch()).json()
    const t0 = trace.startedAt
    const placed = [[0, 1000], [1000, 1000], [0, 0], [500, 1000]]
    const spans = trace.spans.slice(0, placed.length).map((span, n) => {
      const [from, to] = placed[n]
      return { ...span, startedAt: t0 + from, endedAt: t0 + to, durationMs: to - from }
    })
    // three of its operations, on the first span, at the axis's start, middle and end
    const events = trace.events.slice(0, 3).map((event, n) => ({ ...event, spanId: spans[0].spanId, time: t0 + 500 * n, durationMs: 0 }))
    await route.fulfill({ json: { ...trace, spans, events, durationMs: 1000 } })
  }
  const traceRead = (url) => url.pathname === `/__motia/traces/${traceId}`
  await page.route(traceRead, atEnds)
  await page.goto('about:blank')
  await openWorkbench(page, base, 'traces', `#/traces/${traceId}`)
  await page.waitForFunction(() => document.querySelectorAll('.gantt .bar').length === 4, null, { timeout: 20000 })
  result.barsOnAxis = await page.evaluate(() => {
    const axis = document.querySelector('.gantt .axis').getBoundingClientRect()
    return [...document.querySelectorAll('.gantt .bar')].map((bar) => {
      const box = bar.getBoundingClientRect()
      return { left: box.left - axis.left, right: axis.right - box.right, width: box.width }
    })
  })
  result.ticksOnAxis = await page.evaluate(() => {
    const axis = document.querySelector('.gantt .axis').getBoundingClientRect()
    return [...document.querySelectorAll('.gantt .tick')].map((tick) => {
      const box = tick.getBoundingClientRect()
      return { left: box.left - axis.left, right: axis.right - box.right, width: box.width, axis: axis.width }
    })
  })
  await page.unroute(traceRead, atEnds)

  // its dead letter inspected in a short window, the list above it: the letter shows in the window
  // the enrichment step's (the shelter's intake fails on the event too, its letter with a longer stack)
  const { deadLetters } = await (await timedFetch(`${base}/__motia/dead-letters?step=TsAiProfileEnrichment`)).json()
  const letter = deadLetters.find((item) => item.traceId === traceId)
  await page.setViewportSize({ width: 1400, height: 400 })
  await openWorkbench(page, base, 'dead-letters')
  await page.click(`[data-inspect="${letter.id}"]`)
  result.inspected = await page.$eval('[data-inspected]', (card) => {
    const box = card.getBoundingClientRect()
    return { letter: Number(card.dataset.inspected), inWindow: box.top >= -0.5 && box.bottom <= innerHeight + 0.5 }
  })
  result.inspected.wanted = letter.id
})
