// The Streams and Flows panels' addresses while `motia dev` reloads the project under them, in
// headless Chromium, for tests/test_workbench_hot_reload.py:
//   node workbench-hot-reload-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR PROJECT
// The project starts with no stream. Page A opens #/streams/later/g1, page B #/streams; notes.stream.js
// is written, then later.stream.js: B opens notes once it is listed, A opens later's group g1 once
// later is (it said the name unknown until the page was reloaded). Then the Flows panel: #/flows/side,
// its one step Lone selected, Lone's flows changed to ['main']: the panel follows Lone to main;
// #/flows/extra, nothing selected, extra.step.js deleted: the panel says the flow is gone under its
// address, then draws it again once the file is written back; #/flows/nope, never a flow: said so;
// #/flows, every step file deleted: says no step names a flow now; opened again with no flow, a step
// file written: the flow is drawn. No page is reloaded but to open it. Each look at the Flows panel
// reads the header's step count too. Prints RESULT and the JSON of what it saw.
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { drive, openPage, openWorkbench, panelReady } from './workbench-page.mjs'

const [executablePath, base, outDir, project] = process.argv.slice(2)
const result = {}
const WAIT = { timeout: 30000 }
const stream = (name) => `exports.config = { name: '${name}', schema: { type: 'object' }, baseConfig: { storageType: 'default' } }\n`

const streamsView = (page) =>
  page.evaluate(() => ({
    notReloaded: window.notReloaded === true,
    hash: location.hash,
    listed: [...document.querySelectorAll('[data-stream]')].map((li) => li.dataset.stream),
    stream: document.querySelector('[data-stream].selected')?.dataset.stream ?? null,
    heading: document.querySelector('[data-group-items] h3')?.textContent ?? null,
    unknown: document.querySelector('[data-unknown-stream]')?.textContent ?? null,
    none: document.querySelector('[data-no-stream]')?.textContent ?? null,
  }))
const flowsView = (page) =>
  page.evaluate(() => ({
    notReloaded: window.notReloaded === true,
    hash: location.hash,
    tab: document.querySelector('.flow-tabs a.active')?.textContent ?? null,
    nodes: [...document.querySelectorAll('.node')].map((node) => node.dataset.step).sort(),
    selected: [...document.querySelectorAll('.node.selected')].map((node) => node.dataset.step),
    detail: document.querySelector('[data-detail]')?.dataset.detail ?? null,
    gone: document.querySelector('[data-flow-gone]')?.textContent ?? null,
    unknown: document.querySelector('[data-unknown-flow]')?.textContent ?? null,
    none: document.querySelector('[data-no-flow]')?.textContent ?? null,
    // the header's count of the project's steps, read as the panel draws what the reload changed
    steps: document.getElementById('health')?.textContent.match(/^(\d+) steps?\b/)?.[0] ?? null,
  }))
const marked = (page) => page.evaluate(() => (window.notReloaded = true))

await drive(executablePath, result, async (a) => {
  const b = await openPage(a.context().browser(), result)
  await openWorkbench(a, base, 'streams', '#/streams/later/g1')
  await openWorkbench(b, base, 'streams')
  await Promise.all([marked(a), marked(b)])
  result.before = { a: await streamsView(a), b: await streamsView(b) }
  await b.screenshot({ path: `${outDir}/workbench-no-stream-yet.png` })

  writeFileSync(`${project}/steps/notes.stream.js`, stream('notes'))
  await b.waitForSelector('[data-stream="notes"].selected', WAIT).catch(() => null)
  await a.waitForSelector('[data-stream="notes"]', WAIT).catch(() => null)
  result.notesAdded = { a: await streamsView(a), b: await streamsView(b) }

  writeFileSync(`${project}/steps/later.stream.js`, stream('later'))
  await a.waitForSelector('[data-stream="later"].selected', WAIT).catch(() => null)
  await a.waitForSelector('[data-group-items] h3', WAIT).catch(() => null)
  result.laterAdded = await streamsView(a)
  await a.screenshot({ path: `${outDir}/workbench-stream-appeared.png` })
  await b.close()

  // the flow shown gone as its one step, selected, moves to another flow: the panel follows it
  await openWorkbench(a, base, 'flows', '#/flows/side')
  await marked(a)
  await a.click('.node[data-step="Lone"]')
  await a.waitForSelector('[data-detail="Lone"]')
  const lone = `${project}/steps/lone.step.js`
  writeFileSync(lone, readFileSync(lone, 'utf8').replace("flows: ['side']", "flows: ['main']"))
  await a.waitForFunction(() => location.hash === '#/flows/main', null, WAIT).catch(() => null)
  await a.waitForSelector('.node[data-step="Lone"].selected', WAIT).catch(() => null)
  result.moved = await flowsView(a)

  // the flow shown gone, nothing selected: said so under its address; back, drawn again
  await a.evaluate(() => (location.hash = '#/flows/extra'))
  await a.waitForSelector('.node[data-step="Extra"]', WAIT)
  const extra = `${project}/steps/extra.step.js`
  const extraText = readFileSync(extra, 'utf8')
  unlinkSync(extra)
  await a.waitForSelector('[data-flow-gone]', WAIT).catch(() => null)
  result.deleted = await flowsView(a)
  await a.screenshot({ path: `${outDir}/workbench-flow-gone.png` })
  writeFileSync(extra, extraText)
  await a.waitForSelector('.node[data-step="Extra"]', WAIT).catch(() => null)
  result.back = await flowsView(a)

  await a.evaluate(() => (location.hash = '#/flows/nope'))
  await a.waitForSelector('[data-unknown-flow]', WAIT).catch(() => null)
  result.unknown = await flowsView(a)

  // no flow named (#/flows), every step naming one deleted: said that no step names a flow
  await a.evaluate(() => (location.hash = '#/flows'))
  await a.waitForSelector('.node', WAIT)
  for (const name of ['hello', 'lone', 'extra']) unlinkSync(`${project}/steps/${name}.step.js`)
  await a.waitForSelector('[data-no-flow]', WAIT).catch(() => null)
  result.noFlow = await flowsView(a)
  await a.screenshot({ path: `${outDir}/workbench-no-flow-now.png` })

  // the panel opened with no flow at all, a step naming one written: drawn without a reload
  await a.reload() // the same address: goto would not load the page again
  await panelReady(a, 'flows')
  await marked(a)
  result.noFlowOpened = await flowsView(a)
  writeFileSync(extra, extraText)
  await a.waitForSelector('.node[data-step="Extra"]', WAIT).catch(() => null)
  result.firstFlow = await flowsView(a)
})
