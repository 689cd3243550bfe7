// The Flows panel while `motia dev` reloads a step added to the project, in headless Chromium, for
// tests/test_workbench.py:
//   node workbench-reload-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR PROJECT
// Opens the flow "greeting" (Hello -> said -> Audit), selects Audit, then writes a step that also
// subscribes to "said" into PROJECT/steps, and reads the diagram once it shows the new step, without
// a reload of the page; then, on the Endpoints panel, the endpoint Greet chosen and values typed in
// its form, writes an api step and reads the list once it shows it, then rewrites Greet's step (a
// query parameter replaced, a body field added) and reads its form once it has the new parameter.
// Prints RESULT and the JSON of what it saw.
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

const GREET_CHANGED = `
exports.config = {
  type: 'api', name: 'Greet', path: '/greet/:who', method: 'POST', emits: [],
  queryParams: [{ name: 'tone' }, { name: 'lang', description: 'a language' }],
  bodySchema: { type: 'object', properties: { greeting: { type: 'string' }, name: { type: 'string' } }, required: ['greeting', 'name'] },
}
exports.handler = async (req) => ({ status: 200, body: { who: req.pathParams.who, ...req.body } })
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
  await page.evaluate(() => (location.hash = '#/endpoints/Greet'))
  await page.waitForSelector('main[data-panel="endpoints"][data-ready="true"]')
  await page.fill('textarea[name="headers"]', 'x-typed: kept')
  await page.fill('[data-path-param="who"]', 'Ada')
  await page.fill('[data-query-param="old"]', 'gone')
  await page.fill('[data-query-param="tone"]', 'warm')
  writeFileSync(`${project}/steps/bye.step.js`, BYE)
  await page.waitForSelector('[data-endpoint="GET /bye"]', { timeout: 30000 })
  result.endpoints = await page.evaluate(() => ({
    notReloaded: window.notReloaded === true,
    listed: [...document.querySelectorAll('[data-endpoint]')].map((item) => item.dataset.endpoint),
    selected: [...document.querySelectorAll('[data-endpoint].selected')].map((item) => item.dataset.endpoint),
    typed: document.querySelector('textarea[name="headers"]').value,
  }))

  // Greet changed in its file while its form is open, the cursor in a field: the form follows
  writeFileSync(`${project}/steps/greet.step.js`, GREET_CHANGED)
  await page.waitForSelector('[data-query-param="lang"]', { timeout: 30000 }).catch(() => null)
  result.changed = await page.evaluate(() => {
    const value = (selector) => document.querySelector(selector)?.value ?? null
    let body = value('textarea[name="body"]')
    try {
      body = Object.keys(JSON.parse(body)).sort()
    } catch {}
    return {
      notReloaded: window.notReloaded === true,
      queryParams: [...document.querySelectorAll('[data-query-param]')].map((input) => input.dataset.queryParam),
      values: { who: value('[data-path-param="who"]'), tone: value('[data-query-param="tone"]'), lang: value('[data-query-param="lang"]'), headers: value('textarea[name="headers"]') },
      body,
      focused: document.activeElement?.dataset.field ?? null,
    }
  })
  await page.screenshot({ path: `${outDir}/workbench-endpoint-changed.png` })
})
