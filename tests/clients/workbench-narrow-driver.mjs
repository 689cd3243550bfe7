// The Workbench in a narrow window (800 px wide, where the panels' lists go above what is chosen in
// them), in headless Chromium, for tests/test_workbench.py:
//   node workbench-narrow-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR ENDPOINT
// On every panel: the tabs the user cannot reach (not wholly in the window, or covered where they
// would be clicked), and the filters whose placeholder is cut; on the Traces panel, how its filters
// lie (rows, sticking out, overlapping), at 800 px and at 1280 px; on the Logs panel, the narrowest share
// of its line a message has; on both, with the longest step name chosen in the step filter (at 800 and
// 1280 px), the filter's tooltip, whether the name is cut in it and whether it sticks out of its row;
// on the Endpoints panel, ENDPOINT (a step's name, whose body is a pet)
// chosen in the list: whether its form's heading is in the window, and a pet created from it, the
// subscriptions and lines of its stream updates (the first synced item's change repeated after the
// sync), in the Traces panel, the language badges that wrapped away from their step's name, and in
// its trace, the steps whose name is cut in the timeline. Prints RESULT and the JSON of what it saw.
import { drive, openWorkbench, path, wholeShot } from './workbench-page.mjs'

const [executablePath, base, outDir, endpoint] = process.argv.slice(2)
const PANELS = ['flows', 'endpoints', 'traces', 'logs', 'state', 'streams', 'dead-letters', 'runners']
const result = { unreachableTabs: {}, cutPlaceholders: {} }

const unreachableTabs = (page) =>
  page.$$eval('#tabs a', (tabs) =>
    tabs
      .filter((tab) => {
        const box = tab.getBoundingClientRect()
        const room = tab.parentElement.getBoundingClientRect() // the tabs' row, which may clip them
        const inside = box.width > 0 && box.left >= room.left && box.right <= Math.min(room.right, innerWidth) && box.top >= 0 && box.bottom <= innerHeight
        return !inside || !tab.contains(document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2))
      })
      .map((tab) => tab.textContent),
  )

// a shown input's placeholder wider than the room for text inside it (its width less its padding)
const cutPlaceholders = (page) =>
  page.$$eval('main input[placeholder]', (inputs) => {
    const context = document.createElement('canvas').getContext('2d')
    return inputs
      .filter((input) => {
        const style = getComputedStyle(input)
        context.font = style.font
        const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)
        return input.placeholder && input.getClientRects().length && context.measureText(input.placeholder).width > room + 0.5
      })
      .map((input) => input.placeholder)
  })

// the Traces panel's filters, at the window's width: each one's width, the row it is on (1 the first),
// and those that stick out of the row, or overlap another
const traceFilters = (page) =>
  page.$eval('main[data-panel="traces"] .toolbar', (filters) => {
    const room = filters.getBoundingClientRect()
    const boxes = [...filters.children].map((filter) => [filter.getAttribute('aria-label'), filter.getBoundingClientRect()])
    // a row begins with a filter below the bottom of every filter before it
    let row = 0
    let bottom = -Infinity
    const rows = {}
    for (const [name, box] of boxes) {
      if (box.top >= bottom - 0.5) row += 1
      bottom = Math.max(bottom, box.bottom)
      rows[name] = row
    }
    const apart = (a, b) => a.right <= b.left + 0.5 || b.right <= a.left + 0.5 || a.bottom <= b.top + 0.5 || b.bottom <= a.top + 0.5
    return {
      rows,
      widths: Object.fromEntries(boxes.map(([name, box]) => [name, Math.round(box.width)])),
      roomWidth: Math.round(room.width),
      outside: boxes.filter(([, box]) => box.left < room.left - 0.5 || box.right > room.right + 0.5).map(([name]) => name),
      overlapping: boxes.flatMap(([name, box], i) => boxes.slice(i + 1).filter(([, other]) => !apart(box, other)).map(([other]) => `${name}/${other}`)),
    }
  })

// The panel's step filter (the Traces' menu, the Logs' field) with the longest step name chosen in
// it: the name, the control's tooltip, whether the name is cut in the closed control (wider than the
// room for text in it; a menu's arrow takes ARROW px of it) and whether the control sticks out of its
// row, or its row out of the panel.
const STEP_FILTER = 'main .toolbar [aria-label="step"]'
const ARROW = 20
const chooseLongestStep = async (page) => {
  const { name, menu } = await page.$eval(STEP_FILTER, (control) => {
    const menu = control.tagName === 'SELECT'
    const names = [...(menu ? control.options : control.list.options)].map((option) => option.value).filter(Boolean)
    return { name: names.sort((a, b) => b.length - a.length)[0], menu }
  })
  if (menu) await page.selectOption(STEP_FILTER, name)
  else {
    await page.fill(STEP_FILTER, name)
    await page.dispatchEvent(STEP_FILTER, 'change')
  }
}
const stepFilterShown = (page) =>
  page.$eval(
    STEP_FILTER,
    (control, arrow) => {
      const menu = control.tagName === 'SELECT'
      const name = menu ? control.selectedOptions[0].textContent : control.value
      const style = getComputedStyle(control)
      const context = document.createElement('canvas').getContext('2d')
      context.font = style.font
      const room = control.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - (menu ? arrow : 0)
      const [box, row, panel] = [control, control.parentElement, control.closest('main')].map((el) => el.getBoundingClientRect())
      return {
        name,
        title: control.title,
        cut: context.measureText(name).width > room + 0.5,
        outside: box.left < row.left - 0.5 || box.right > row.right + 0.5 || row.right > panel.right + 0.5,
      }
    },
    ARROW,
  )

let armed = false // once the pet is about to be created
await drive(executablePath, result, async (page) => {
  await page.setViewportSize({ width: 800, height: 900 })
  // (routed from the start: the page's one stream socket may be open before the pet is created)
  await page.routeWebSocket(path('/'), (ws) => {
    const server = ws.connectToServer()
    ws.onMessage((message) => server.send(message))
    server.onMessage((message) => {
      ws.send(message)
      const { streamName, groupId, event } = JSON.parse(message)
      if (!armed || result.repeated || streamName !== 'petCreation' || event?.type !== 'sync' || !Array.isArray(event.data) || !event.data.length) return
      const [item] = event.data
      result.repeated = item.id
      ws.send(JSON.stringify({ timestamp: Date.now(), streamName, groupId, id: item.id, event: { type: 'create', data: item } }))
    })
  })
  for (const panel of PANELS) {
    await openWorkbench(page, base, panel)
    const tabs = await unreachableTabs(page)
    if (tabs.length) result.unreachableTabs[panel] = tabs
    const cut = await cutPlaceholders(page)
    if (cut.length) result.cutPlaceholders[panel] = cut
    if (panel === 'logs') {
      await page.waitForSelector('.logs .line .message')
      // the narrowest share of its line a log message has
      result.logMessageShare = await page.$$eval('.logs .line', (lines) =>
        Math.min(...lines.map((line) => line.querySelector('.message').getBoundingClientRect().width / line.getBoundingClientRect().width)),
      )
      await chooseLongestStep(page)
      result.stepFilters.logs = { 800: await stepFilterShown(page) }
      await page.setViewportSize({ width: 1280, height: 900 })
      result.stepFilters.logs[1280] = await stepFilterShown(page)
      await page.setViewportSize({ width: 800, height: 900 })
    }
    if (panel === 'traces') {
      await page.waitForSelector('main[data-panel="traces"] .toolbar select')
      await chooseLongestStep(page)
      result.traceFilters = { 800: await traceFilters(page) }
      result.stepFilters = { traces: { 800: await stepFilterShown(page) } }
      await page.setViewportSize({ width: 1280, height: 900 })
      result.traceFilters[1280] = await traceFilters(page)
      result.stepFilters.traces[1280] = await stepFilterShown(page)
      await page.screenshot({ path: `${outDir}/workbench-traces-filters-1280.png` })
      await page.setViewportSize({ width: 800, height: 900 })
    }
    await page.screenshot({ path: `${outDir}/workbench-narrow-${panel}.png` })
  }
  await openWorkbench(page, base, 'endpoints')
  await page.click(`.endpoint-list li:has(.route .muted:text-is("${endpoint}"))`)
  const heading = page.locator('main .card h3').filter({ hasText: '/' }).first()
  await heading.waitFor()
  result.chosenHeading = await heading.evaluate((el) => {
    const box = el.getBoundingClientRect()
    return { text: el.textContent, inWindow: box.top >= 0 && box.bottom <= innerHeight }
  })
  await page.screenshot({ path: `${outDir}/workbench-narrow-endpoint.png` })

  // a pet created from there: its stream updates, one item a line (a group's sync too), each with the
  // stream and the item's id, its JSON as wide as the line. The change to a group's first item
  // made while the page subscribed comes after the sync too (sent again here, as the server does
  // when the change lands between the subscription and its sync's read).
  armed = true
  await page.fill('textarea[name="body"]', JSON.stringify({ name: 'Miso', species: 'cat', ageMonths: 3 }))
  await page.click('form[aria-label="request"] button[type="submit"]')
  await page.waitForSelector('.response [data-stream-event]', { timeout: 20000 })
  // every group its trace writes to followed, and updates as the workflow runs
  await page.waitForSelector('.response [data-stream-updates][data-following="done"]', { timeout: 20000 })
  result.rooms = Number(await page.getAttribute('.response [data-stream-updates]', 'data-rooms'))
  result.streamLines = await page.$$eval('.response [data-stream-event]:not([hidden])', (lines) =>
    lines.map((line) => {
      const message = line.querySelector('.message')
      return {
        kind: line.dataset.streamEvent,
        stream: line.children[2].textContent,
        id: line.children[3].textContent,
        // a "deleted" line (an item this request deleted before the page subscribed) has no item to
        // show: its message says so in words, not JSON
        oneItem: line.dataset.streamEvent === 'deleted' || !Array.isArray(JSON.parse(message.textContent)),
        widthShare: Math.round((message.getBoundingClientRect().width / line.getBoundingClientRect().width) * 100) / 100,
      }
    }),
  )
  await wholeShot(page, `${outDir}/workbench-narrow-stream-updates.png`)

  // the traces listed, its own among them: the language badges wrapped onto a line of their own,
  // away from the step's name (starting a line of the Steps cell)
  const traceId = await page.getAttribute('.response [data-trace-link]', 'data-trace-link')
  await openWorkbench(page, base, 'traces')
  await page.waitForSelector(`[data-trace="${traceId}"]`, { timeout: 20000 })
  result.badgesAlone = await page.$$eval('[data-trace] td:nth-child(3)', (cells) =>
    cells.flatMap((cell) => {
      const start = cell.getBoundingClientRect().left + parseFloat(getComputedStyle(cell).paddingLeft)
      return [...cell.querySelectorAll('.badge')].filter((badge) => badge.getBoundingClientRect().left - start < 1).map((badge) => cell.textContent)
    }),
  )

  // its trace: the steps' names in the timeline's labels, the names cut short
  await openWorkbench(page, base, 'traces', `#/traces/${traceId}`)
  await page.waitForSelector('main[data-panel="traces"] [data-span-label]', { timeout: 20000 })
  result.cutStepNames = await page.$$eval('[data-span-label]', (labels) =>
    labels.filter((label) => [...label.children].some((part) => part.scrollWidth > part.clientWidth + 0.5)).map((label) => label.dataset.spanLabel),
  )
  await page.screenshot({ path: `${outDir}/workbench-narrow-trace.png` })
})
