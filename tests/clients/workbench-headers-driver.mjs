// The headers of a request sent from the Endpoints form, in headless Chromium, for
// tests/test_workbench_headers.py:
//   node workbench-headers-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR ENDPOINT HEADERS_JSON
// Chooses ENDPOINT (e.g. "GET /whoami"), reads the headers box's placeholder, then sends the form once
// with each text of HEADERS_JSON (a JSON list of what a user types in the headers box). Prints RESULT
// and the JSON of what it saw: { placeholder, sends: [{ sent (the requests the page sent to the app),
// status (the answer's, if one is shown), body (the answer's body as shown), error (the error shown
// instead) }] }.
import { drive, openWorkbench } from './workbench-page.mjs'

const [executablePath, base, outDir, endpoint, texts] = process.argv.slice(2)
const result = { sends: [] }

await drive(executablePath, result, async (page) => {
  await openWorkbench(page, base, 'endpoints')
  await page.click(`[data-endpoint="${endpoint}"]`)
  const headers = page.locator('form[aria-label="request"] [data-field="headers"]')
  result.placeholder = await headers.getAttribute('placeholder')
  const sent = []
  page.on('request', (request) => {
    const url = new URL(request.url())
    if (!url.pathname.startsWith('/__motia/')) sent.push(`${request.method()} ${url.pathname}`)
  })
  for (const [index, text] of JSON.parse(texts).entries()) {
    sent.length = 0
    await page.evaluate(() => document.querySelector('.response')?.replaceChildren())
    await headers.fill(text)
    await page.click('form[aria-label="request"] button[type="submit"]')
    await page.waitForSelector('.response [data-status], .response > .error-text')
    await page.waitForTimeout(500) // a request the form would send has gone by then
    result.sends.push({
      sent: [...sent],
      ...(await page.evaluate(() => {
        const status = document.querySelector('.response [data-status]')
        const body = document.querySelector('.response pre.json')
        return {
          status: status ? Number(status.dataset.status) : null,
          body: status && body ? JSON.parse(body.textContent) : null,
          error: document.querySelector('.response > .error-text')?.textContent ?? null,
        }
      })),
    })
    await page.screenshot({ path: `${outDir}/workbench-headers-${index}.png` })
  }
})
