// The Endpoints panel's request form as a user first sees it, in headless Chromium, for
// tests/test_workbench.py:
//   node workbench-prefill-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR ENDPOINT...
// For each ENDPOINT ("POST /ts/pets", as the list names it): chooses it in a freshly opened panel,
// reads the body its form is prefilled with, and sends it as it is. Prints RESULT and the JSON of
// what it saw: for each endpoint, { prefilled: the body's text, status: the answer's status, body:
// the answer's body }.
import { drive, openWorkbench, wholeShot } from './workbench-page.mjs'

const [executablePath, base, outDir, ...endpoints] = process.argv.slice(2)
const result = { endpoints: {} }

await drive(executablePath, result, async (page) => {
  for (const endpoint of endpoints) {
    await openWorkbench(page, base, 'endpoints')
    await page.click(`[data-endpoint="${endpoint}"]`)
    const prefilled = await page.inputValue('textarea[name="body"]')
    await page.click('form[aria-label="request"] button[type="submit"]')
    await page.waitForSelector('.response [data-status]', { timeout: 20000 })
    result.endpoints[endpoint] = {
      prefilled,
      status: await page.getAttribute('.response [data-status]', 'data-status'),
      body: await page.textContent('.response .response-body'),
    }
  }
  await wholeShot(page, `${outDir}/workbench-prefilled.png`)
})
