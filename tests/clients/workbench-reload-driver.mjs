// The Flows panel while `motia dev` reloads a step added to the project, in headless Chromium, for
// tests/test_workbench.py:
//   node workbench-reload-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR PROJECT
// Opens the flow "greeting" (Hello -> said -> Audit), selects Audit, then writes a step that also
// subscribes to "said" into PROJECT/steps, and reads the diagram once it shows the new step, without
// a reload of the page; then, on the Endpoints panel, writes an api step and reads the list once it
// shows it. Prints RESULT and the JSON of what it saw.
import { writeFileSync } from 'node:fs'
import { drive, openWorkbench } from './workbench-page.mjs'

const [executablePath, base, outDir, project] = process.argv.slice(2)
const result = {}
const NOTIFY = `
exports.config = { type: 'event', name: 'Notify', subscribes: ['said'], emits: [], flows: ['greeting'] }
exports.handler = async () => {}
`

const BYE = `
exports.config = { type: 'api', name: 'Bye', path: '/bye', method: 'GET', emits: [] }
exports.handler = async () => ({ status: 200, body: {} })
`

await drive(executablePath, result, async (page) => {
  await openWorkbench(page, base, 'flows', '#/flows/greeting')
  await page.click('.node[data-step="Audit"]')
  await page.waitForSelector('[data-detail="Audit"]')
  await page.evaluate(() => (window.notReloaded = true))
  writeFileSync(`${project}/steps/notify.step.js`, NOTIFY)
  await page.waitForSelector('.node[data-step="Notify"]', { timeout: 30000 })
  result.after = await page.evaluate(() => ({
    notReloaded: window.notReloaded === true,
    nodes: [...document.querySelectorAll('.node')].map((node) => node.dataset.step).sort(),
    edges: [...document.querySelectorAll('.edge')].map((edge) => `${edge.dataset.source}->${edge.dataset.target}`).sort(),
    selected: [...document.querySelectorAll('.node.selected')].map((node) => node.dataset.step),
    detail: document.querySelector('[data-detail]')?.dataset.detail,
    tab: document.querySelector('.flow-tabs a.active')?.textContent,
  }))
  await page.screenshot({ path: `${outDir}/workbench-flows-reloaded.png` })

  // the Endpoints panel, an endpoint chosen and a value typed in its form: an api step added is listed
  await page.evaluate(() => (location.hash = '#/endpoints'))
  await page.waitForSelector('main[data-panel="endpoints"][data-ready="true"]')
  await page.fill('textarea[name="headers"]', 'x-typed: kept')
  writeFileSync(`${project}/steps/bye.step.js`, BYE)
  await page.waitForSelector('[data-endpoint="GET /bye"]', { timeout: 30000 })
  result.endpoints = await page.evaluate(() => ({
    notReloaded: window.notReloaded === true,
    listed: [...document.querySelectorAll('[data-endpoint]')].map((item) => item.dataset.endpoint),
    selected: [...document.querySelectorAll('[data-endpoint].selected')].map((item) => item.dataset.endpoint),
    typed: document.querySelector('textarea[name="headers"]').value,
  }))
})
