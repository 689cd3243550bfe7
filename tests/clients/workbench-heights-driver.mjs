// The panels' scroll containers in a window as wide as WIDTHS (px, each, 700 px tall), in headless
// Chromium, for tests/test_workbench.py:
//   node workbench-heights-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR WIDTHS
// On every panel, at each width: the header's height, and the scroll containers (overflow auto or
// scroll: main, a list, the log lines, a diagram, what is chosen beside a list; a form's text box is
// no list) but those inside another one, which clips them, that end below the window (so their end
// is out of reach without scrolling the page). Prints RESULT and the JSON of what it saw: { width: { header, panels: {
// panel: [container, its bottom, the window's height] } } }.
import { drive, openWorkbench } from './workbench-page.mjs'

const [executablePath, base, outDir, widths] = process.argv.slice(2)
const PANELS = ['flows', 'endpoints', 'traces', 'logs', 'state', 'streams', 'dead-letters', 'runners']
const HEIGHT = 700
const result = {}

const belowTheWindow = (page) =>
  page.evaluate(() => {
    const scrolls = (el) => ['auto', 'scroll'].includes(getComputedStyle(el).overflowY)
    const main = document.querySelector('main')
    const name = (el) => el.tagName.toLowerCase() + (el.className ? `.${[...el.classList].join('.')}` : '') + (el.getAttribute('aria-label') ? `[${el.getAttribute('aria-label')}]` : '')
    return [main, ...main.querySelectorAll('*')]
      .filter((el) => el.tagName !== 'TEXTAREA' && scrolls(el) && el.getClientRects().length)
      .filter((el) => {
        for (let up = el.parentElement; up && up !== main; up = up.parentElement) if (scrolls(up)) return false
        return true
      })
      .map((el) => [name(el), Math.round(el.getBoundingClientRect().bottom), innerHeight])
      .filter(([, bottom, height]) => bottom > height)
  })

await drive(executablePath, result, async (page) => {
  for (const width of widths.split(',').map(Number)) {
    await page.setViewportSize({ width, height: HEIGHT })
    const seen = (result[width] = { panels: {} })
    for (const panel of PANELS) {
      await openWorkbench(page, base, panel)
      seen.panels[panel] = await belowTheWindow(page)
      if (panel === 'endpoints') await page.screenshot({ path: `${outDir}/workbench-heights-${width}.png` })
    }
    seen.header = await page.$eval('header', (header) => Math.round(header.getBoundingClientRect().height))
  }
})
