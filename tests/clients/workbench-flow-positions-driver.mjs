// Where a flow's diagram draws its steps, in headless Chromium, for tests/test_workbench_layout.py:
//   node workbench-flow-positions-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR FLOW...
// Opens each FLOW's diagram and reads each step's box: its top-left corner (the node's translate), and
// the diagram's viewBox; then again with the server's saved positions answered as none (page.route):
// the layout the page makes of each flow by itself. Prints RESULT and the JSON of what it saw:
// {saved: {FLOW: {steps: {NAME: [x, y]}, viewBox: [x, y, w, h], edges: n}}, none: {...}}.
import { drive, openWorkbench } from './workbench-page.mjs'

const [executablePath, base, outDir, ...flows] = process.argv.slice(2)
const result = {}

const read = (page) =>
  page.evaluate(() => {
    const svg = document.querySelector('.diagram svg')
    const steps = {}
    for (const node of svg.querySelectorAll('.node')) {
      const [, x, y] = node.getAttribute('transform').match(/translate\(([-\d.e]+),\s*([-\d.e]+)\)/)
      steps[node.dataset.step] = [Number(x), Number(y)]
    }
    return { steps, viewBox: svg.getAttribute('viewBox').split(' ').map(Number), edges: svg.querySelectorAll('.edge').length }
  })

await drive(executablePath, result, async (page) => {
  for (const which of ['saved', 'none']) {
    if (which === 'none') await page.route('**/__motia/workbench/layout', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: '{"flows": []}' }))
    result[which] = {}
    for (const flow of flows) {
      await page.goto('about:blank') // a page loaded anew, not a change of the address's hash
      await openWorkbench(page, base, 'flows', `#/flows/${encodeURIComponent(flow)}`)
      await page.waitForSelector(`.flow-tabs a.active[href$="/${encodeURIComponent(flow)}"]`)
      result[which][flow] = await read(page)
      await page.screenshot({ path: `${outDir}/workbench-flow-positions-${which}-${flow}.png` })
    }
  }
})
