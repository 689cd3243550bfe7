// The Endpoints panel while the step of the endpoint shown is renamed, then deleted, then written
// back, under `motia dev`, in headless Chromium, for tests/test_workbench.py:
//   node workbench-endpoint-gone-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR PROJECT
// Opens the endpoint Greet (steps/greet.step.js) and types in its form; renames the step Salute in
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
  await openWorkbench(page, base, 'endpoints', '#/endpoints/Greet')
  await page.evaluate(() => (window.notReloaded = true))
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
