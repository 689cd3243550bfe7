// The Traces panel with a full store, in headless Chromium, for tests/test_workbench.py:
//   node workbench-traces-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR TRACE_ID STEP NAME
// Opens the panel, counts the rows of the first page, pages back once, finds TRACE_ID by a part of its
// id and by all of it, the traces named NAME by the text box, the traces STEP ran in by the step
// filter; prints RESULT and the JSON of what it saw.
import { drive, failOnPurpose, openWorkbench, shownAs } from './workbench-page.mjs'

const [executablePath, base, outDir, wantedTrace, rareStep, rareName] = process.argv.slice(2)
const result = {}
const rowIds = (page) => page.$$eval('tr[data-trace]', (rows) => rows.map((row) => row.dataset.trace))
// the rows once the list has settled on what ``predicate`` (run in the page) waits for
const rowsWhen = async (page, predicate, arg) => {
  await page.waitForFunction(predicate, arg, { timeout: 20000 })
  return rowIds(page)
}

await drive(executablePath, result, async (page) => {
  await openWorkbench(page, base, 'traces')
  result.firstPage = await rowsWhen(page, () => document.querySelectorAll('tr[data-trace]').length > 0)
  result.olderShown = await page.isVisible('button:text("Older traces")')
  await page.screenshot({ path: `${outDir}/workbench-traces-10000.png` })

  // paging back: a failure shows its error by the button, the rows stay; a double click pages once
  const isOlder = (url) => url.pathname === '/__motia/traces' && url.searchParams.has('cursor')
  const storeDown = { error: 'Internal Server Error', message: 'the trace store is down' }
  await page.route(isOlder, (route) => failOnPurpose(route, 500, storeDown), { times: 1 })
  await page.click('button:text("Older traces")')
  const olderFailed = await page.waitForFunction(() => document.querySelector('[data-load-error="older"]')?.textContent || false, null, { timeout: 20000 })
  result.olderFailed = { shown: await olderFailed.jsonValue(), rows: (await rowIds(page)).length }
  result.olderRequests = 0
  const countOlder = (request) => isOlder(new URL(request.url())) && result.olderRequests++
  page.on('request', countOlder)
  await page.dblclick('button:text("Older traces")')
  result.twoPages = await rowsWhen(page, (n) => document.querySelectorAll('tr[data-trace]').length > n, result.firstPage.length)
  page.off('request', countOlder)

  // filters whose read fails show the error above the rows
  const isSearch = (url) => url.pathname === '/__motia/traces' && url.searchParams.get('text') === wantedTrace.slice(-9)
  await page.route(isSearch, (route) => failOnPurpose(route, 500, storeDown), { times: 1 })
  await page.fill('input[aria-label="text"]', wantedTrace.slice(-9))
  result.searchFailed = await shownAs(page, '[data-load-error="traces"]', 'Could not load: the trace store is down')
  // a part of the id, as a user pastes the 8 characters log lines show
  await page.fill('input[aria-label="text"]', wantedTrace.slice(-8))
  result.byId = await rowsWhen(
    page,
    (id) => {
      const rows = [...document.querySelectorAll('tr[data-trace]')]
      return rows.length > 0 && rows.every((row) => row.dataset.trace.endsWith(id))
    },
    wantedTrace.slice(-8),
  )
  // the whole id, as pasted from a response's x-trace-id
  await page.fill('input[aria-label="text"]', '')
  await rowsWhen(page, () => document.querySelectorAll('tr[data-trace]').length === 50)
  await page.fill('input[aria-label="text"]', wantedTrace)
  result.byWholeId = await rowsWhen(page, (id) => {
    const rows = [...document.querySelectorAll('tr[data-trace]')]
    return rows.length > 0 && rows.every((row) => row.dataset.trace === id)
  }, wantedTrace)
  // a name, in another case than the endpoint's: the server matches it (the rows are not on the first pages)
  await page.fill('input[aria-label="text"]', rareName)
  result.byName = await rowsWhen(page, (id) => {
    const rows = [...document.querySelectorAll('tr[data-trace]')]
    // the answer to the name, not the row of the id still shown until it comes
    return rows.length > 0 && rows.length < 50 && !(rows.length === 1 && rows[0].dataset.trace === id)
  }, wantedTrace)
  result.byNameShown = await page.$$eval('tr[data-trace] td:nth-child(2)', (cells) => cells.map((cell) => cell.textContent))
  result.byNameHash = await page.evaluate(() => location.hash)
  // every trace again before the step filter: its rows must be its answer's, not these
  await page.fill('input[aria-label="text"]', '')
  await rowsWhen(page, () => document.querySelectorAll('tr[data-trace]').length === 50)
  await page.selectOption('select[aria-label="step"]', rareStep)
  result.byStep = await rowsWhen(
    page,
    (step) => {
      const rows = [...document.querySelectorAll('tr[data-trace]')]
      return rows.length > 0 && rows.length < 50 && rows.every((row) => row.textContent.includes(step))
    },
    rareStep,
  )
  await page.click(`tr[data-trace="${result.byStep[0]}"]`)
  await page.waitForSelector(`[data-span-label="${rareStep}"]`, { timeout: 20000 })
  result.opened = await page.evaluate(() => location.hash)
  // back to the list from the trace: as it was filtered (the filters are in the panel's address)
  await page.click('a:text("← all traces")')
  await page.waitForSelector('main[data-panel="traces"][data-ready="true"] tr[data-trace]', { timeout: 20000 })
  result.backToList = {
    hash: await page.evaluate(() => location.hash),
    step: await page.inputValue('select[aria-label="step"]'),
    rows: await rowIds(page),
  }
})
