// An endpoint's path parameters left empty, in headless Chromium, for tests/test_workbench.py:
//   node workbench-path-params-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR ENDPOINT VALUE
// Chooses ENDPOINT (e.g. "GET /ts/pets/:id") in the Endpoints panel and sends its form with its path
// parameters empty, then with each set to VALUE. Prints RESULT and the JSON of what it saw: the requests
// the page sent to the app each time (method and path), what the browser says of each empty parameter
// (its validation message), and the answer's status shown once they are filled in.
import { drive, openWorkbench } from './workbench-page.mjs'

const [executablePath, base, outDir, endpoint, value] = process.argv.slice(2)
const result = { empty: {}, filled: {} }

await drive(executablePath, result, async (page) => {
  await openWorkbench(page, base, 'endpoints')
  await page.click(`[data-endpoint="${endpoint}"]`)
  const sent = []
  page.on('request', (request) => {
    const url = new URL(request.url())
    if (!url.pathname.startsWith('/__motia/')) sent.push(`${request.method()} ${url.pathname}`)
  })
  const send = () => page.click('form[aria-label="request"] button[type="submit"]')
  await send()
  await page.waitForTimeout(1000) // a request the form would send has gone by then
  result.empty.sent = [...sent]
  result.empty.messages = await page.$$eval('[data-path-param]', (inputs) => Object.fromEntries(inputs.map((input) => [input.name, input.validationMessage])))
  await page.screenshot({ path: `${outDir}/workbench-path-params-empty.png` })
  sent.length = 0
  for (const input of await page.$$('[data-path-param]')) await input.fill(value)
  await send()
  await page.waitForSelector('.response [data-status]')
  result.filled.sent = [...sent]
  result.filled.status = Number(await page.getAttribute('.response [data-status]', 'data-status'))
})
