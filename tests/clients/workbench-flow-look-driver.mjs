// How a flow's diagram draws its steps and edges, in headless Chromium, for
// tests/test_workbench_flow_look.py:
//   node workbench-flow-look-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR FLOW
// Opens FLOW's diagram and reads each edge as drawn (its source, target, label, classes, whether its
// line is dashed, the colours of its line and arrowhead), the colour of each step's box by the step's
// type, the legend and the page's accent (the tab shown, a link in the step chosen). Prints RESULT
// and the JSON of what it saw.
import { drive, openWorkbench } from './workbench-page.mjs'

const [executablePath, base, outDir, flow] = process.argv.slice(2)
const result = {}

await drive(executablePath, result, async (page) => {
  await openWorkbench(page, base, 'flows', `#/flows/${encodeURIComponent(flow)}`)
  Object.assign(
    result,
    await page.evaluate(() => ({
      edges: [...document.querySelectorAll('.edge')].map((edge) => ({
        from: edge.dataset.source,
        to: edge.dataset.target,
        label: edge.querySelector('text').textContent,
        virtual: edge.classList.contains('virtual'),
        conditional: edge.classList.contains('conditional'),
        dashed: getComputedStyle(edge.querySelector('path')).strokeDasharray !== 'none',
        stroke: getComputedStyle(edge.querySelector('path')).stroke,
        arrow: getComputedStyle(document.querySelector(edge.querySelector('path').getAttribute('marker-end').slice(4, -1)).querySelector('path')).fill,
      })),
      // the colour of each type's box, as its rgb() triple
      strokes: Object.fromEntries(
        [...document.querySelectorAll('.node')].map((node) => [node.className.baseVal.match(/type-(\w+)/)[1], getComputedStyle(node.querySelector('rect')).stroke]),
      ),
      legend: document.querySelector('.legend').textContent,
      // the page's accent: the tab shown, a button
      tab: getComputedStyle(document.querySelector('nav a.active')).backgroundColor,
    })),
  )
  // and a link: the api step's way to its endpoint, once the step is chosen
  await page.click('.node.type-api')
  result.link = await page.$eval('[data-detail] a', (a) => getComputedStyle(a).color)
  await page.screenshot({ path: `${outDir}/workbench-flow-look.png` })
})
