// Where a flow's diagram draws its steps, in headless Chromium, for tests/test_workbench_layout.py:
//   node workbench-flow-positions-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR FLOW...
// Opens each FLOW's diagram and reads each step's box: its top-left corner (the node's translate), and
// the diagram's viewBox; then again with the server's saved positions answered as none (page.route):
// the layout the page makes of each flow by itself. Prints RESULT and the JSON of what it saw:
// {saved: {FLOW: {steps: {NAME: [x, y]}, viewBox: [x, y, w, h], edges: n}}, none: {...}}. Last, with
// the server's positions again, drags the last step of the last FLOW by DRAG (150, 90) px and reads
// the flow once the save is answered and the diagram drawn again: dragged, as the others, with scale
// (the diagram's px per unit) and saved (the save's status).
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
  await page.unroute('**/__motia/workbench/layout')
  const flow = flows[flows.length - 1]
  await page.goto('about:blank')
  await openWorkbench(page, base, 'flows', `#/flows/${encodeURIComponent(flow)}`)
  const node = page.locator('.diagram .node').last()
  const box = await node.boundingBox()
  const drawn = await page.$('.diagram svg') // replaced once the save is answered
  const saving = page.waitForResponse((response) => response.request().method() === 'POST' && response.url().endsWith(`/flows/${encodeURIComponent(flow)}/config`))
  await page.mouse.move(box.x + 20, box.y + 20)
  await page.mouse.down()
  for (let i = 1; i <= 5; i++) await page.mouse.move(box.x + 20 + i * 30, box.y + 20 + i * 18)
  await page.mouse.up()
  const saved = (await saving).status()
  await page.waitForFunction((before) => document.querySelector('.diagram svg') !== before, drawn)
  result.dragged = { ...(await read(page)), step: await node.getAttribute('data-step'), saved, scale: await page.$eval('.diagram svg', (svg) => svg.getScreenCTM().a) }
  await page.screenshot({ path: `${outDir}/workbench-flow-positions-dragged.png` })
})
