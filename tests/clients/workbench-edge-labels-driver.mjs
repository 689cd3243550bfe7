// The edge labels of each flow's diagram, in headless Chromium, for tests/test_workbench.py:
//   node workbench-edge-labels-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR FLOW...
// Opens each FLOW's diagram and lists the labels (each edge's box and text, as drawn) that overlap another
// label, a step's box or an edge's arrowhead, and the labels each not on its own edge (its box's centre farther than a
// label's height from the edge's path), and the edges that leave or enter a step at one point (less
// than 8 px apart), the labels the diagram found no clear place for (squeezed) and those cut short;
// and of the steps: each api step whose route its box does not show whole (cutRoutes), each step whose
// text runs out of its box (textOut), each whose tooltip (its <title>) does not name what it answers
// (its route, its cron, every topic it subscribes to: untold).
// Prints RESULT and the JSON of what it saw: { flow: { labels: how many, overLabels: [[edge, edge]],
// closeLabels: [[edge, edge]] (less than 3 px apart), textPastBox: [edge] (its text wider than its box),
// overNodes: [[edge, step]], overArrows: [[edge, edge whose arrowhead its label covers]], offEdge: [edge], sharedEnds: [[edge, edge]], squeezed: [edge], cut: [edge],
// cutRoutes: [[step, shown]], textOut: [[step, text]], untold: [[step, tooltip]], pathsOverNodes: [[edge, step]]
// (an edge drawn through a step it does not connect), outside: [edge] (a label past the drawing's sides) } }.
import { drive, openWorkbench, timedFetch } from './workbench-page.mjs'

const [executablePath, base, outDir, ...flows] = process.argv.slice(2)
const result = {}

await drive(executablePath, result, async (page) => {
  const configs = (await (await timedFetch(`${base}/__motia/flows`)).json()).flows
  for (const flow of flows) {
    await openWorkbench(page, base, 'flows', `#/flows/${encodeURIComponent(flow)}`)
    const steps = configs.find((config) => config.id === flow).steps
    result[flow] = await page.evaluate((steps) => {
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
      // labels that nearly touch (less than 3 px apart): read as one, or as overlapping, in a crowd
      const near = (a, b) => a.left < b.right + 3 && b.left < a.right + 3 && a.top < b.bottom + 3 && b.top < a.bottom + 3
      const closeLabels = []
      for (let i = 0; i < labels.length; i++)
        for (let j = i + 1; j < labels.length; j++) if (near(labels[i].box, labels[j].box)) closeLabels.push([labels[i].edge, labels[j].edge])
      // labels whose text runs past their box (into what is beside it)
      const textPastBox = [...document.querySelectorAll('.edge')]
        .filter((edge) => {
          const [box, text] = [edge.querySelector('rect'), edge.querySelector('text')].map((part) => part.getBoundingClientRect())
          return text.left < box.left - 0.5 || text.right > box.right + 0.5
        })
        .map((edge) => `${edge.dataset.source}->${edge.dataset.target}: ${edge.querySelector('text').textContent}`)
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
      // edges meeting at one point of a step: two that leave (or enter) it less than 8 px apart
      const ends = [...document.querySelectorAll('.edge')].map((edge) => {
        const path = edge.querySelector('path')
        const matrix = path.getScreenCTM()
        return {
          edge: `${edge.dataset.source}->${edge.dataset.target}: ${edge.querySelector('text').textContent}`,
          source: edge.dataset.source,
          target: edge.dataset.target,
          start: path.getPointAtLength(0).matrixTransform(matrix),
          end: path.getPointAtLength(path.getTotalLength()).matrixTransform(matrix),
        }
      })
      const sharedEnds = []
      for (let i = 0; i < ends.length; i++)
        for (let j = i + 1; j < ends.length; j++) {
          const [a, b] = [ends[i], ends[j]]
          const near = (p, q) => Math.hypot(p.x - q.x, p.y - q.y) < 8
          if ((a.source === b.source && near(a.start, b.start)) || (a.target === b.target && near(a.end, b.end)))
            sharedEnds.push([a.edge, b.edge])
        }
      // labels over an edge's arrowhead (the marker at its path's end, ~11 px long at the edges' stroke
      // width): which step the edge goes into hidden under a label
      const overArrows = [...document.querySelectorAll('.edge')].flatMap((edge) => {
        const path = edge.querySelector('path')
        const matrix = path.getScreenCTM()
        const length = path.getTotalLength()
        const tip = path.getPointAtLength(length).matrixTransform(matrix)
        const back = path.getPointAtLength(Math.max(0, length - 10)).matrixTransform(matrix)
        const arrow = new DOMRect(Math.min(tip.x, back.x) - 4, Math.min(tip.y, back.y) - 4, Math.abs(tip.x - back.x) + 8, Math.abs(tip.y - back.y) + 8)
        const name = `${edge.dataset.source}->${edge.dataset.target}: ${edge.querySelector('text').textContent}`
        return labels.filter((label) => meet(label.box, arrow)).map((label) => [label.edge, name])
      })
      // labels the diagram found no clear place for (it put them where they cover the least)
      const squeezed = [...document.querySelectorAll('.edge[data-label-squeezed]')].map(
        (edge) => `${edge.dataset.source}->${edge.dataset.target}: ${edge.querySelector('text').textContent}`,
      )
      // labels cut short (an ellipsis at the end): the topic they name unreadable
      const cut = labels.filter((label) => label.edge.endsWith('…')).map((label) => label.edge)
      // each step's text: the route whole, inside its box, and what it answers named in its tooltip
      const cutRoutes = []
      const textOut = []
      const untold = []
      for (const step of steps) {
        const node = document.querySelector(`.node[data-step="${CSS.escape(step.name)}"]`)
        const box = node.querySelector('rect').getBoundingClientRect()
        const route = `${step.method} ${step.path}`
        const sub = node.querySelector('text.sub').textContent
        if (step.type === 'api' && sub !== route) cutRoutes.push([step.name, sub])
        for (const text of node.querySelectorAll('text')) {
          const drawn = text.getBoundingClientRect()
          if (drawn.left < box.left || drawn.right > box.right || drawn.top < box.top || drawn.bottom > box.bottom) textOut.push([step.name, text.textContent])
        }
        const tooltip = node.querySelector(':scope > title').textContent
        const answers = step.type === 'api' ? [route] : step.type === 'cron' ? [step.cron] : step.type === 'event' ? step.subscribes : step.virtualSubscribes ?? []
        if (!answers.every((what) => tooltip.includes(what))) untold.push([step.name, tooltip])
      }
      // edges drawn through a step they do not connect: their path sampled, inside the step's box
      const pathsOverNodes = [...document.querySelectorAll('.edge')].flatMap((edge) => {
        const path = edge.querySelector('path')
        const matrix = path.getScreenCTM()
        const length = path.getTotalLength()
        const points = Array.from({ length: 65 }, (_, i) => path.getPointAtLength((length * i) / 64).matrixTransform(matrix))
        return nodes
          .filter(({ step }) => step !== edge.dataset.source && step !== edge.dataset.target)
          .filter(({ box }) => points.some((p) => p.x > box.left + 2 && p.x < box.right - 2 && p.y > box.top + 2 && p.y < box.bottom - 2))
          .map(({ step }) => [`${edge.dataset.source}->${edge.dataset.target}: ${edge.querySelector('text').textContent}`, step])
      })
      // what lies outside the diagram's drawing (cut at its edge): label boxes, in the page
      const drawn = document.querySelector('.diagram svg').getBoundingClientRect()
      const outside = labels.filter(({ box }) => box.left < drawn.left || box.right > drawn.right).map((label) => label.edge)
      return { labels: labels.length, overLabels, closeLabels, textPastBox, overNodes, overArrows, offEdge, sharedEnds, squeezed, cut, cutRoutes, textOut, untold, pathsOverNodes, outside }
    }, steps)
    await page.screenshot({ path: `${outDir}/workbench-edge-labels-${flow}.png` })
  }
})
