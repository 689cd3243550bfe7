// The edge labels of each flow's diagram, in headless Chromium, for tests/test_workbench.py:
//   node workbench-edge-labels-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR FLOW...
// Opens each FLOW's diagram and lists the labels (each edge's box and text, as drawn) that overlap another
// label or a step's box, and the labels each not on its own edge (its box's centre farther than a
// label's height from the edge's path). Prints RESULT and the JSON of what it saw: { flow: { labels:
// how many, overLabels: [[edge, edge]], overNodes: [[edge, step]], offEdge: [edge] } }.
import { drive, openWorkbench } from './workbench-page.mjs'

const [executablePath, base, outDir, ...flows] = process.argv.slice(2)
const result = {}

await drive(executablePath, result, async (page) => {
  for (const flow of flows) {
    await openWorkbench(page, base, 'flows', `#/flows/${encodeURIComponent(flow)}`)
    result[flow] = await page.evaluate(() => {
      const meet = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5
      const labels = [...document.querySelectorAll('.edge')].map((edge) => ({
        edge: `${edge.dataset.source}->${edge.dataset.target}: ${edge.querySelector('text').textContent}`,
        // the label's box and its text, which may run past the box
        box: [edge.querySelector('rect'), edge.querySelector('text')]
          .map((part) => part.getBoundingClientRect())
          .reduce((a, b) => new DOMRect(Math.min(a.left, b.left), Math.min(a.top, b.top), Math.max(a.right, b.right) - Math.min(a.left, b.left), Math.max(a.bottom, b.bottom) - Math.min(a.top, b.top))),
        path: edge.querySelector('path'),
      }))
      const nodes = [...document.querySelectorAll('.node')].map((node) => ({ step: node.dataset.step, box: node.querySelector('rect').getBoundingClientRect() }))
      const overLabels = []
      for (let i = 0; i < labels.length; i++)
        for (let j = i + 1; j < labels.length; j++) if (meet(labels[i].box, labels[j].box)) overLabels.push([labels[i].edge, labels[j].edge])
      const overNodes = labels.flatMap((label) => nodes.filter((node) => meet(label.box, node.box)).map((node) => [label.edge, node.step]))
      const offEdge = labels
        .filter(({ box, path }) => {
          // the path's points in the page, sampled
          const matrix = path.getScreenCTM()
          const length = path.getTotalLength()
          const centre = { x: (box.left + box.right) / 2, y: (box.top + box.bottom) / 2 }
          return !Array.from({ length: 101 }, (_, i) => path.getPointAtLength((length * i) / 100).matrixTransform(matrix)).some(
            (p) => Math.hypot(p.x - centre.x, p.y - centre.y) <= box.height,
          )
        })
        .map((label) => label.edge)
      return { labels: labels.length, overLabels, overNodes, offEdge }
    })
    await page.screenshot({ path: `${outDir}/workbench-edge-labels-${flow}.png` })
  }
})
