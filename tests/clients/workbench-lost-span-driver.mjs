// A settled trace's timeline with a lost span (its supervisor killed while it ran), in headless
// Chromium, for tests/test_scale_out.py:
//   node workbench-lost-span-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR TRACE_ID
// Opens TRACE_ID in the Traces panel. Prints RESULT and the JSON of what it saw: bars, each span's
// { status, right } (its bar's right edge, as a fraction of the timeline's width, to 3 places), in
// the order shown.
import { drive, openWorkbench, wholeShot } from './workbench-page.mjs'

const [executablePath, base, outDir, traceId] = process.argv.slice(2)
const result = {}

await drive(executablePath, result, async (page) => {
  await openWorkbench(page, base, 'traces', `#/traces/${traceId}`)
  await page.waitForSelector('[data-span-label] + .track [data-span]')
  result.bars = await page.$$eval('.track', (tracks) =>
    tracks.map((track) => {
      const bar = track.querySelector('[data-span]').getBoundingClientRect()
      const whole = track.getBoundingClientRect()
      const status = track.previousElementSibling.querySelector('.badge').textContent
      return { status, right: Math.round(((bar.right - whole.left) / whole.width) * 1000) / 1000 }
    }),
  )
  await wholeShot(page, `${outDir}/workbench-lost-span.png`)
})
