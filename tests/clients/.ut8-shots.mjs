import { chromium } from 'playwright-core'
const [url, out, ...panels] = process.argv.slice(2)
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] })
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
const errors = []
page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()) })
page.on('pageerror', (e) => errors.push(String(e)))
for (const p of panels) {
  await page.goto(`${url}/__motia/workbench#/${p}`)
  await page.waitForTimeout(2500)
  await page.screenshot({ path: `${out}/${p.replace(/\//g, '_')}.png` })
  const text = await page.evaluate(() => document.body.innerText)
  console.log(`=== ${p}\n${text.slice(0, 1500)}`)
}
console.log('ERRORS', JSON.stringify(errors))
await browser.close()
