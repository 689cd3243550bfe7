// What every Workbench driver (workbench-*driver.mjs) shares: Debian's Chromium, headless, at the
// path the test gives; one page at the desktop size the panels are laid out for, whose console errors
// and uncaught exceptions land in result.consoleErrors (every test asserts there are none); one line
// printed at the end, RESULT and the JSON of what the driver saw, with its failure if it had one;
// and a server outage, the driver and the test telling each other with files in a signals folder
// (tests/test_workbench.py's _driven_through_restarts).
import { existsSync, writeFileSync } from 'node:fs'
import { chromium } from 'playwright-core'

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run']
const READY_MS = 20000

/** The URLs a driver answers with an error on purpose (page.route): the browser's own line that their
 * load failed is not the page's error. */
export const failedOnPurpose = new Set()

/** Answers ``route`` with ``status`` and the JSON ``body``, the failure the page is meant to show. */
export function failOnPurpose(route, status, body) {
  failedOnPurpose.add(route.request().url())
  return route.fulfill({ status, contentType: 'application/json', body: JSON.stringify(body) })
}

/** Fails ``route`` as a server that does not answer (connection refused), on purpose. */
export function cutOffOnPurpose(route) {
  failedOnPurpose.add(route.request().url())
  return route.abort('connectionrefused')
}

/** Chromium's own console line for a response of status 400 or more that the page fetched, which
 * no script can keep it from logging (it is the network layer's, not the page's). */
const FAILED_ANSWER = /^Failed to load resource: the server responded with a status of [45]\d\d \(.*\)$/

/** How many of a page's latest requests a driver's failure lists (``drive``). */
const RECENT_REQUESTS = 40
const recentRequests = new WeakMap() // page -> its latest requests, each a line

/** Keeps ``page``'s latest requests and what became of them: a driver that fails waiting for the page
 * (a read that never came, an answer never shown) tells what the page was doing meanwhile, which a
 * failure seen only once, on a loaded machine, cannot be asked again. */
function noteRequests(page) {
  const lines = []
  const opened = Date.now()
  const pathOf = (request) => {
    const url = new URL(request.url())
    return `${request.method()} ${url.pathname}${url.search}`
  }
  const note = (line) => {
    lines.push(`+${((Date.now() - opened) / 1000).toFixed(2)} s ${line}`)
    if (lines.length > RECENT_REQUESTS) lines.shift()
  }
  page.on('request', (request) => note(`${pathOf(request)} sent`))
  page.on('response', (response) => note(`${pathOf(response.request())} answered ${response.status()}`))
  page.on('requestfailed', (request) => note(`${pathOf(request)} failed: ${request.failure()?.errorText}`))
  recentRequests.set(page, lines)
}

/** A fresh page of ``browser`` whose console errors are collected in ``result``. A request the user
 * sends from the Endpoints form (a fetch of the app's own routes: the page fetches nothing else
 * outside /__motia/) that the app answers 4xx or 5xx makes Chromium log FAILED_ANSWER, as it does for
 * any fetch answered so. The page shows the answer, status and body, as sent: avoiding the line would
 * take not fetching the request from the page (the server sending it on the page's behalf, or an
 * opaque no-cors fetch that hides the status), which would no longer be the user's request from
 * their browser. So that line, for exactly such a request, is no page error: it goes to
 * ``result.userRequestErrors`` ({ request: its path and query, line }) for the test to check; any
 * other console error stays in ``result.consoleErrors``. */
export async function openPage(browser, result) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } })
  const page = await context.newPage()
  // A route of the page's own, the last it tries, that lets every request through, so that the
  // page's routes never run out. When the only route left was one set with { times: 1 } and it was
  // used, Playwright (1.56) removed the page's interception without waiting for it; a route set
  // meanwhile (as a driver that fails one read on purpose, then holds the next, sets it) found the
  // removal not yet done, took the interception for still there, and was then left without it:
  // never called, while the page's requests went to the server.
  await page.route(() => true, (route) => route.fallback())
  noteRequests(page)
  result.consoleErrors ??= []
  const userRequests = new Set() // the URLs of the requests the Endpoints form sent
  page.on('request', (request) => {
    if (request.resourceType() === 'fetch' && !new URL(request.url()).pathname.startsWith('/__motia/')) userRequests.add(request.url())
  })
  page.on('console', (message) => {
    if (message.type() !== 'error') return
    const { url } = message.location()
    if (failedOnPurpose.has(url) && message.text().startsWith('Failed to load resource')) return
    if (userRequests.has(url) && FAILED_ANSWER.test(message.text())) {
      const { pathname, search } = new URL(url)
      ;(result.userRequestErrors ??= []).push({ request: pathname + search, line: message.text() })
      return
    }
    result.consoleErrors.push(message.text())
  })
  page.on('pageerror', (error) => result.consoleErrors.push(String(error)))
  return page
}

/** ``text`` once ``selector`` shows it, else (not within ``timeout`` ms) what it shows then: a
 * failure a driver sets up shows on the page's next read, and a read already in flight may show first
 * (its own answer, or 'no answer in 10 s'). */
export const shownAs = (page, selector, text, timeout = 20000) =>
  page.waitForFunction(([s, t]) => document.querySelector(s)?.textContent === t, [selector, text], { timeout }).then(
    () => text,
    () => page.evaluate((s) => document.querySelector(s)?.textContent ?? null, selector),
  )

/** A page.route matcher of the URLs whose path is ``pathname``. */
export const path = (pathname) => Object.assign((url) => url.pathname === pathname, { toString: () => pathname })

/** Holds the first request ``matches`` sees (not sent on until the driver continues or fulfils it):
 * once the route is in place, ``reached`` is the promise of that request's route. */
export async function hold(page, matches, timeout = 30000) {
  let reachedWith
  let timer
  const reached = new Promise((resolve, reject) => {
    reachedWith = resolve
    timer = setTimeout(() => reject(new Error(`no request the route ${matches} holds came in ${timeout / 1000} s`)), timeout)
  })
  await page.route(matches, (route) => (clearTimeout(timer), reachedWith(route)), { times: 1 })
  return { reached }
}

/** Chromium's error for the first request ``matches`` once ``send()`` has had it sent, held unanswered
 * until ``leave()`` (the page moving on) has cancelled it: net::ERR_ABORTED. */
export async function cancelledOnLeaving(page, matches, send, leave) {
  const { reached } = await hold(page, matches)
  await send()
  const pending = (await reached).request()
  const failed = page.waitForEvent('requestfailed', { predicate: (request) => request === pending, timeout: 20000 })
  await leave()
  return (await failed).failure()?.errorText
}

/** A driver's own requests (not the page's): ``timedFetch``, failed in time naming what it asked. */
export { timedFetch } from './timed-fetch.mjs'

/** The tallest window a whole-content screenshot grows to (px). */
const TALLEST_SHOT = 6000

/** How far each box that scrolls vertically in the page (``main``, a list, a diagram, log lines, what
 * is chosen beside a list) has more content than it shows (px, those of 2 px or more), after the
 * layout of the window's size settled; a box whose overflow did not shrink since the last call was
 * not grown by the window (its height is capped, as a JSON value's at 420 px) and is left out. */
const overflowing = (page) =>
  page.evaluate(async () => {
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))
    const before = (window.__shotOverflows ??= new WeakMap())
    const left = []
    for (const box of document.querySelectorAll('main, main *')) {
      if (!['auto', 'scroll'].includes(getComputedStyle(box).overflowY)) continue
      const hidden = box.scrollHeight - box.clientHeight
      if (hidden < 2 || hidden >= (before.get(box) ?? Infinity)) continue
      before.set(box, hidden)
      left.push(hidden)
    }
    return left
  })

/** A screenshot at ``file`` of the panel's whole content, as a README shows it (the page is a column
 * whose ``main`` and lists scroll in themselves, so Playwright's fullPage shot is the window only):
 * the window grown as tall as its scrolling boxes need to show what they hold, then set back. The
 * size of the window the shot was taken in: ``{ width, height }``. */
export async function wholeShot(page, file) {
  const size = page.viewportSize()
  let height = size.height
  try {
    await page.evaluate(() => delete globalThis.__shotOverflows)
    for (let hidden = await overflowing(page); hidden.length && height < TALLEST_SHOT; hidden = await overflowing(page)) {
      height = Math.min(TALLEST_SHOT, height + Math.max(...hidden))
      await page.setViewportSize({ width: size.width, height })
    }
    await page.screenshot({ path: file })
  } finally {
    await page.setViewportSize(size)
  }
  return { width: size.width, height }
}

/** Notes each read of a trace ``page`` makes, in the order the page asked: its row (``row``: a listing
 * by its whole id), a listing of the newest traces that had its row (``listing``), or the whole trace
 * (``whole``), each with the ``changes`` and ``status`` it answered (null: no answer, or not in it)
 * and the fields ``mark()`` returned when it was asked. ``of(traceId)``: the reads of that trace. */
export function noteTraceReads(page, mark = () => ({})) {
  const reads = []
  page.on('request', (request) => {
    const url = new URL(request.url())
    let read
    if (url.pathname === '/__motia/traces') {
      const traceId = url.searchParams.get('traceId')
      read = traceId === null ? { kind: 'listing', rows: {} } : { kind: 'row', traceId }
    } else if (url.pathname.startsWith('/__motia/traces/')) read = { kind: 'whole', traceId: decodeURIComponent(url.pathname.slice('/__motia/traces/'.length)) }
    else return
    read.answered = request.response().then(async (response) => {
      const body = response && response.ok() ? await response.json() : null
      if (read.kind === 'whole') return { [read.traceId]: body }
      return Object.fromEntries((body?.traces ?? []).map((listed) => [listed.traceId, listed]))
    }, () => ({}))
    reads.push(Object.assign(read, mark()))
  })
  return {
    async of(traceId) {
      const seen = []
      for (const { answered, traceId: readOf, rows, ...read } of reads) {
        if (readOf !== undefined && readOf !== traceId) continue
        const trace = (await answered)[traceId]
        if (read.kind === 'listing' && !trace) continue
        seen.push({ ...read, changes: trace?.changes ?? null, status: trace?.status ?? null })
      }
      return seen
    },
  }
}

/** Once ``panel`` has loaded what it shows. */
/** Sends the Endpoints panel's form as it stands and waits for the new answer (its trace link changed)
 * and for its stream updates to be set up; answers the answer's trace id. */
export async function sendAndFollow(page) {
  const before = await page.evaluate(() => document.querySelector('.response [data-trace-link]')?.dataset.traceLink)
  await page.click('form[aria-label="request"] button[type="submit"]')
  await page.waitForFunction(
    (previous) => {
      const link = document.querySelector('.response [data-trace-link]')
      return link && link.dataset.traceLink !== previous && document.querySelector('.response [data-stream-updates]')
    },
    before,
    { timeout: 20000 },
  )
  return page.getAttribute('.response [data-trace-link]', 'data-trace-link')
}

export const panelReady = (page, panel) =>
  page.waitForSelector(`main[data-panel="${panel}"][data-ready="true"]`, { timeout: READY_MS })

/** Loads the Workbench of the app at ``base`` on ``hash`` and waits for ``panel``. */
export async function openWorkbench(page, base, panel, hash = `#/${panel}`) {
  await page.goto(`${base}/__motia/workbench${hash}`)
  await panelReady(page, panel)
}

/** Tells the test ``name`` (the file ``signals``/``name``). */
export const say = (signals, name) => writeFileSync(`${signals}/${name}`, '')

/** Once the test has said ``name`` (the file ``signals``/``name``), within 120 s. */
export async function signalled(signals, name) {
  const deadline = Date.now() + 120000
  while (!existsSync(`${signals}/${name}`)) {
    if (Date.now() > deadline) throw new Error(`the test never said ${name}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** The server stopped and started again on its port while ``page`` shows it, as the test does it in
 * _Restarts.restart: says ``name``-open for the test to stop the server; once the test says it has
 * (``name``-stopped), runs ``whileDown()`` and says ``name``-watched for the test to start the server
 * again; once the test says so (``name``-back), waits for the health line to say the server is back. */
export async function serverRestarted(page, signals, name, whileDown) {
  say(signals, `${name}-open`)
  await signalled(signals, `${name}-stopped`)
  await whileDown()
  say(signals, `${name}-watched`)
  await signalled(signals, `${name}-back`)
  await page.waitForSelector('#health[data-health="ok"]', { timeout: 30000 })
}

/** Runs ``steps(page)`` in a fresh page of Chromium at ``executablePath``, then prints ``result``. */
export async function drive(executablePath, result, steps) {
  // The test stops a driver that has run too long: what it saw so far tells how far it got.
  process.once('SIGTERM', () => {
    result.failure = 'stopped by the test, still running (what it saw so far is in this result)'
    console.log(`RESULT ${JSON.stringify(result)}`)
    process.exit(1)
  })
  const browser = await chromium.launch({ executablePath, args: ARGS })
  let page
  try {
    page = await openPage(browser, result)
    await steps(page)
  } catch (error) {
    const recent = page ? recentRequests.get(page) : []
    const doing = recent.length ? `\nthe page at ${page.url()}, its latest requests:\n${recent.join('\n')}` : ''
    result.failure = String(error && error.stack ? error.stack : error) + doing
  } finally {
    await browser.close()
  }
  console.log(`RESULT ${JSON.stringify(result)}`)
}
