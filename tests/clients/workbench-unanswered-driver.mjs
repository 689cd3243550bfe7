// A driver's own request to a server that never answers, for tests/test_workbench.py:
//   node workbench-unanswered-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR URL TIMEOUT_MS
// Asks URL (a port that listens and never answers) through timedFetch, given TIMEOUT_MS, as every
// driver asks the app for what it needs. Prints RESULT and the JSON of what it saw: its failure,
// naming the URL, and how long it waited (ms).
import { drive, timedFetch } from './workbench-page.mjs'

const [executablePath, , , url, timeout] = process.argv.slice(2)
const result = {}

await drive(executablePath, result, async () => {
  const started = Date.now()
  try {
    await timedFetch(url, { method: 'POST', body: '{}' }, Number(timeout))
  } finally {
    result.waitedMs = Date.now() - started
  }
})
