// The header's health line of a server whose storage is lost (degraded), in headless Chromium, for
// tests/test_workbench.py:
//   node workbench-health-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR
// Opens the Runners panel (which reads no storage), waits for the line to say degraded, and lets it
// be read again a few times; prints RESULT and the JSON of what it saw, with the console's errors.
import { drive, openWorkbench } from './workbench-page.mjs'

const [executablePath, base, outDir] = process.argv.slice(2)
const result = {}
const READS = 3 // the line is read every 3 s

await drive(executablePath, result, async (page) => {
  result.reads = 0
  page.on('requestfinished', (request) => new URL(request.url()).pathname.endsWith('/health') && result.reads++)
  await openWorkbench(page, base, 'runners')
  await page.waitForSelector('#health[data-health="degraded"]', { timeout: 20000 })
  const start = result.reads
  while (result.reads < start + READS) await page.waitForTimeout(250)
  result.line = await page.textContent('#health')
  await page.screenshot({ path: `${outDir}/workbench-health-degraded.png` })
})
