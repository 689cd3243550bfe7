// The Flows panel while the step selected is renamed, then the Endpoints panel while the step of the
// endpoint shown is renamed, then deleted, then written back, under `motia dev`, in headless
// Chromium, for tests/test_workbench.py:
//   node workbench-endpoint-gone-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR PROJECT
// Opens the flow "greeting", selects Hello and renames it Hi in its file (steps/hello.step.js), reads
// the step detail once the diagram shows Hi. Opens the endpoint Greet (steps/greet.step.js) and types in its form; renames the step Salute in
// its file and reads the panel once its address follows; deletes the file and reads the panel once
// it says the endpoint is gone; writes the file back and reads the form once it is drawn again. The
// page is never reloaded. Prints RESULT and the JSON of what it saw.
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { drive, openWorkbench } from './workbench-page.mjs'

const [executablePath, base, outDir, project] = process.argv.slice(2)
const result = {}
const file = `${project}/steps/greet.step.js`
const original = readFileSync(file, 'utf8')

const panel = (page) =>
  page.evaluate(() => ({
    notReloaded: window.notReloaded === true,
    hash: location.hash,
    listed: [...document.querySelectorAll('[data-endpoint]')].map((item) => item.dataset.endpoint),
    selected: [...document.querySelectorAll('[data-endpoint].selected')].map((item) => item.dataset.endpoint),
    gone: document.querySelector('[data-endpoint-gone]')?.textContent ?? null,
    send: document.querySelector('main button[type="submit"]') !== null,
    who: document.querySelector('[data-path-param="who"]')?.value ?? null,
    headers: document.querySelector('textarea[name="headers"]')?.value ?? null,
  }))

await drive(executablePath, result, async (page) => {
  await openWorkbench(page, base, 'flows', '#/flows/greeting')
  await page.evaluate(() => (window.notReloaded = true))
  await page.click('.node[data-step="Hello"]')
  await page.waitForSelector('[data-detail="Hello"]')
  const hello = `${project}/steps/hello.step.js`
  writeFileSync(hello, readFileSync(hello, 'utf8').replace("name: 'Hello'", "name: 'Hi'"))
  await page.waitForSelector('.node[data-step="Hi"]', { timeout: 30000 })
  result.flows = await page.evaluate(() => ({
    notReloaded: window.notReloaded === true,
    selected: [...document.querySelectorAll('.node.selected')].map((node) => node.dataset.step),
    detail: document.querySelector('[data-detail]')?.dataset.detail ?? null,
  }))

  await page.evaluate(() => (location.hash = '#/endpoints/Greet'))
  await page.waitForSelector('main[data-panel="endpoints"][data-ready="true"]')
  await page.fill('[data-path-param="who"]', 'Ada')
  await page.fill('textarea[name="headers"]', 'x-typed: kept')

  writeFileSync(file, original.replace("name: 'Greet'", "name: 'Salute'"))
  await page.waitForFunction(() => location.hash === '#/endpoints/Salute', null, { timeout: 30000 }).catch(() => null)
  result.renamed = await panel(page)

  unlinkSync(file)
  await page.waitForSelector('[data-endpoint-gone]', { timeout: 30000 }).catch(() => null)
  result.deleted = await panel(page)
  await page.screenshot({ path: `${outDir}/workbench-endpoint-gone.png` })

  writeFileSync(file, original)
  await page.waitForSelector('[data-path-param="who"]', { timeout: 30000 }).catch(() => null)
  result.back = await panel(page)
})
