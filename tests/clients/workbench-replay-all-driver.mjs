// The Dead letters panel's Replay all, in headless Chromium, for tests/test_workbench.py:
//   node workbench-replay-all-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR TOPIC
// Opens the panel on an app with no dead letter and notes Replay all (disabled? its title), emits
// TOPIC (whose step fails for good), notes the button again once its letter is listed (the panel
// reads the list every 3 s), clicks it and notes the message. Prints RESULT and the JSON of what it
// saw: { empty: { disabled, title }, withLetter: { disabled, title }, replayed }.
import { drive, openWorkbench, timedFetch } from './workbench-page.mjs'

const [executablePath, base, outDir, topic] = process.argv.slice(2)
const result = {}
const button = (page) => page.$eval('[data-replay-all]', (b) => ({ disabled: b.disabled, title: b.title }))

await drive(executablePath, result, async (page) => {
  await openWorkbench(page, base, 'dead-letters')
  result.empty = await button(page)
  const emitted = await timedFetch(`${base}/__motia/emit`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ topic, data: { n: 'all' } }),
  })
  if (!emitted.ok) throw new Error(`emit ${topic}: HTTP ${emitted.status}`)
  await page.waitForSelector('[data-dead-letter]', { timeout: 20000 })
  result.withLetter = await button(page)
  await page.click('[data-replay-all]')
  await page.waitForFunction(() => document.querySelector('[data-message]').textContent.startsWith('replayed'), null, { timeout: 10000 })
  result.replayed = await page.textContent('[data-message]')
  await page.screenshot({ path: `${outDir}/workbench-replay-all.png` })
})
