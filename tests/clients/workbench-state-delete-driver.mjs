// A state value's Delete, asked about first, in headless Chromium, for tests/test_workbench.py:
//   node workbench-state-delete-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR GROUP KEPT GONE
// Opens GROUP in the State panel. KEPT's Delete double-clicked, then answered Cancel; clicked again and
// left with Escape. GONE's Delete reached and pressed with the keyboard only (Tab, Enter), its
// question answered Yes with the keyboard (Shift+Tab from Cancel, Enter). Prints RESULT and the JSON
// of what it saw: the question and the element focused once asked, the DELETE requests sent before
// each answer, the row and the element focused after each, and any dialog the page opened.
import { drive, openWorkbench } from './workbench-page.mjs'

const [executablePath, base, outDir, group, kept, gone] = process.argv.slice(2)
const result = { dialogs: [] }

await drive(executablePath, result, async (page) => {
  const deletes = []
  page.on('request', (r) => r.method() === 'DELETE' && deletes.push(new URL(r.url()).searchParams.get('key')))
  page.on('dialog', (dialog) => (result.dialogs.push(dialog.message()), dialog.dismiss()))
  await openWorkbench(page, base, 'state')
  await page.click(`[data-group="${group}"]`)
  await page.waitForSelector(`[data-delete="${gone}"]`, { timeout: 10000 })
  // what the row shows and what has the focus: a button by its text and the key of its row
  const seen = (key) =>
    page.evaluate((k) => {
      const row = document.querySelector(`[data-key="${k}"]`)
      const question = row && [...row.querySelectorAll('[data-asking]')].find((q) => !q.hidden)
      const focused = document.activeElement
      return {
        row: Boolean(row),
        asked: question ? question.firstElementChild.textContent : null,
        focused: focused?.closest('tr')?.dataset.key === k ? focused.textContent : focused?.tagName ?? null,
      }
    }, key)

  await page.dblclick(`[data-delete="${kept}"]`)
  result.asked = { ...(await seen(kept)), deletes: [...deletes] }
  await page.screenshot({ path: `${outDir}/workbench-state-delete.png` })
  await page.click(`[data-keep="${kept}"]`)
  result.cancelled = await seen(kept)
  await page.click(`[data-delete="${kept}"]`)
  await page.keyboard.press('Escape')
  result.escaped = { ...(await seen(kept)), deletes: [...deletes] }

  // the keyboard alone: Tab from the row's Edit to its Delete
  await page.focus(`[data-edit="${gone}"]`)
  await page.keyboard.press('Tab')
  await page.keyboard.press('Enter')
  result.keyboardAsked = { ...(await seen(gone)), deletes: [...deletes] }
  await page.keyboard.press('Shift+Tab')
  await page.keyboard.press('Enter')
  await page.waitForSelector(`[data-key="${gone}"]`, { state: 'detached', timeout: 10000 })
  result.deletes = deletes
})
