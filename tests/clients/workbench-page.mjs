// What every Workbench driver (workbench-*driver.mjs) shares: Debian's Chromium, headless, at the
// path the test gives; one page at the desktop size the panels are laid out for, whose console errors
// and uncaught exceptions land in result.consoleErrors (every test asserts there are none); one line
// printed at the end, RESULT and the JSON of what the driver saw, with its failure if it had one.
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

/** A fresh page of ``browser`` whose console errors are collected in ``result``. */
export async function openPage(browser, result) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } })
  const page = await context.newPage()
  result.consoleErrors ??= []
  page.on('console', (message) => {
    if (message.type() !== 'error') return
    if (failedOnPurpose.has(message.location().url) && message.text().startsWith('Failed to load resource')) return
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

/** Once ``panel`` has loaded what it shows. */
export const panelReady = (page, panel) =>
  page.waitForSelector(`main[data-panel="${panel}"][data-ready="true"]`, { timeout: READY_MS })

/** Loads the Workbench of the app at ``base`` on ``hash`` and waits for ``panel``. */
export async function openWorkbench(page, base, panel, hash = `#/${panel}`) {
  await page.goto(`${base}/__motia/workbench${hash}`)
  await panelReady(page, panel)
}

/** Runs ``steps(page)`` in a fresh page of Chromium at ``executablePath``, then prints ``result``. */
export async function drive(executablePath, result, steps) {
  const browser = await chromium.launch({ executablePath, args: ARGS })
  try {
    await steps(await openPage(browser, result))
  } catch (error) {
    result.failure = String(error && error.stack ? error.stack : error)
  } finally {
    await browser.close()
  }
  console.log(`RESULT ${JSON.stringify(result)}`)
}
