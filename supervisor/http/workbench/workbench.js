// The Motia Workbench: one page over the /__motia JSON API. Plain modules, no build step, no CDN.
// Each panel renders into <main> and returns a function that stops what it started (timers,
// EventSources) when another panel opens.

import { durationText, offsetText, tookText } from './durations.js'
import { operationText } from './operations.js'
import { exampleOf } from './prefill.js'

const API = '/__motia'
const LANG_SHORT = { typescript: 'TS', javascript: 'JS', python: 'PY' }

// ---------------------------------------------------------------- helpers

function h(tag, props, ...children) {
  const el = document.createElement(tag)
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value)
    else if (key === 'class') el.className = value
    else if (key === 'value') el.value = value
    else el.setAttribute(key, value === true ? '' : String(value))
  }
  append(el, children)
  return el
}

// A filter whose choice can be wider than the filter (a long step name in a narrow window, cut in the
// closed menu or field): its tooltip says it whole, as it is chosen or typed. Returns ``control``.
function titledByChoice(control) {
  const retitle = () => (control.title = control.tagName === 'SELECT' ? (control.selectedOptions[0]?.textContent ?? '') : control.value)
  control.addEventListener('change', retitle)
  control.addEventListener('input', retitle)
  retitle()
  return control
}

function fill(el, ...children) {
  el.replaceChildren()
  return append(el, children)
}

// Puts ``rows`` in ``el``, in order, leaving those already in place untouched: a live list refreshed
// under the pointer must not remove the row being clicked (a click pressed on an element that is
// removed before it is released goes to its parent).
function place(el, rows) {
  const keep = new Set(rows)
  for (const child of [...el.children]) if (!keep.has(child)) child.remove()
  let at = el.firstElementChild
  for (const row of rows) {
    if (at === row) at = at.nextElementSibling
    else el.insertBefore(row, at)
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue
    el.append(child instanceof Node ? child : String(child))
  }
  return el
}

const SVG_NS = 'http://www.w3.org/2000/svg'
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag)
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined) continue
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value)
    else el.setAttribute(key, String(value))
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) el.append(child)
  return el
}

class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `HTTP ${status}`)
    this.status = status
    this.body = body
  }
}

// A read (GET) that has no answer after ``timeout`` ms fails as no answer ('no answer in 10 s'),
// its request cancelled: a poll awaits each of its reads, and one that never answered (the server
// stalled, a connection lost without a word) would stop the poll for good, its panel showing neither
// new rows nor an error. Actions (POST, PUT, DELETE) wait for their answer, whatever it takes.
const READ_TIMEOUT_MS = 10000

async function api(path, { timeout = READ_TIMEOUT_MS, ...options } = {}) {
  const reading = (options.method || 'GET') === 'GET'
  const signal = reading ? AbortSignal.any([AbortSignal.timeout(timeout), ...(options.signal ? [options.signal] : [])]) : options.signal
  let response, text
  try {
    response = await fetch(API + path, { ...options, signal })
    text = await response.text()
  } catch (error) {
    if (error.name === 'TimeoutError') throw new Error(`no answer in ${timeout / 1000} s`)
    throw error
  }
  return bodyOf(response, text)
}

// The decoded JSON of ``response`` (its ``text`` as it is when it is not JSON); thrown as an ApiError
// when the response is one.
function bodyOf(response, text) {
  let body = null
  try {
    body = text ? JSON.parse(text) : null
  } catch {
    body = text
  }
  if (!response.ok) throw new ApiError(response.status, body)
  return body
}

// Why the server answered ``url`` (an event stream's) with an error: the ApiError (its message),
// or null when it answers it now (the request then cancelled) or does not answer.
async function refusalOf(url) {
  const cancel = new AbortController()
  try {
    const response = await fetch(url, { signal: AbortSignal.any([cancel.signal, AbortSignal.timeout(READ_TIMEOUT_MS)]) })
    if (response.ok) return null
    bodyOf(response, await response.text())
  } catch (error) {
    return error instanceof ApiError ? error : null
  } finally {
    cancel.abort()
  }
  return null
}

function query(params) {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== '') search.set(key, value)
  }
  const text = search.toString()
  return text ? `?${text}` : ''
}

// A list panel's filters live in its address (#/logs?traceId=...): Back from a trace opened from the
// list, a reload or a shared link shows the list as it was filtered. Writing them replaces the
// history entry (no entry per keystroke, no hashchange).
const listAddresses = {} // panel -> its latest address, for links back to it

function rememberFilters(panel, filters) {
  const address = `#/${panel}${query(filters)}`
  listAddresses[panel] = address
  if (location.hash !== address) history.replaceState(null, '', address)
}

function jsonBlock(value, extraClass) {
  return h('pre', { class: `json ${extraClass || ''}` }, JSON.stringify(value, null, 2))
}

function clock(ms) {
  const date = new Date(ms)
  return date.toLocaleTimeString([], { hour12: false }) + '.' + String(date.getMilliseconds()).padStart(3, '0')
}

// "1 step", "2 steps"
const counted = (count, noun) => `${count} ${noun}${count === 1 ? '' : 's'}`

function badge(text, kind) {
  return h('span', { class: `badge ${kind || text}` }, text)
}

function langBadge(language) {
  return badge(LANG_SHORT[language] || language || '?', language)
}

// Whether the server records traces and logs, as its first health report said (a panel that reads
// them asks nothing of a server that records none: each refusal would be a console error).
const TRACES_OFF = 'Traces and logs are not recorded: "tracing": {"enabled": false} in motia.config.json (or MOTIA_TRACING).'
const tracesRecorded = async () => (await firstHealth)?.traces !== false

function failure(root, error) {
  fill(root, h('p', { class: 'error-text' }, `Could not load: ${error.message}`))
}

// The reads of one view, of which only the latest shows: a refresh answered after a click's read must
// not undo it. ``read(request, show)`` hands the answer of ``request()`` to ``show`` and clears the
// view's error line ``errorEl``, or shows its failure there ('Could not load: …'), the view left as
// it was (``failed(error)`` first, for a view that must change with it). Nothing shows once
// ``signal`` (the view's) is aborted. A read resolves to what ``show`` returned, to false when it
// failed (a failed run of every: the health line is read), or to undefined when a later read
// overtook its answer or the view is gone.
function latestReads(errorEl, { signal, failed } = {}) {
  let reads = 0
  return async (request, show) => {
    const mine = ++reads
    let answer
    try {
      answer = await request()
    } catch (error) {
      if (signal?.aborted) return undefined
      if (mine === reads) {
        if (failed) failed(error)
        errorEl.textContent = `Could not load: ${error.message}`
      }
      return false
    }
    if (signal?.aborted || mine !== reads) return undefined
    errorEl.textContent = ''
    return show(answer)
  }
}

// Runs ``request`` with ``button`` disabled, unless it already is: a double click sends one request.
async function whileDisabled(button, request) {
  if (button.disabled) return
  button.disabled = true
  try {
    await request()
  } finally {
    button.disabled = false
  }
}

// One run of a poll that makes several reads: ``reads`` one after another (a null one skipped),
// stopping at the first that fails (resolves to false), which it resolves to: a poll that found the
// server gone makes no more failed reads before every's health gate.
const inTurn = (...reads) => async () => {
  for (const read of reads) if (read && (await read()) === false) return false
}

// Runs ``fn`` every ``ms`` ms (counted from the end of the run before) until the function returned
// is called. A run fails when ``fn`` throws or resolves to false (a read that shows its own error):
// the health line is then read at once, and while it says the server is unreachable or degraded the
// runs wait (whenServerHealthy), then run again at once. Each failed read is a console error of the
// browser's ("Failed to load resource"): a panel re-reading a server known down would log one every
// few seconds for as long as it is down, telling nothing the panel's error and the health line do not.
function every(ms, fn) {
  let stopped = false
  let timer = null
  const tick = async () => {
    if (stopped) return
    let failed
    try {
      failed = (await fn()) === false
    } catch (error) {
      failed = true
      console.warn('refresh failed', error)
    }
    if (failed && !stopped && (await readHealth()) !== 'ok') {
      await whenServerHealthy()
      return tick()
    }
    if (!stopped) timer = setTimeout(tick, ms)
  }
  timer = setTimeout(tick, ms)
  return () => {
    stopped = true
    clearTimeout(timer)
  }
}

// A trace followed while it may change (the Endpoints panel's answer, the Traces panel's timeline, the
// Flows panel's lighting): by its row (its summary, not its events: a listing by its whole id, which
// every store answers by a look-up of its key), read every TRACE_FOLLOW_MS while the trace runs (a
// delivery waiting for its delay or its retry included: the writes may come any moment); the whole
// trace is read again only when the row's `changes` moved (the batches written of the trace: its
// updatedAt, the latest time recorded, need not move for an operation one supervisor flushes after
// another flushed a later time of the same trace, on Redis) or its `updatedAt` did (a supervisor of
// an earlier version, during a rolling upgrade on Redis, writes batches without counting them in
// `changes`). Settled, a trace can still be written to: a dead letter of it replayed (from the Dead
// letters panel in another tab, or `motia dlq replay`) runs its step again in it. Its row is then
// read TRACE_FOLLOW_MS after it settled, each unchanged read waiting twice as long as the one
// before, up to TRACE_WATCH_MS (a user sees the replay within seconds, the server is asked less
// often than the health line asks); a row that changed has the trace read as at first.
const TRACE_FOLLOW_MS = 1000
const TRACE_WATCH_MS = 10000

// The reads of trace ``traceId`` (cancelled with ``signal``), each failure thrown as it came (a 404:
// no such trace): ``whole()``, the trace, its changes and updatedAt kept (``last``); ``row()``, its
// row (undefined: none listed, not recorded yet or gone); ``changed(row, since = last)``, whether the
// row (or a trace read whole) moved, its changes or its updatedAt, since the trace was read whole
// (always, before it was); ``next(row)``, the row (``row``, one a listing of several had, or read
// here) and, when it changed, the trace read whole: { row, trace }. Their schedule: ``due()``,
// whether the next read is due; ``read(settled)`` after each, ``settled`` when the trace was seen
// neither running nor changed (the reads then wait longer each time, up to TRACE_WATCH_MS).
function traceFollower(traceId, { signal } = {}) {
  const moved = (row, read) => row.changes !== read.changes || row.updatedAt !== read.updatedAt
  let last // the trace as last read whole: { changes, updatedAt }
  let watchWait = TRACE_FOLLOW_MS // settled: how long after its row's latest read it is read again
  let dueAt = 0 // ... and when
  const follower = {
    get last() {
      return last
    },
    async whole() {
      const trace = await api(`/traces/${encodeURIComponent(traceId)}`, { signal })
      last = { changes: trace.changes, updatedAt: trace.updatedAt }
      return trace
    },
    async row() {
      const { traces } = await api(`/traces${query({ traceId, limit: 1 })}`, { signal })
      return traces.find((listed) => listed.traceId === traceId)
    },
    changed: (row, since = last) => since === undefined || moved(row, since),
    async next(row) {
      row ??= await follower.row()
      return { row, trace: row && follower.changed(row) ? await follower.whole() : undefined }
    },
    due: () => Date.now() >= dueAt,
    read(settled) {
      if (!settled) {
        watchWait = TRACE_FOLLOW_MS
        dueAt = 0
        return
      }
      dueAt = Date.now() + watchWait
      watchWait = Math.min(2 * watchWait, TRACE_WATCH_MS)
    },
  }
  return follower
}

// An EventSource that goes quiet while the server is down: the browser's own reconnection would try
// again every few seconds for as long as it is, each attempt a console error. At its first error the
// source is closed and the health line read (the read the pollers share); it opens again, a moment
// later if the server is healthy (it only closed the stream), else as soon as the line sees it
// healthy again. ``address(again)`` is read at each opening (again: a reopening, which goes on from
// what was shown); ``listeners``: event name -> listener; ``opened()`` at each opening answered,
// ``lost()`` at each error, ``reconnected()`` after each reopening (to read again what went by
// meanwhile). An error the browser would not retry either (an answer that is no event stream)
// leaves the source closed: a refusal of the server's (a 4xx or 5xx: 404 'no step named …' for a
// step filter, after a restart without that step), which the browser does not say, is asked for
// again and given to ``refused(error)`` (its message), else ``lost()``.
const SOURCE_RETRY_MS = 2000 // as the server asks (retry: in its event streams)

function liveSource(address, listeners, { opened, lost, reconnected, refused } = {}) {
  let closed = false
  let source = null
  const open = (again) => {
    const mine = (source = new EventSource(address(again)))
    for (const [name, listener] of Object.entries(listeners)) mine.addEventListener(name, listener)
    if (opened) mine.addEventListener('open', opened)
    mine.addEventListener('error', async () => {
      if (mine.readyState === EventSource.CLOSED) {
        const refusal = refused ? await refusalOf(mine.url) : null
        if (closed) return
        if (refusal) refused(refusal)
        else if (lost) lost()
        return
      }
      if (lost) lost()
      mine.close()
      if ((await readHealth()) === 'ok') await new Promise((resolve) => setTimeout(resolve, SOURCE_RETRY_MS))
      else await whenServerHealthy()
      if (closed) return
      open(true)
      if (reconnected) reconnected()
    })
  }
  open(false)
  return () => {
    closed = true
    source.close()
  }
}

// The page's one WebSocket to the server's stream endpoint (ws://host/), shared by every stream
// subscription of the page: Chromium opens at most 6 HTTP/1.1 connections to a host, and an
// EventSource per stream followed (a request's answer follows the group its trace names in every
// stream) would take them all, the panels' reads and the health line's then waiting for one.
// ``subscribe(room, deliver)``: room { streamName, groupId, id? }; ``deliver(kind, message)`` gets
// each message of it (kind: sync, create, update, delete, event, error; the message as the server
// sent it: { timestamp, streamName, groupId[, id], event }), an item's changes reaching its group's
// subscriptions too (the server sends them once per socket). Returns what ends the subscription.
// The socket opens with the first subscription and closes with the last. Closed by the server or
// lost, it stays closed while the server is down (each attempt would be a console error), as a
// liveSource does: it opens again a moment later if the health line finds the server healthy, else
// once the line sees it healthy again, and joins every subscription again (each one's first message
// then a fresh sync).
const SOCKET_RETRY_MS = 2000

const streamSocket = (() => {
  const subscriptions = new Map() // subscription id -> { room, deliver }
  let socket = null
  let waiting = false // to open again, once the server is healthy
  let count = 0
  const send = (type, subscriptionId, room) => {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type, data: { ...room, subscriptionId } }))
  }
  const route = (message) => {
    const kind = message.event && message.event.type
    for (const { room, deliver } of subscriptions.values()) {
      if (message.streamName !== room.streamName || message.groupId !== room.groupId) continue
      const exact = (message.id ?? null) === (room.id ?? null)
      const itsGroups = room.id === undefined && message.id !== undefined && kind !== 'sync' && kind !== 'error'
      if (exact || itsGroups) deliver(kind, message)
    }
  }
  // (not while it connects: closed then, the browser logs an error; it closes once open)
  const closeIfUnused = () => {
    if (subscriptions.size || !socket || socket.readyState === WebSocket.CONNECTING) return
    const mine = socket
    socket = null
    mine.close()
  }
  const open = () => {
    const mine = (socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`))
    mine.addEventListener('open', () => {
      for (const [id, { room }] of subscriptions) send('join', id, room)
      closeIfUnused()
    })
    mine.addEventListener('message', (event) => {
      let message
      try {
        message = JSON.parse(event.data)
      } catch {
        return
      }
      if (socket === mine) route(message)
    })
    mine.addEventListener('close', async () => {
      if (socket !== mine) return // closed here: no subscription left
      socket = null
      waiting = true
      if ((await readHealth()) === 'ok') await new Promise((resolve) => setTimeout(resolve, SOCKET_RETRY_MS))
      else await whenServerHealthy()
      waiting = false
      if (subscriptions.size && !socket) open()
    })
  }
  return (room, deliver) => {
    const id = `workbench-${++count}`
    subscriptions.set(id, { room, deliver })
    if (!socket && !waiting) open()
    else send('join', id, room)
    return () => {
      if (!subscriptions.delete(id)) return
      send('leave', id, room)
      closeIfUnused()
    }
  }
})()

// ---------------------------------------------------------------- flows

// A layered layout (Sugiyama's, simplified), top to bottom: ranks by longest path from the entry
// points, each entry point then pulled down to just above the first step it feeds (so an api step
// that emits straight into an orchestrator sits beside that orchestrator's other feeders, not in one
// wide top row with long crossing edges); the order within each layer from barycentre sweeps, keeping
// the order with the fewest crossings; each node then shifted towards its neighbours. Steps with no
// edge in the flow sit in rows of their own below. Edges that go back up (cycles) curve around the
// right side.
const NODE_W = 204
const NODE_H = 62
const GAP_X = 30
const GAP_Y = 74
const LABEL_ROW = 18
const MARGIN = 24
const SWEEPS = 16

function layoutFlow(flow) {
  const ids = flow.steps.map((step) => step.name)
  const out = new Map(ids.map((id) => [id, []]))
  const incoming = new Map(ids.map((id) => [id, []]))
  for (const edge of flow.edges) {
    if (edge.source === edge.target || !out.has(edge.source) || !out.has(edge.target)) continue
    out.get(edge.source).push(edge.target)
    incoming.get(edge.target).push(edge.source)
  }
  const typeOrder = { api: 0, cron: 1, event: 2, noop: 3 }
  const byType = [...flow.steps].sort((a, b) => (typeOrder[a.type] ?? 9) - (typeOrder[b.type] ?? 9)).map((step) => step.name)
  const linked = byType.filter((id) => out.get(id).length || incoming.get(id).length)
  const loose = byType.filter((id) => !out.get(id).length && !incoming.get(id).length)

  // break cycles: edges back to a node still on the DFS stack do not rank
  const state = new Map()
  const forward = new Map(ids.map((id) => [id, []]))
  const visit = (node) => {
    state.set(node, 1)
    for (const next of out.get(node)) {
      if (state.get(next) === 1) continue
      forward.get(node).push(next)
      if (!state.has(next)) visit(next)
    }
    state.set(node, 2)
  }
  for (const id of linked) if (!incoming.get(id).length && !state.has(id)) visit(id)
  for (const id of linked) if (!state.has(id)) visit(id)
  const backward = new Map(ids.map((id) => [id, []]))
  for (const [source, targets] of forward) for (const target of targets) backward.get(target).push(source)

  const indegree = new Map(ids.map((id) => [id, backward.get(id).length]))
  const rank = new Map(linked.map((id) => [id, 0]))
  const ready = linked.filter((id) => indegree.get(id) === 0)
  while (ready.length) {
    const node = ready.shift()
    for (const next of forward.get(node)) {
      rank.set(next, Math.max(rank.get(next), rank.get(node) + 1))
      indegree.set(next, indegree.get(next) - 1)
      if (indegree.get(next) === 0) ready.push(next)
    }
  }
  for (const id of linked) {
    if (backward.get(id).length || !forward.get(id).length) continue
    rank.set(id, Math.min(...forward.get(id).map((next) => rank.get(next))) - 1)
  }
  const lowest = Math.min(0, ...rank.values())
  const layers = []
  for (const id of linked) (layers[rank.get(id) - lowest] ||= []).push(id)
  for (const id of linked) rank.set(id, rank.get(id) - lowest)
  for (let r = 0; r < layers.length; r++) layers[r] ||= []

  // order within layers: barycentres of the neighbours' positions (a fraction of their layer's width,
  // so that layers of different lengths compare), down and up, keeping the best order seen
  const position = new Map()
  const place = () => layers.forEach((layer) => layer.forEach((id, index) => position.set(id, (index + 0.5) / layer.length)))
  const crossings = () => {
    let count = 0
    for (let r = 0; r + 1 < layers.length; r++) {
      const pairs = []
      for (const id of layers[r]) for (const next of out.get(id)) if (rank.get(next) === r + 1) pairs.push([position.get(id), position.get(next)])
      for (const id of layers[r]) for (const prev of incoming.get(id)) if (rank.get(prev) === r + 1) pairs.push([position.get(id), position.get(prev)])
      for (let i = 0; i < pairs.length; i++)
        for (let j = i + 1; j < pairs.length; j++)
          if ((pairs[i][0] - pairs[j][0]) * (pairs[i][1] - pairs[j][1]) < 0) count++
    }
    return count
  }
  place()
  let best = layers.map((layer) => [...layer])
  let fewest = crossings()
  const neighbours = (id, down) => (down ? incoming.get(id) : out.get(id)).filter((n) => rank.get(n) !== rank.get(id))
  for (let sweep = 0; sweep < SWEEPS && fewest > 0; sweep++) {
    const down = sweep % 2 === 0
    const order = down ? layers.slice(1) : layers.slice(0, -1).reverse()
    for (const layer of order) {
      const keys = new Map(
        layer.map((id) => {
          const near = neighbours(id, down)
          return [id, near.length ? near.reduce((sum, n) => sum + position.get(n), 0) / near.length : position.get(id)]
        }),
      )
      layer.sort((a, b) => keys.get(a) - keys.get(b))
      layer.forEach((id, index) => position.set(id, (index + 0.5) / layer.length))
    }
    const now = crossings()
    if (now < fewest) {
      fewest = now
      best = layers.map((layer) => [...layer])
    }
  }
  best.forEach((layer, r) => (layers[r] = layer))

  // x: each node as near its neighbours' centre as the order and the gaps allow (a few passes)
  const pitch = NODE_W + GAP_X
  const widest = Math.max(1, ...layers.map((layer) => layer.length))
  const x = new Map()
  layers.forEach((layer) => layer.forEach((id, index) => x.set(id, (index + (widest - layer.length) / 2) * pitch)))
  for (let pass = 0; pass < 4; pass++) {
    const down = pass % 2 === 0
    for (const layer of down ? layers.slice(1) : layers.slice(0, -1).reverse()) {
      const wanted = layer.map((id) => {
        const near = neighbours(id, down)
        return near.length ? near.reduce((sum, n) => sum + x.get(n), 0) / near.length : x.get(id)
      })
      // keep the order and a gap: push right from the left, then left from the right, then average
      const right = []
      wanted.forEach((want, i) => right.push(i ? Math.max(want, right[i - 1] + pitch) : want))
      const left = []
      for (let i = wanted.length - 1; i >= 0; i--) left[i] = i < wanted.length - 1 ? Math.min(wanted[i], left[i + 1] - pitch) : wanted[i]
      layer.forEach((id, i) => x.set(id, (right[i] + left[i]) / 2))
    }
  }
  const xs = [...x.values()]
  const shift = xs.length ? -Math.min(...xs) : 0
  let graphWidth = xs.length ? Math.max(...xs) + shift + NODE_W : 0

  // steps with no edge: rows below the graph, as wide as it (at least three to a row)
  const perRow = Math.max(3, Math.floor((graphWidth + GAP_X) / pitch))
  const looseRows = []
  loose.forEach((id, index) => (looseRows[Math.floor(index / perRow)] ||= []).push(id))
  graphWidth = Math.max(graphWidth, ...looseRows.map((row) => row.length * pitch - GAP_X))
  const width = MARGIN * 2 + graphWidth + backEdgeRoom(flow.edges, rank)
  const coords = new Map()
  const graphLeft = MARGIN + (graphWidth - (xs.length ? Math.max(...xs) + shift + NODE_W : 0)) / 2
  // a layer sits lower when a step of it has many labelled edges coming in: their labels need rows
  // of their own in the gap above it, clear of the arrowheads at its bottom (three labels fitted the
  // gap until the arrows were kept clear too)
  const tops = [MARGIN]
  for (let r = 1; r < layers.length; r++) {
    const busiest = Math.max(0, ...layers[r].map((id) => backward.get(id).length))
    tops.push(tops[r - 1] + NODE_H + GAP_Y + LABEL_ROW * Math.max(0, busiest - 2))
  }
  layers.forEach((layer, r) => layer.forEach((id) => coords.set(id, { x: graphLeft + x.get(id) + shift, y: tops[r], rank: r })))
  const graphBottom = layers.length ? tops[layers.length - 1] + NODE_H + GAP_Y : MARGIN
  looseRows.forEach((row, i) => {
    const left = MARGIN + (graphWidth - (row.length * pitch - GAP_X)) / 2
    row.forEach((id, index) => coords.set(id, { x: left + index * pitch, y: graphBottom + i * (NODE_H + GAP_Y), rank: layers.length + i }))
  })
  const bottom = looseRows.length ? graphBottom + looseRows.length * (NODE_H + GAP_Y) : graphBottom
  const height = Math.max(MARGIN * 2, bottom - GAP_Y + MARGIN)
  return { coords, width, height, crossings: fewest }
}

// Room to the right of a diagram for the edges that go back up or across to a step of the same rank or
// above (``rank``: each step's rank by name), which run around the right side: none when there are none
const BACK_EDGE_ROOM = 80
function backEdgeRoom(edges, rank) {
  const back = edges.some((edge) => rank.has(edge.source) && rank.has(edge.target) && rank.get(edge.target) <= rank.get(edge.source) && edge.source !== edge.target)
  return back ? BACK_EDGE_ROOM : 0
}

// A flow laid out where Node Motia's Workbench left its steps (``saved``: the flow's positions in the
// project's motia-workbench.json, by step file, each the top-left corner of the step's box): the steps
// it names there, moved together so that the leftmost and highest sit at the margin; the others laid
// out as ever (layoutFlow), below them. A flow with no saved position is layoutFlow's alone. Ranks go by
// rows of steps whose boxes share some height: an edge into a lower row goes down from its source's
// bottom, any other around the right side, as in layoutFlow's layers.
function flowLayout(flow, saved) {
  const placed = new Map()
  for (const step of flow.steps) if (saved && saved[step.file]) placed.set(step.name, saved[step.file])
  if (!placed.size) return layoutFlow(flow)
  const left = Math.min(...[...placed.values()].map((at) => at.x))
  const top = Math.min(...[...placed.values()].map((at) => at.y))
  const coords = new Map([...placed].map(([name, at]) => [name, { x: MARGIN + at.x - left, y: MARGIN + at.y - top }]))
  const rest = flow.steps.filter((step) => !placed.has(step.name))
  if (rest.length) {
    const names = new Set(rest.map((step) => step.name))
    const below = Math.max(...[...coords.values()].map((at) => at.y)) + NODE_H + GAP_Y - MARGIN
    const others = layoutFlow({ ...flow, steps: rest, edges: flow.edges.filter((edge) => names.has(edge.source) && names.has(edge.target)) })
    for (const [name, at] of others.coords) coords.set(name, { x: at.x, y: at.y + below })
  }
  let rank = -1
  let rowBottom = -Infinity
  for (const at of [...coords.values()].sort((a, b) => a.y - b.y)) {
    if (at.y >= rowBottom) rank++
    rowBottom = at.y >= rowBottom ? at.y + NODE_H : Math.max(rowBottom, at.y + NODE_H)
    at.rank = rank
  }
  const ranks = new Map([...coords].map(([name, at]) => [name, at.rank]))
  const width = Math.max(...[...coords.values()].map((at) => at.x)) + NODE_W + MARGIN + backEdgeRoom(flow.edges, ranks)
  const height = Math.max(...[...coords.values()].map((at) => at.y)) + NODE_H + MARGIN
  return { coords, width, height }
}

// What a step answers: its route, its cron, the topics it subscribes to (one line each)
function nodeAnswers(step) {
  if (step.type === 'api') return [`${step.method} ${step.path}`]
  if (step.type === 'cron') return step.cron ? [step.cron] : []
  return (step.type === 'event' ? step.subscribes : step.virtualSubscribes) || []
}

// The line under a step's name, and the font size (px) it is drawn at to fit its box: what the step
// answers whole, in a smaller font down to SUB_SMALLEST; topics too many for that as the first and a
// count of the others (the edges name each, the node's tooltip lists them); a route too long even
// then cut, whole in the tooltip. A route cut at 32 characters hid which one it was
// (POST /ts/pets/:id/adoption-revi…).
const SUB_PX = 11
const SUB_SMALLEST = 8.5
const SUB_ROOM = NODE_W - 20
const SUB_CHAR = 0.56 // a character's width at 1 px of font, about, in the page's sans-serif
const fitsAt = (text) => Math.min(SUB_PX, SUB_ROOM / (text.length * SUB_CHAR))
function nodeSubtitle(step) {
  const answers = nodeAnswers(step)
  let text = answers.join(', ')
  if (answers.length > 1 && fitsAt(text) < SUB_SMALLEST) text = `${answers[0]} +${answers.length - 1} more`
  if (fitsAt(text) < SUB_SMALLEST) text = truncate(text, Math.floor(SUB_ROOM / (SUB_SMALLEST * SUB_CHAR)))
  return { text, px: Math.max(SUB_SMALLEST, Math.floor(fitsAt(text) * 10) / 10) }
}

function truncate(text, length) {
  return text.length > length ? text.slice(0, length - 1) + '…' : text
}

const LABEL_H = 16
// the room kept between two labels where the gap between layers has it: the labels of edges that share a
// step were placed 2 px apart (what a label keeps from a step's box, itself 3 px wider than the step),
// and read as one, overlapping; a crowded gap (three edges between two steps) falls back to 2 px
const LABEL_GAP = 4
const TIGHT_GAP = 2
// A label's box: its text's width as the page's font draws it, and room either side (a width guessed
// from its length, 6 px a character, let a wide font's text run past its box into the next label's)
let labelCanvas = null
function labelWidth(text) {
  labelCanvas ??= document.createElement('canvas').getContext('2d')
  labelCanvas.font = `11px ${getComputedStyle(document.body).fontFamily}`
  return Math.ceil(labelCanvas.measureText(text).width) + 10
}
// the longest label drawn whole: its box (6 px a character) narrower than a layer's pitch
const LABEL_CHARS = 34

// The box of an edge's label ``width`` wide on ``curve`` (a cubic Bézier's four points): the point
// along it nearest ``preferred`` (0..1) where the box covers nothing ``taken`` (steps, labels placed
// before: ``LABEL_GAP`` away from the labels, else ``TIGHT_GAP``); else nudged beside such a point, a
// little off its edge; else where it covers the least, marked ``squeezed`` (the layout left its gap too
// little room: the diagram says so on the edge).
function placeLabel(curve, preferred, width, taken) {
  const at = (t) => {
    const u = 1 - t
    const weights = [u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t]
    return [0, 1].map((axis) => weights.reduce((sum, weight, i) => sum + weight * curve[i][axis], 0))
  }
  const boxAt = ([x, y]) => ({ x: x - width / 2, y: y - LABEL_H / 2, w: width, h: LABEL_H })
  const covered = (box, apart) =>
    taken.reduce((area, other) => {
      const gap = other.step ? TIGHT_GAP : apart
      const w = Math.min(box.x + box.w, other.x + other.w) - Math.max(box.x, other.x) + gap
      const h = Math.min(box.y + box.h, other.y + other.h) - Math.max(box.y, other.y) + gap
      return w > 0 && h > 0 ? area + w * h : area
    }, 0)
  const along = Array.from({ length: 41 }, (_, i) => 0.05 + (i * 0.9) / 40).sort((a, b) => Math.abs(a - preferred) - Math.abs(b - preferred))
  const nudges = [[0, 0]]
  for (let step = 1; step <= 4; step++) nudges.push([0, -step * 5], [0, step * 5], [-step * 12, 0], [step * 12, 0])
  let best = null
  for (const apart of [LABEL_GAP, TIGHT_GAP]) {
    for (const [dx, dy] of nudges) {
      for (const t of along) {
        const [x, y] = at(t)
        const box = boxAt([x + dx, y + dy])
        const area = covered(box, apart)
        if (!area) return box
        if (!best || area < best.area) best = { box, area }
      }
    }
  }
  return { ...best.box, squeezed: true }
}

// Where each edge going down leaves its source and enters its target: a step's edges spread across
// its bottom (or top) edge in the order of the steps at their other ends, so that edges meeting at a
// busy step (the orchestrator) arrive side by side instead of in one point, their labels apart.
function downwardPorts(edges, coords) {
  const out = new Map()
  const into = new Map()
  const spread = (byStep, otherEnd, place) => {
    for (const [step, list] of byStep) {
      const at = coords.get(step)
      list.sort((a, b) => coords.get(otherEnd(a)).x - coords.get(otherEnd(b)).x)
      list.forEach((edge, i) => place.set(edge, at.x + (NODE_W * (i + 1)) / (list.length + 1)))
    }
  }
  const bySource = new Map()
  const byTarget = new Map()
  for (const edge of edges) {
    const from = coords.get(edge.source)
    const to = coords.get(edge.target)
    if (!from || !to || to.rank <= from.rank) continue
    if (!bySource.has(edge.source)) bySource.set(edge.source, [])
    if (!byTarget.has(edge.target)) byTarget.set(edge.target, [])
    bySource.get(edge.source).push(edge)
    byTarget.get(edge.target).push(edge)
  }
  spread(bySource, (edge) => edge.target, out)
  spread(byTarget, (edge) => edge.source, into)
  return { out, in: into }
}

// The x of a lane down which an edge from rank ``from`` to rank ``to`` (more than one layer apart)
// passes the steps of the layers between, when its ``curve`` would cross one of them; else null. The
// gap nearest the edge's ends that no step of those layers covers.
function detourLane(curve, from, to, coords) {
  const between = [...coords.values()].filter((at) => at.rank > from && at.rank < to)
  const clear = (x, pad) => between.every((at) => x < at.x - pad || x > at.x + NODE_W + pad)
  const crosses = Array.from({ length: 33 }, (_, i) => {
    const t = i / 32
    const u = 1 - t
    const weights = [u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t]
    return [0, 1].map((axis) => weights.reduce((sum, weight, k) => sum + weight * curve[k][axis], 0))
  }).some(([x, y]) => between.some((at) => x > at.x && x < at.x + NODE_W && y > at.y && y < at.y + NODE_H))
  if (!crosses) return null
  const ends = (curve[0][0] + curve[3][0]) / 2
  const lanes = between.flatMap((at) => [at.x - GAP_X / 2, at.x + NODE_W + GAP_X / 2]).filter((x) => clear(x, GAP_X / 2 - 1))
  return lanes.sort((a, b) => Math.abs(a - ends) - Math.abs(b - ends))[0] ?? null
}

// ``onMove(step, dx, dy)``: the step dragged that far (dragStep), its box left where it was let go
function drawFlow(flow, layout, onSelect, onMove) {
  const { coords, width, height } = layout
  const edges = s('g')
  const nodes = s('g')
  const svgEl = s(
    'svg',
    { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `flow ${flow.name}` },
    s('defs', {}, marker('arrow', '#343a40'), marker('arrow-virtual', '#adb5bd'), marker('arrow-conditional', '#ae3ec9')),
    edges,
    nodes,
  )
  const seen = new Map()
  const fanOut = new Map()
  const fanIn = new Map()
  for (const edge of flow.edges) {
    fanOut.set(edge.source, (fanOut.get(edge.source) || 0) + 1)
    fanIn.set(edge.target, (fanIn.get(edge.target) || 0) + 1)
  }
  const ports = downwardPorts(flow.edges, coords)
  // what a label must not cover: every step's box, every edge's arrowhead (a label nudged down off
  // its neighbour's covered the arrow into its step: which step the edge went to was hidden), then
  // each label placed before it
  const taken = [...coords.values()].map((at) => ({ x: at.x - 3, y: at.y - 3, w: NODE_W + 6, h: NODE_H + 6, step: true }))
  const paths = []
  for (const edge of flow.edges) {
    const from = coords.get(edge.source)
    const to = coords.get(edge.target)
    if (!from || !to) continue
    const pair = `${edge.source}->${edge.target}`
    const offset = (seen.get(pair) || 0) * 14
    seen.set(pair, (seen.get(pair) || 0) + 1)
    let curve // the path's four points (a cubic Bézier), where its label goes
    let preferred // where along it (0..1) its label reads best
    let d // the path drawn: the curve, or a detour of which the curve is the first bend
    if (to.rank > from.rank) {
      const x1 = ports.out.get(edge)
      const y1 = from.y + NODE_H
      const x2 = ports.in.get(edge)
      const y2 = to.y
      const bend = (y2 - y1) / 2
      curve = [[x1, y1], [x1, y1 + bend], [x2, y2 - bend], [x2, y2 - 2]]
      // where its edge is alone: near the target when the source fans out, near the source when
      // many edges meet at the target
      preferred = fanIn.get(edge.target) > 1 ? 0.22 : fanOut.get(edge.source) > 1 ? 0.78 : 0.5
      const lane = detourLane(curve, from.rank, to.rank, coords)
      if (lane !== null) {
        // an edge past the layers between its steps went straight through their steps (a flow whose
        // event step also skips a human approval gate: AnalyzeRisk -> CompleteOrder looked like it
        // ran through the gate): down a lane beside them instead, bending into it below the source
        // and out of it above the target
        const down = from.y + NODE_H + GAP_Y / 2
        const up = to.y - GAP_Y / 2
        curve = [[x1, y1], [x1, (y1 + down) / 2], [lane, (y1 + down) / 2], [lane, down]]
        d = `M${curve[0]} C${curve[1]} ${curve[2]} ${curve[3]} L${lane},${up} C${lane},${(up + y2) / 2} ${x2},${(up + y2) / 2} ${x2},${y2 - 2}`
        preferred = 0.5
      }
    } else {
      // back (or sideways) edge: around the right side
      const x1 = from.x + NODE_W
      const y1 = from.y + NODE_H / 2 + offset
      const x2 = to.x + NODE_W
      const y2 = to.y + NODE_H / 2 - offset
      const reach = Math.max(x1, x2) + 50 + offset
      curve = [[x1, y1], [reach, y1], [reach, y2], [x2 + 2, y2]]
      preferred = 0.5
    }
    const [p0, p1, p2, p3] = curve
    d ??= `M${p0} C${p1} ${p2} ${p3}`
    taken.push(arrowheadBox(to.rank > from.rank ? [ports.in.get(edge), to.y - 2] : [to.x + NODE_W + 2, to.y + NODE_H / 2 - offset], to.rank > from.rank))
    paths.push({ edge, curve, preferred, d })
  }
  for (const { edge, curve, preferred, d } of paths) {
    const text = edge.label || edge.topic
    const classes = ['edge', edge.virtual ? 'virtual' : '', edge.conditional ? 'conditional' : ''].join(' ')
    // whole up to the pet app's longest topics (30 characters): a label cut at its end hid which
    // topic it was (ts.pet.status.update.reques…); a longer one is cut, whole in the edge's title
    const label = truncate(edge.conditional ? `${text}?` : text, LABEL_CHARS)
    const box = placeLabel(curve, preferred, labelWidth(label), taken)
    taken.push(box)
    edges.append(
      s(
        'g',
        { class: classes, 'data-edge': edge.id, 'data-source': edge.source, 'data-target': edge.target, 'data-label-squeezed': box.squeezed ? 'true' : null },
        s('title', {}, `${edge.source} → ${edge.target}: ${edge.topic}${edge.virtual ? ' (virtual)' : ''}`),
        s('path', { d, 'marker-end': `url(#${edge.conditional ? 'arrow-conditional' : edge.virtual ? 'arrow-virtual' : 'arrow'})` }),
        s('rect', { x: box.x, y: box.y, width: box.w, height: box.h, rx: 3 }),
        s('text', { x: box.x + box.w / 2, y: box.y + 12, 'text-anchor': 'middle' }, label),
      ),
    )
  }
  // the view grown to hold every label, a detour's beside the outermost steps too (it was cut at the
  // diagram's edge)
  const left = Math.min(0, ...taken.map((box) => box.x - 4))
  const right = Math.max(width, ...taken.map((box) => box.x + box.w + 4))
  svgEl.setAttribute('width', right - left)
  svgEl.setAttribute('viewBox', `${left} 0 ${right - left} ${height}`)
  for (const step of flow.steps) {
    const at = coords.get(step.name)
    // a step whose file no longer loads (motia dev): drawn as it last loaded, marked, its error on click
    const sub = step.loadError ? { text: 'fails to load · click for why', px: SUB_PX } : nodeSubtitle(step)
    const group = s(
      'g',
      {
        class: `node type-${step.type}${step.loadError ? ' failing' : ''}`,
        'data-step': step.name,
        transform: `translate(${at.x},${at.y})`,
        tabindex: 0,
        onclick: () => onSelect(step),
        onkeydown: (event) => event.key === 'Enter' && onSelect(step),
        onpointerdown: onMove ? (event) => dragStep(event, at, (dx, dy) => onMove(step, dx, dy)) : null,
      },
      s('rect', { width: NODE_W, height: NODE_H, rx: 8 }),
      s('text', { class: 'kind', x: 10, y: 16 }, step.type.toUpperCase()),
      s('text', { class: `lang ${step.language}`, x: NODE_W - 10, y: 16, 'text-anchor': 'end' }, LANG_SHORT[step.language] || step.language),
      // a long name is squeezed to fit its box rather than cut
      s('text', { class: 'title', x: 10, y: 35, ...(step.name.length > 21 ? { textLength: NODE_W - 20, lengthAdjust: 'spacingAndGlyphs' } : {}) }, truncate(step.name, 30)),
      // as long as its room at most: a text a little wider than estimated is squeezed into it
      s('text', { class: 'sub', x: 10, y: 52, style: `font-size: ${sub.px}px`, ...(sub.px < SUB_PX ? { textLength: SUB_ROOM, lengthAdjust: 'spacingAndGlyphs' } : {}) }, sub.text),
      s('title', {}, [`${step.name} (${step.type}, ${step.language}) ${step.file}`, ...nodeAnswers(step), ...(step.loadError ? [step.loadError] : []), ...(step.loadFix ? [`fix: ${step.loadFix}`] : [])].join('\n')),
    )
    nodes.append(group)
  }
  return svgEl
}

// A step's box dragged, as in Node Motia's Workbench, which saves where its nodes are left: the box
// follows the pointer (its edges drawn again once it is let go), and ``moved`` is told by how much, in
// the diagram's units, unless it moved less than DRAG_PX (a click, which selects the step either way).
const DRAG_PX = 4
function dragStep(event, at, moved) {
  if (event.button !== 0) return
  const group = event.currentTarget
  const scale = group.ownerSVGElement.getScreenCTM()?.a || 1
  let dx = 0
  let dy = 0
  let dragging = false
  const follow = (move) => {
    dx = (move.clientX - event.clientX) / scale
    dy = (move.clientY - event.clientY) / scale
    dragging ||= Math.hypot(dx, dy) * scale >= DRAG_PX
    if (dragging) group.setAttribute('transform', `translate(${at.x + dx},${at.y + dy})`)
  }
  const letGo = () => {
    window.removeEventListener('pointermove', follow)
    window.removeEventListener('pointerup', letGo)
    if (dragging) moved(dx, dy)
  }
  window.addEventListener('pointermove', follow)
  window.addEventListener('pointerup', letGo)
}

// The arrowhead drawn at an edge's ``end``, pointing down into a step's top (``down``) or left into its
// right side (a back edge): marker() at the edges' stroke width, its tip ARROW_TIP of its length past
// the end point; the box a little wider than the arrow, as a step's is.
const ARROW_PX = 7 * 1.6 // markerWidth in units of the stroke width (.edge path's 1.6)
const ARROW_TIP = 0.1
function arrowheadBox([x, y], down) {
  const back = ARROW_PX * (1 - ARROW_TIP) + 1
  const ahead = ARROW_PX * ARROW_TIP
  const half = ARROW_PX / 2 + 1
  return down ? { x: x - half, y: y - back, w: 2 * half, h: back + ahead, step: true } : { x: x - ahead, y: y - half, w: back + ahead, h: 2 * half, step: true }
}

function marker(id, color) {
  return s(
    'marker',
    { id, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
    s('path', { d: 'M0,0 L10,5 L0,10 z', fill: color }),
  )
}

// A step's schemas, each under its own heading: what its input or body must be, what it answers
const SCHEMAS = [
  ['input', 'Input schema'],
  ['bodySchema', 'Body schema'],
  ['responseSchema', 'Response schema'],
]

function stepDetail(step) {
  const { id, name, type, language, file, description, flows, loadError, loadFix, ...config } = step
  const schemas = SCHEMAS.filter(([key]) => config[key])
  for (const [key] of schemas) delete config[key]
  return h(
    'div',
    { class: 'card', 'data-detail': name },
    h('h3', {}, name, ' ', langBadge(language)),
    loadError ? [h('p', { class: 'error-text' }, `${file} no longer loads: the step is drawn as it last loaded and runs nothing until its file loads again.`), h('pre', { class: 'stack wrap', 'data-step-load-error': name }, loadError), loadFix ? h('p', { class: 'load-fix', 'data-load-fix': name }, h('strong', {}, 'fix: '), loadFix) : null] : null,
    description ? h('p', {}, description) : null,
    h(
      'dl',
      { class: 'kv' },
      h('dt', {}, 'type'),
      h('dd', {}, type),
      h('dt', {}, 'file'),
      h('dd', {}, h('code', {}, file)),
      h('dt', {}, 'flows'),
      h('dd', {}, (flows || []).join(', ')),
    ),
    type === 'api' ? h('p', {}, h('a', { href: `#/endpoints/${encodeURIComponent(name)}` }, 'Try it in Endpoints →')) : null,
    h('h3', {}, 'Config'),
    jsonBlock(config),
    schemas.map(([key, title]) => [h('h3', {}, title), h('div', { 'data-schema': key }, jsonBlock(step[key]))]),
  )
}

// The flows, read again every 2 s: in `motia dev` a step added, changed or removed is drawn as the
// server reloads it, the step selected staying selected (its detail read again) while it exists. The
// panel polls once a second (LOOK_MS, for traces to light its nodes), reading the flows every other time.
// The flow the address names no longer there (its last step moved to another flow, deleted, or no
// longer loading), the panel follows the step selected to the flow it moved to, its address replaced;
// nothing selected (or the step gone too), it says the flow is gone under the address that named it,
// and draws the flow again if it comes back. A flow never seen is said so by name, as a stream is.
const FLOWS_READ_EVERY = 2

async function flowsPanel(root, flowId) {
  // none yet is shown as none any more is (flowMissing), and polled alike: a step given a flow in
  // `motia dev` is drawn (the panel opened with no flow said so until the page was reloaded)
  let { flows, loadProblems } = await api('/flows')
  // the positions Node Motia's Workbench saved, by flow (read once: the server reads its file at start)
  const saved = Object.fromEntries((await api('/workbench/layout')).flows.map((flow) => [flow.id, flow.config]))
  if (flowId === '') flowId = undefined
  const problemsBox = h('div', {})
  const hint = h('p', { class: 'muted' }, 'Click a step to see its config, schemas and file.')
  const detail = h('div', {}, hint)
  const tabs = h('div', { class: 'flow-tabs' })
  const diagramBox = h('div', { class: 'diagram' })
  const moveProblem = h('p', { class: 'error-text', 'data-move-problem': '', hidden: true })
  const shown = { flow: null, diagram: null } // what the lighting follows
  let selected = null // the name of the step whose detail is shown
  let selectedFile = null // and its file, where a rename of it is found (renamedIn)
  let seen = false // whether the flow named was drawn here: gone, or never there
  const select = (step) => {
    selected = step.name
    selectedFile = step.file
    for (const node of shown.diagram.querySelectorAll('.node')) node.classList.toggle('selected', node.dataset.step === step.name)
    fill(detail, stepDetail(step))
  }
  const unselect = () => {
    selected = null
    fill(detail, hint)
  }
  // the flow the step selected is in now, when the flow shown is gone (by name, or renamed in its file)
  const movedTo = (before) => {
    if (selected === null) return undefined
    const everyStep = flows.flatMap((flow) => flow.steps)
    const now = everyStep.find((step) => step.name === selected) || renamedIn(everyStep, before, { file: selectedFile })
    return now && flows.find((flow) => flow.steps.some((step) => step.name === now.name))
  }
  const draw = () => {
    const before = shown.flow ? shown.flow.steps : []
    let flow = flowId === undefined ? flows[0] : flows.find((f) => f.id === flowId)
    if (!flow && seen) {
      flow = movedTo(before)
      if (flow) {
        flowId = flow.id
        history.replaceState(null, '', addressOf('flows', flowId))
      }
    }
    fill(tabs, flows.map((f) => h('a', { href: addressOf('flows', f.id), class: flow && f.id === flow.id ? 'active' : '' }, `${f.name} (${f.steps.length})`)))
    fill(problemsBox, unloadedFiles(loadProblems || []))
    if (!flow) {
      shown.flow = null
      shown.diagram = null
      fill(diagramBox, flowMissing(flowId, seen))
      if (selected !== null) unselect()
      return
    }
    seen = true
    shown.flow = flow
    const layout = flowLayout(flow, saved[flow.id])
    shown.diagram = drawFlow(flow, layout, select, (step, dx, dy) => moveStep(flow, layout, step, dx, dy))
    fill(diagramBox, shown.diagram)
    const still = selected === null ? undefined : flow.steps.find((step) => step.name === selected) || renamedIn(flow.steps, before, { file: selectedFile })
    if (still) select(still)
    else if (selected !== null) unselect()
  }
  // a step dragged: every step's place saved as Node Motia's Workbench saves it (the flow's whole
  // config, each step's box's corner by its file, the handle sides the file gave kept), and drawn there
  const moveStep = async (flow, layout, moved, dx, dy) => {
    const before = saved[flow.id] || {}
    const config = {}
    for (const step of flow.steps) {
      const at = layout.coords.get(step.name)
      const by = step.name === moved.name ? [dx, dy] : [0, 0]
      config[step.file] = { ...before[step.file], x: Math.round(at.x + by[0]), y: Math.round(at.y + by[1]) }
    }
    try {
      await api(`/flows/${encodeURIComponent(flow.id)}/config`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: flow.id, config }) })
      saved[flow.id] = config
      moveProblem.hidden = true
    } catch (error) {
      moveProblem.textContent = `Not saved: ${error.message}`
      moveProblem.hidden = false
    }
    draw()
  }
  draw()
  root.append(h('h2', {}, 'Flows'), tabs, problemsBox, moveProblem, h('div', { class: 'flow-layout' }, h('div', {}, diagramBox, legend()), detail))
  let drawn = JSON.stringify({ flows, loadProblems })
  let looks = 0
  const readFlows = async () => {
    if (looks++ % FLOWS_READ_EVERY) return
    const fresh = await api('/flows')
    const text = JSON.stringify({ flows: fresh.flows, loadProblems: fresh.loadProblems })
    if (text === drawn) return
    drawn = text
    flows = fresh.flows
    loadProblems = fresh.loadProblems
    await healthAfterReload()
    draw()
  }
  const lighting = await lightUpAsTracesRun(shown)
  // one poll: no look for traces on a server the flows' read found gone (nor the other way round)
  const stopReading = every(LOOK_MS, inTurn(readFlows, lighting && lighting.look))
  return () => {
    stopReading()
    if (lighting) lighting.stop()
  }
}

// The files that did not load and are drawn in no flow (one broken since `motia dev` started is drawn
// in its flows as it last loaded, marked): the steps they define are missing from the diagrams, which
// only the header's count of load problems said
function unloadedFiles(problems) {
  if (!problems.length) return null
  return h(
    'div',
    { class: 'card', 'data-load-problems': problems.length },
    h('p', { class: 'error-text' }, `${counted(problems.length, 'file')} did not load: the steps ${problems.length > 1 ? 'they define' : 'it defines'} are missing from the flows.`),
    // each with the fix the dev log's start-up summary prints under it, where one is known
    problems.map((problem) =>
      h(
        'div',
        { 'data-load-problem': problem.file },
        h('code', {}, problem.file),
        h('pre', { class: 'stack wrap' }, problem.error),
        problem.fix ? h('p', { class: 'load-fix', 'data-load-fix': '' }, h('strong', {}, 'fix: '), problem.fix) : null,
      ),
    ),
  )
}

// What the Flows panel shows in place of the diagram of ``flowId``, a flow the server does not list:
// gone since it was drawn (``seen``), or never there (an address typed or shared); no flow named
// (#/flows), there is none any more
function flowMissing(flowId, seen) {
  if (flowId === undefined) return h('p', { class: 'empty', 'data-no-flow': '' }, 'No step names a flow now (the "flows" field of a step config).')
  const text = seen
    ? `Flow '${flowId}' is no longer in the project: no step names it in "flows" now (its steps moved to another flow, were deleted, or no longer load; the header counts load problems). Choose another flow; it shows here again if it comes back.`
    : `no flow named '${flowId}' (a step naming it in "flows" shows here)`
  return h('p', { class: seen ? 'empty error-text' : 'empty', [seen ? 'data-flow-gone' : 'data-unknown-flow']: flowId }, text)
}

// Nodes light up as traces run through them. Every second (the panel's poll runs the look), the
// traces updated since the last look that ran a step of the flow (the newest few), and those with a
// step lit still running, are followed by their rows (traceFollower: the newest traces' listing has
// theirs), each read whole only when its row moved; each
// span not seen yet lights its step's node, one after another in the order the spans started,
// LIGHT_STEP_MS apart (a trace that went through four steps within a second is seen going through
// them, not as four nodes lit at once): a span still running keeps its node lit until it is seen
// ended, then the node stays lit LIT_MS more.
// ``shown``: the flow and its diagram, as drawn now. Returns the look and what stops the lighting, or
// null when the server records no trace.
const LOOK_MS = 1000
const LIGHT_STEP_MS = 250
const LIT_MS = 1500
const TRACES_LIT_PER_LOOK = 5

async function lightUpAsTracesRun(shown) {
  const inFlow = (name) => Boolean(shown.flow?.steps.some((step) => step.name === name))
  const nodeOf = (name) => shown.diagram.querySelector(`[data-step="${CSS.escape(name)}"]`)
  const lighting = new Map() // node -> how many spans light it
  const timers = new Set()
  const later = (ms, fn) => {
    const timer = setTimeout(() => {
      timers.delete(timer)
      fn()
    }, ms)
    timers.add(timer)
  }
  const lightUp = (node, traceId) => {
    lighting.set(node, (lighting.get(node) || 0) + 1)
    node.dataset.litBy = traceId // the trace that lit it last
    node.classList.add('lit')
  }
  const lightDown = (node) => {
    const left = (lighting.get(node) || 1) - 1
    if (left > 0) return lighting.set(node, left)
    lighting.delete(node)
    node.classList.remove('lit')
  }
  const seen = new Set() // span ids queued or lit
  const running = new Map() // span id -> { node, traceId }: lit until seen ended
  const queue = [] // spans to light: { spanId, node, traceId, ended }
  let pumping = false
  const pump = () => {
    const next = queue.shift()
    if (!next) {
      pumping = false
      return
    }
    pumping = true
    lightUp(next.node, next.traceId)
    if (next.ended) later(LIT_MS, () => lightDown(next.node))
    else running.set(next.spanId, next)
    later(LIGHT_STEP_MS, pump)
  }
  const followers = new Map() // trace id -> its follower (traceFollower), for the traces looked at
  // ``row``: the trace's, in the listing of the newest (undefined: not in it, its row read by its id)
  const look = async (traceId, row) => {
    let follower = followers.get(traceId)
    if (!follower) followers.set(traceId, (follower = traceFollower(traceId)))
    let trace
    try {
      trace = (await follower.next(row)).trace
    } catch {
      return // gone (retention) or not readable now: the next look tries again if it changed
    }
    if (!trace) return // not changed since it was read whole (or not listed)
    for (const span of trace.spans) { // by start, as the server lists them
      // a lost span (its supervisor or runner died) ends where the server says it got to
      const ended = span.endedAt !== null && span.endedAt !== undefined
      if (!seen.has(span.spanId)) {
        const node = inFlow(span.step) ? nodeOf(span.step) : null
        if (!node) continue
        seen.add(span.spanId)
        queue.push({ spanId: span.spanId, node, traceId, ended })
      } else if (ended && running.has(span.spanId)) {
        const { node } = running.get(span.spanId)
        running.delete(span.spanId)
        later(LIT_MS, () => lightDown(node))
      } else if (ended) {
        const queued = queue.find((entry) => entry.spanId === span.spanId)
        if (queued) queued.ended = true
      }
    }
  }
  if (!(await tracesRecorded())) return null
  const newestTraces = async () => (await api(`/traces${query({ limit: 20 })}`)).traces
  const lastUpdate = (traces) => Math.max(0, ...traces.map((trace) => trace.updatedAt))
  // what ran before the diagram opened does not light (the server's clock, not the browser's)
  let recorded = true // not when the server records no trace (404): then it is not asked again
  const unrecorded = (error) => {
    if (error.status === 404) recorded = false
  }
  let since = await newestTraces().then(lastUpdate, (error) => {
    unrecorded(error)
    return Date.now()
  })
  let stopped = false
  const lookForTraces = async () => {
    if (!recorded || stopped) return
    let traces
    try {
      traces = await newestTraces()
    } catch (error) {
      unrecorded(error) // or the trace store is down: nothing lights meanwhile
      return false
    }
    const newest = lastUpdate(traces)
    if (seen.size > 10_000) for (const spanId of seen) if (!running.has(spanId)) seen.delete(spanId)
    // updated since the last look (or, looked at before, changed where its updatedAt did not move)
    const moved = (trace) => trace.updatedAt > since || Boolean(followers.get(trace.traceId)?.changed(trace))
    const fresh = traces.filter((trace) => moved(trace) && trace.steps.some((step) => inFlow(step.name)))
    since = Math.max(since, newest)
    const ids = new Set(fresh.slice(0, TRACES_LIT_PER_LOOK).map((trace) => trace.traceId))
    for (const { traceId } of running.values()) ids.add(traceId)
    const listed = new Map(traces.map((trace) => [trace.traceId, trace]))
    // a trace neither listed nor running is looked at no more (it left the newest: it started before them)
    for (const traceId of followers.keys()) if (!ids.has(traceId) && !listed.has(traceId)) followers.delete(traceId)
    for (const traceId of ids) {
      await look(traceId, listed.get(traceId))
      if (stopped) return
    }
    if (!pumping) pump()
  }
  const stop = () => {
    stopped = true
    for (const timer of timers) clearTimeout(timer)
  }
  return { look: lookForTraces, stop }
}

function legend() {
  return h(
    'div',
    { class: 'legend' },
    h('span', {}, '■ api (green) · event (blue) · cron (orange) · noop (magenta, dashed)'),
    // as Motia's docs say: real connections (emits/subscribes) dark solid lines, virtual ones gray dashed
    h('span', {}, h('span', { class: 'key-edge' }, '—'), ' topic (dark, solid) · ', h('span', { class: 'key-edge virtual' }, '- -'), ' virtual (grey, dashed) · purple: conditional'),
  )
}

// ---------------------------------------------------------------- endpoints

function pathParams(path) {
  return [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((match) => match[1])
}

// An HTTP header name (RFC 9110's token): what fetch accepts, checked here so that a wrong one is named
// with its line instead of fetch's bare "Invalid name".
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

// The headers typed in the Endpoints form: `name: value` lines, or a JSON object of them (what users
// paste from their code or Motia's docs). Throws an Error naming what is wrong and where.
function parseHeaders(text) {
  if (/^\s*[[{]/.test(text)) {
    let parsed
    try {
      parsed = JSON.parse(text)
    } catch (error) {
      throw new Error(`Headers: not valid JSON (${error.message}); write a JSON object or name: value lines`)
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('Headers: a JSON object of names and values, or name: value lines')
    const headers = {}
    for (const [name, value] of Object.entries(parsed)) {
      if (!HEADER_NAME.test(name)) throw new Error(`Headers: "${name}" is not a header name`)
      if (value !== null && typeof value === 'object') throw new Error(`Headers: the value of "${name}" is not a string`)
      headers[name] = String(value)
    }
    return headers
  }
  const headers = {}
  text.split('\n').forEach((line, index) => {
    if (!line.trim()) return
    const at = line.indexOf(':')
    const name = line.slice(0, Math.max(at, 0)).trim()
    if (at <= 0 || !HEADER_NAME.test(name)) throw new Error(`Headers, line ${index + 1}: "${line.trim()}" is not name: value`)
    headers[name] = line.slice(at + 1).trim()
  })
  return headers
}

// The api steps, read again every 2 s: in `motia dev` an endpoint added, changed or removed is listed
// as the server reloads it. The form shown stays, with what is typed in it; the endpoint shown
// changed, its form is drawn again (new fields, the body prefilled from its new schema), keeping what
// the user typed in each field that is still there, the field being typed in, and the answer shown.
const ENDPOINTS_REFRESH_MS = 2000
const apiSteps = (steps) =>
  steps.filter((step) => step.type === 'api').sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method))

async function endpointsPanel(root, selectedName) {
  let endpoints = apiSteps((await api('/steps')).steps)
  if (!endpoints.length) {
    root.append(h('p', { class: 'empty' }, 'No api step is loaded.'))
    return null
  }
  let selected = endpoints.find((step) => step.name === selectedName) || endpoints[0]
  const list = h('ul', { class: 'list endpoint-list', 'aria-label': 'endpoints' })
  const filter = h('input', { type: 'search', placeholder: 'filter by path or name', 'aria-label': 'filter endpoints' })
  const form = h('div', {})
  // the request and answer of the endpoint shown, closed when it goes (another endpoint chosen, the
  // panel left): its requests' stream subscriptions close, or never open if still being set up
  let exchange = null
  // what was typed in the form of the endpoint shown when its step went from the project (its file
  // deleted, or no longer loading): kept for its return; null while it is there
  let goneWith = null
  const renderList = () => {
    const text = filter.value.toLowerCase()
    fill(list, 
      ...endpoints
        .filter((step) => !text || `${step.method} ${step.path} ${step.name}`.toLowerCase().includes(text))
        .map((step) =>
          h(
            'li',
            {
              class: step.name === selected.name ? 'selected' : '',
              'data-endpoint': `${step.method} ${step.path}`,
              onclick: () => {
                selected = step
                goneWith = null
                history.replaceState(null, '', `#/endpoints/${encodeURIComponent(step.name)}`)
                renderList()
                renderForm()
              },
            },
            h('span', { class: `method ${step.method}` }, step.method),
            h('span', { class: 'route', title: `${step.method} ${step.path} · ${step.name}` }, h('span', {}, step.path), h('span', { class: 'muted' }, step.name)),
          ),
        ),
    )
  }
  const renderForm = () => {
    if (exchange) closeExchange(exchange)
    exchange = { response: h('div', { class: 'response' }), following: null }
    fill(form, ...endpointForm(selected, exchange, new Map()))
  }
  const redrawForm = (typed = typedIn(form)) => {
    const focused = form.contains(document.activeElement) ? document.activeElement : null
    fill(form, ...endpointForm(selected, exchange, typed))
    const again = focused && focused.dataset.field && form.querySelector(`[data-field="${CSS.escape(focused.dataset.field)}"]`)
    if (again) {
      again.focus()
      again.setSelectionRange(focused.selectionStart, focused.selectionEnd)
    }
  }
  filter.addEventListener('input', renderList)
  root.append(h('h2', {}, 'Endpoints'), h('div', { class: 'split wide-list' }, h('div', { class: 'card' }, filter, list), form))
  renderList()
  renderForm()
  let listed = JSON.stringify(endpoints)
  const stopReading = every(ENDPOINTS_REFRESH_MS, async () => {
    const fresh = apiSteps((await api('/steps')).steps)
    const text = JSON.stringify(fresh)
    if (text === listed) return
    listed = text
    await healthAfterReload()
    const before = endpoints
    endpoints = fresh
    const now = fresh.find((step) => step.name === selected.name) || renamedIn(fresh, before, selected)
    if (!now) {
      // the form of a step no longer there sent requests to a route nothing answered, and said nothing
      renderList()
      if (goneWith) return
      goneWith = typedIn(form)
      fill(form, endpointGone(selected))
      return
    }
    if (now.name !== selected.name) history.replaceState(null, '', `#/endpoints/${encodeURIComponent(now.name)}`)
    const changed = goneWith || JSON.stringify(now) !== JSON.stringify(selected)
    selected = now
    renderList()
    if (changed) redrawForm(goneWith || undefined)
    goneWith = null
  })
  return () => {
    stopReading()
    closeExchange(exchange)
  }
}

// The api step of ``fresh`` that ``step`` became when renamed in its file: the one new step (not in
// ``before``) of the same file, or undefined
function renamedIn(fresh, before, step) {
  const added = fresh.filter((other) => other.file === step.file && !before.some((old) => old.name === other.name))
  return added.length === 1 ? added[0] : undefined
}

// What the Endpoints panel shows in place of the form of ``step`` once it is gone from the project
function endpointGone(step) {
  return h(
    'div',
    { class: 'card', 'data-endpoint-gone': step.name },
    h('h3', {}, `${step.method} ${step.path} · ${step.name}`),
    h('p', { class: 'error-text' }, `${step.name} is no longer in the project: ${step.file} was deleted, or no longer defines it, or no longer loads (the header counts load problems). Choose another endpoint; it shows here again if it comes back.`),
  )
}

// What the user typed in the fields of ``form``: field (data-field) -> value, for each field whose
// value is not the one it was drawn with
const typedIn = (form) =>
  new Map([...form.querySelectorAll('[data-field]')].filter((field) => field.value !== field.defaultValue).map((field) => [field.dataset.field, field.value]))

const closeExchange = (exchange) => exchange.following && exchange.following.abort()

// The request form of api ``step``, its fields holding what was ``typed`` (field -> value; see
// typedIn) where they are the same. ``exchange``: the request sent from the form shown and its answer,
// { response: the element showing it, following: the AbortController of the latest }, which go on
// when the form is drawn again for the endpoint changed: a request, and then the live updates of its
// answer, go on until another request is sent or ``exchange`` is closed (closeExchange): a request
// still in flight is then cancelled.
function endpointForm(step, exchange, typed) {
  const params = pathParams(step.path)
  // required: sent empty, the path lost its segment (POST /webhooks/orders//approve) and the app's 404
  // named no step, not the parameter left out
  const paramInputs = params.map((name) => h('input', { name, 'data-path-param': name, 'data-field': `path:${name}`, placeholder: name, required: true }))
  const declared = (step.queryParams || []).map((param) => (typeof param === 'string' ? { name: param } : param))
  const queryInputs = declared.map((param) => h('input', { 'data-query-param': param.name, 'data-field': `query:${param.name}`, placeholder: param.description || '' }))
  const extraQuery = h('input', { name: 'query', 'data-field': 'query', placeholder: 'a=1&b=2' })
  const hasBody = !['GET', 'HEAD'].includes(step.method)
  const headers = h(
    'textarea',
    { rows: 2, name: 'headers', 'data-field': 'headers', 'aria-label': 'headers', placeholder: 'authorization: Bearer …  (name: value, one a line, or a JSON object)' },
    hasBody ? 'content-type: application/json' : '',
  )
  const body = h(
    'textarea',
    { rows: 8, name: 'body', 'data-field': 'body', 'aria-label': 'body' },
    hasBody ? JSON.stringify(exampleOf(step.bodySchema) ?? {}, null, 2) : '',
  )
  for (const field of [...paramInputs, ...queryInputs, extraQuery, headers, body]) {
    if (typed.has(field.dataset.field)) field.value = typed.get(field.dataset.field)
  }
  const { response } = exchange
  const send = h('button', { type: 'submit' }, 'Send')
  const submit = async (event) => {
    event.preventDefault()
    if (exchange.following) exchange.following.abort()
    const mine = (exchange.following = new AbortController())
    let sentHeaders
    try {
      sentHeaders = parseHeaders(headers.value)
    } catch (error) {
      fill(response, h('p', { class: 'error-text', 'data-headers-error': '' }, error.message))
      return
    }
    let path = step.path
    for (const input of paramInputs) path = path.replace(`:${input.name}`, encodeURIComponent(input.value))
    const search = new URLSearchParams(extraQuery.value)
    for (const input of queryInputs) if (input.value) search.set(input.dataset.queryParam, input.value)
    const url = path + (search.toString() ? `?${search}` : '')
    send.disabled = true
    const started = performance.now()
    try {
      const answer = await fetch(url, { method: step.method, headers: sentHeaders, body: hasBody ? body.value : undefined, signal: mine.signal })
      const text = await answer.text()
      const took = performance.now() - started
      let parsed = text
      try {
        parsed = text ? JSON.parse(text) : ''
      } catch {}
      const traceId = answer.headers.get('x-trace-id')
      const streams = h('div', {})
      fill(response, 
        h(
          'div',
          { class: 'status-line' },
          h('strong', { 'data-status': answer.status }, `${answer.status} ${answer.statusText}`),
          h('span', { class: 'muted', 'data-time': '' }, tookText(took)),
          traceId ? h('a', { href: `#/traces/${traceId}`, 'data-trace-link': traceId }, `trace ${traceId.slice(-8)} →`) : null,
        ),
        h('h3', {}, 'Headers'),
        h('table', {}, [...answer.headers].map(([name, value]) => h('tr', {}, h('td', {}, name), h('td', {}, value)))),
        h('h3', {}, 'Body'),
        typeof parsed === 'string' ? h('pre', { class: 'json', 'data-body': '' }, parsed) : jsonBlock(parsed, 'response-body'),
        streams,
      )
      await followStreams(streams, parsed, traceId, mine.signal)
    } catch (error) {
      // cancelled: the panel was left, another endpoint chosen or another request sent
      if (!mine.signal.aborted) fill(response, h('p', { class: 'error-text' }, String(error)))
    } finally {
      send.disabled = false
    }
  }
  return [
    h(
      'div',
      { class: 'card' },
      h('h3', {}, h('span', { class: `method ${step.method}` }, step.method), ' ', step.path, ' ', langBadge(step.language)),
      step.description ? h('p', {}, step.description) : null,
      h('p', { class: 'muted' }, step.name, ' · ', h('code', {}, step.file)),
      h(
        'form',
        { onsubmit: submit, 'aria-label': 'request' },
        params.length ? h('h3', {}, 'Path parameters') : null,
        params.map((name, index) => h('label', { class: 'field' }, h('span', {}, name), paramInputs[index])),
        h('h3', {}, 'Query'),
        declared.map((param, index) => h('label', { class: 'field', 'data-query-label': param.name }, h('span', {}, param.name, param.description ? h('span', { class: 'muted' }, ` · ${param.description}`) : null), queryInputs[index])),
        h('label', { class: 'field' }, h('span', {}, 'more query parameters'), extraQuery),
        h('h3', {}, 'Headers'),
        headers,
        hasBody ? [h('h3', {}, 'Body (JSON)'), body] : null,
        h('p', {}, send),
      ),
      response,
      step.bodySchema ? [h('h3', {}, 'Body schema'), jsonBlock(step.bodySchema)] : null,
      step.responseSchema ? [h('h3', {}, 'Response schema'), jsonBlock(step.responseSchema)] : null,
    ),
  ]
}

function findMarkers(value, found = [], depth = 0) {
  if (!value || typeof value !== 'object' || depth > 4) return found
  if (value.__motia && value.__motia.streamName) found.push(value.__motia)
  for (const child of Array.isArray(value) ? value : Object.values(value)) findMarkers(child, found, depth + 1)
  return found
}

// The stream operations that write (a trace records reads too: streams.get, getGroup)
const STREAM_WRITES = new Set(['streams.set', 'streams.delete', 'streams.send'])
// How long a request's trace is still read (TRACE_FOLLOW_MS: traceFollower) for the streams it writes
// to once it stopped running (not updated meanwhile): a delivery it caused may still be recorded, or
// an item's write reach the trace after its update reached the page. Then, while the answer is shown,
// its row is watched (traceFollower's settled reads), a replay may write to a group not followed yet.
const TRACE_SETTLE_MS = 3000
// A live update the trace has not recorded the write of, in a read made this long after it came, is
// another request's (the trace's records are written in batches, after the update is sent)
const WRITE_RECORDED_MS = 1500
// A trace still not found this long after the answer (its records lost, or retention) is read no more
const TRACE_MISSING_MS = 10000

const streamKey = (...parts) => parts.map((part) => part ?? '').join('\n')
const roomName = (room) => [room.streamName, room.groupId, room.id].filter((part) => part !== undefined).join('/')

// The live updates of what the answer points at: a stream item it returned (its __motia marker), and
// each stream's group the request's trace writes to, followed as the trace records the write (its
// row read every TRACE_FOLLOW_MS while it runs, and TRACE_SETTLE_MS after, then less often up to
// TRACE_WATCH_MS; the trace read whole when the row changed); until ``until`` is aborted, which
// may be before they are set up (the read of the trace in flight is cancelled). A subscription's
// first message (its sync) holds the items there when the page subscribed: each one the trace
// recorded this request writing is shown at the time it was written ("written"), in order with the
// updates that came live after; the others, items of a shared group other requests wrote (every
// intake's on the shelter's board), are not shown, but counted. An item the trace recorded this
// request deleting before the page subscribed, which no sync can show, has a line of its own
// ("deleted", at the time of the delete). A live update is marked when the
// trace says this request did not write it. (data-rooms: the subscriptions open, data-synced: those
// of them synced, data-following: "trace" while the trace is read, then "done", while its row is
// watched.)
async function followStreams(container, body, traceId, until) {
  const markers = findMarkers(body)
  if (!markers.length && !traceId) return
  const list = h('div', { class: 'logs', 'data-stream-updates': '', 'data-rooms': 0, 'data-synced': 0, 'data-following': traceId ? 'trace' : 'done' })
  const following = h('p', { class: 'muted', 'data-following-text': '' })
  const others = h('p', { class: 'muted', 'data-others': 0, hidden: true })
  // a read of the trace that failed (not one not written yet): said until a read succeeds
  const failure = h('p', { class: 'error-text', 'data-streams-error': '', hidden: true })
  container.append(
    h('h3', {}, 'Stream updates'),
    following,
    h('p', { class: 'muted' }, 'written, deleted: by this request before the page subscribed, at the time its trace recorded the write; there: in the group when the page subscribed; create, update, delete, event: arrived live; changed, deleted: found changed or gone when the page subscribed again (a change it missed), at that time'),
    failure,
    list,
    others,
  )
  const rooms = new Map() // stream, group[, id] -> { room, close, synced, syncedAt, answer, written }
  // stream, group, item id -> the writes the trace recorded of it: { at (ms, when it was done), name,
  // found (a delete's: whether there was an item to delete) }
  const writes = new Map()
  // the lines: { key, sync, deleted (a delete the trace recorded before the page subscribed), kind,
  // at, arrived, seq, el and its parts }
  const entries = []
  const lastSync = new Map() // stream, group, item id -> its JSON as a sync showed it
  let reading = Boolean(traceId) // the trace still read for the streams it writes to
  let readSince = 0 // the time the latest trace read applied began
  let attributable = Boolean(traceId) // a trace says which items this request wrote (none: tracing off)
  const mine = (entry) => writes.has(entry.key)
  // An item this request deleted before the page subscribed to its group: the group's sync does not
  // have it, no live update will come; its line is the trace's (once the group or item is synced).
  const addDeleted = () => {
    for (const [key, done] of writes) {
      const [streamName, groupId, id] = key.split('\n')
      if (!id || entries.some((entry) => entry.key === key && (entry.sync || entry.deleted))) continue
      const room = rooms.get(streamKey(streamName, groupId, undefined)) || rooms.get(key)
      if (!room || !room.synced) continue
      const before = done.filter((write) => write.at <= room.syncedAt).sort((a, b) => a.at - b.at)
      const last = before[before.length - 1]
      if (!last || last.name !== 'streams.delete' || last.found === false) continue
      const entry = newEntry(room.room, id, 'deleted by this request before the page subscribed', { key, sync: false, deleted: true, kind: 'deleted', arrived: last.at })
      entry.message.classList.add('muted')
    }
  }
  const render = () => {
    addDeleted()
    let hiddenOthers = 0
    for (const entry of entries) {
      const times = (writes.get(entry.key) || []).map((write) => write.at)
      if (entry.deleted) {
        entry.at = entry.arrived
      } else if (entry.sync) {
        // before the page subscribed: its latest write then
        const before = times.filter((time) => time <= entry.arrived)
        entry.at = before.length ? Math.max(...before) : times.length ? Math.min(...times) : entry.arrived
        // an item no trace says this request wrote (yet): there when the page subscribed, shown only
        // when that cannot be known (no trace)
        entry.kind = times.length ? 'written' : 'there'
        entry.el.hidden = !times.length && attributable
        if (entry.el.hidden && !reading) hiddenOthers++
      } else {
        entry.at = entry.arrived
        // a change found by a sync again is this request's if its trace recorded a write of the item
        // between the line before and that sync
        const written = entry.after !== undefined ? (writes.get(entry.key) || []).some((write) => write.at > entry.after && write.at <= entry.arrived) : mine(entry)
        const another = attributable && !written && (!reading || readSince > entry.arrived + WRITE_RECORDED_MS)
        entry.el.classList.toggle('elsewhere', another) // (which the page says beside its item's id)
      }
      entry.kindEl.textContent = entry.kind
      entry.timeEl.textContent = clock(entry.at)
      entry.el.dataset.at = String(entry.at)
      entry.el.dataset.streamEvent = entry.kind
    }
    place(list, [...entries].sort((a, b) => a.at - b.at || a.seq - b.seq).map((entry) => entry.el))
    others.hidden = !hiddenOthers
    others.dataset.others = String(hiddenOthers)
    others.textContent = `${counted(hiddenOthers, 'item')} already in these groups, not written by this request: not shown.`
    const open = [...rooms.values()]
    list.dataset.rooms = String(open.length)
    list.dataset.synced = String(open.filter((kept) => kept.synced).length)
    list.dataset.following = reading ? 'trace' : 'done'
    const named = open.map((kept) => `${roomName(kept.room)}${kept.written ? ' (written by this request)' : kept.answer ? " (the answer's item)" : ''}`)
    following.textContent = [
      named.length ? `following ${named.join(', ')}` : reading ? '' : attributable ? 'This request wrote to no stream.' : 'The answer points at no stream item (no trace says what the request wrote).',
      reading ? 'reading its trace for the streams it writes to' : '',
    ].filter(Boolean).join('; ')
  }
  const line = (room, kind, id, item, sync) => {
    const key = streamKey(room.streamName, room.groupId, id)
    const text = JSON.stringify(item)
    if (sync) {
      lastSync.set(key, text)
      // A sync of an item already shown (the group followed after the answer's item, the socket
      // joined again after it was lost): its lines stay as they were, each at its own time. One that
      // changed since its latest line (while no subscription had it: a change the page missed) gets
      // a line of its own at the time this sync came ("changed"). Written into the earlier line, the
      // later value stood under an earlier write's time; as a sync line of its own, it took the
      // latest write of this request before it, an earlier one when another request changed it.
      const shown = entries.filter((entry) => entry.key === key && !entry.deleted)
      if (shown.length) {
        const latest = shown[shown.length - 1]
        if (latest.message.textContent !== text) newEntry(room, id, text, { key, sync: false, kind: 'changed', arrived: Date.now(), after: latest.arrived })
        return
      }
    } else if (lastSync.has(key)) {
      // a change made while the page subscribed comes both in the sync and after it
      const repeated = lastSync.get(key) === text
      lastSync.delete(key)
      if (repeated) return
    }
    newEntry(room, id, text, { key, sync, kind: sync ? 'written' : kind, arrived: Date.now() })
  }
  // An item shown that a sync of its room does not have (the socket lost, it was deleted meanwhile:
  // no live delete came) gets a line of its own at the time this sync came ("deleted"), as a change
  // the page missed gets its "changed" line.
  const missed = (room, synced) => {
    const latest = new Map() // item id -> its latest line in this room
    for (const entry of entries) {
      const [streamName, groupId, id] = entry.key.split('\n')
      if (streamName !== room.streamName || groupId !== room.groupId || !id) continue
      if (room.id !== undefined && id !== room.id) continue
      latest.set(id, entry)
    }
    for (const [id, last] of latest) {
      if (synced.has(id) || last.el.hidden || ['delete', 'deleted'].includes(last.kind)) continue
      lastSync.delete(last.key)
      const entry = newEntry(room, id, last.message.textContent, { key: last.key, sync: false, kind: 'deleted', arrived: Date.now(), after: last.arrived })
      entry.message.classList.add('muted')
    }
  }
  // a line of ``room``'s item ``id`` showing ``text``, in ``entries``
  const newEntry = (room, id, text, fields) => {
    const entry = { ...fields, seq: entries.length }
    entry.timeEl = h('span', {})
    entry.kindEl = h('span', { class: 'badge info' })
    entry.message = h('span', { class: 'message' }, text)
    entry.el = h(
      'div',
      { class: 'line stream-line', 'data-stream': room.streamName, 'data-group': room.groupId },
      entry.timeEl,
      entry.kindEl,
      h('span', {}, room.streamName),
      h('span', { 'data-item-id': id ?? '' }, id ?? ''),
      entry.message,
    )
    entries.push(entry)
    return entry
  }
  const follow = (room, how) => {
    const key = streamKey(room.streamName, room.groupId, room.id)
    const kept = rooms.get(key)
    if (kept) return Object.assign(kept, how)
    // a group followed whole follows its items: one of them followed apart showed its updates twice
    const group = streamKey(room.streamName, room.groupId, undefined)
    if (room.id !== undefined && rooms.has(group)) return Object.assign(rooms.get(group), how)
    // (closed once the group's subscription is made: the last one closed, the page's stream socket
    // would close and open again, its group's join waiting for it)
    const replaced = []
    if (room.id === undefined) {
      for (const [other, inside] of rooms) {
        if (other === key || !other.startsWith(`${key}`)) continue
        if (inside.room.streamName !== room.streamName || inside.room.groupId !== room.groupId) continue
        replaced.push(inside)
        rooms.delete(other)
        how = { ...how, answer: how.answer || inside.answer }
      }
    }
    const subscription = { room, synced: false, ...how }
    rooms.set(key, subscription)
    // on the page's one stream socket
    subscription.close = streamSocket(room, (kind, message) => {
      // {timestamp, streamName, groupId[, id], event: {type, data}}
      const change = message.event
      const data = change && typeof change === 'object' && 'data' in change ? change.data : change
      if (kind === 'sync') {
        subscription.synced = true
        // (its first: "before the page subscribed" is before then; a sync again, the socket lost and
        // joined again, would take a delete the page showed live for one it never saw)
        subscription.syncedAt ??= Date.now()
        // a group's sync: one line per item, as its changes come after it
        const items = data === null ? [] : Array.isArray(data) ? data : [data]
        const ids = items.map((item) => room.id ?? (item && typeof item === 'object' ? item.id : undefined))
        items.forEach((item, index) => line(room, kind, ids[index], item, true))
        missed(room, new Set(ids))
      } else line(room, kind, message.id ?? room.id, data, false)
      render()
    })
    for (const inside of replaced) inside.close()
  }
  for (const marker of markers) follow({ streamName: marker.streamName, groupId: marker.groupId, id: marker.id }, { answer: true })
  render()
  until.addEventListener('abort', () => {
    reading = false
    for (const kept of rooms.values()) kept.close()
  })
  if (!traceId || until.aborted) return
  if (!(await tracesRecorded())) {
    reading = attributable = false
    return render()
  }
  const answeredAt = Date.now()
  let quietSince = null // when the trace was first seen not running, unchanged since
  const follower = traceFollower(traceId, { signal: until })
  const couldNotRead = (error) => {
    failure.hidden = false
    failure.textContent = `Could not read the request's trace for the streams it writes to: ${error.message}`
  }
  const clearFailure = () => {
    failure.hidden = true
    failure.textContent = ''
  }
  // the trace seen (read whole, or its row) running or not, changed or not: read no more once it has
  // been seen not running and unchanged for TRACE_SETTLE_MS; not seen at all for TRACE_MISSING_MS
  // after the answer (its records lost, or retention), followed no more
  const seen = (trace, changed) => {
    if (trace.status === 'running' || changed) quietSince = null
    else if (quietSince === null) quietSince = Date.now()
    if (quietSince !== null && Date.now() - quietSince >= TRACE_SETTLE_MS) reading = false
  }
  const unseen = () => {
    if (Date.now() - answeredAt >= TRACE_MISSING_MS) reading = attributable = false
  }
  // the trace's row (undefined: not recorded yet, or the follow cancelled; null: the read failed)
  const readRow = async () => {
    let row
    try {
      row = await follower.row()
    } catch (error) {
      if (until.aborted) return undefined
      couldNotRead(error)
      return null
    }
    clearFailure()
    return row
  }
  const readTrace = async () => {
    const began = Date.now()
    const previous = follower.last
    let trace
    try {
      trace = await follower.whole()
    } catch (error) {
      if (until.aborted) return
      // read again, as one not written yet is (until TRACE_MISSING_MS)
      if (error.status !== 404) couldNotRead(error)
    }
    if (until.aborted) return
    if (trace) {
      clearFailure()
      for (const event of trace.events) {
        if (event.type !== 'stream' || !STREAM_WRITES.has(event.name) || event.error || !event.stream || !event.group) continue
        const key = streamKey(event.stream, event.group, event.itemId ?? undefined)
        // An operation is recorded at its start (when the step asked), with its duration: the item
        // changed in the store, and a subscription's sync could have it, by its end. At its start, a
        // write the page saw in a sync could be shown before the sync's own time, and a delete
        // behind the sync that no longer had its item.
        const at = event.time + (event.durationMs ?? 0)
        if (!writes.has(key)) writes.set(key, [])
        if (!writes.get(key).some((write) => write.at === at)) writes.get(key).push({ at, name: event.name, found: event.found })
        follow({ streamName: event.stream, groupId: event.group }, { written: true })
      }
      seen(trace, follower.changed(trace, previous))
      readSince = began
    } else unseen()
    render()
  }
  await readTrace()
  if (!attributable || until.aborted) return
  const stop = every(TRACE_FOLLOW_MS, async () => {
    if (!reading && !follower.due()) return
    const began = Date.now()
    const row = await readRow()
    if (row === null) return false
    if (until.aborted) return
    if (row && follower.changed(row)) {
      reading = true
      await readTrace()
    } else {
      if (row) {
        seen(row, false)
        readSince = began // the trace as read is the trace then
      } else if (reading) unseen()
      render()
    }
    if (!attributable) stop()
    else follower.read(!reading)
  })
  until.addEventListener('abort', stop)
}

// ---------------------------------------------------------------- traces

async function tracesPanel(root, traceId, params) {
  if (!(await tracesRecorded())) {
    root.append(h('h2', {}, 'Traces'), h('p', { class: 'empty' }, TRACES_OFF))
    return null
  }
  return traceId ? traceDetail(root, traceId) : traceList(root, params)
}

function entryText(trace) {
  const entry = trace.entry
  if (!entry) return '—'
  if (entry.type === 'api') return `${entry.method || ''} ${entry.path || entry.step}`
  if (entry.type === 'cron') return `cron ${entry.step}`
  return `emit ${entry.topic}`
}

// The HTTP status a request's trace was answered with (none before the answer, or for a trace no
// request began), marked failed from 400 up: the trace's own status tells only whether its steps
// failed, and a request answered 404 by its step, or 400 before it ran, was 'ok' like any other.
// (an api span's, and a trace's entry's: both say it as ``type`` and ``statusCode``)
const answerOf = (span) => (span?.type === 'api' && typeof span.statusCode === 'number' ? span.statusCode : null)
const answeredCode = (trace) => answerOf(trace.entry)
function answeredStatus(trace) {
  return httpStatus(answeredCode(trace))
}
function httpStatus(code) {
  if (code === null) return null
  return h('span', { class: code >= 400 ? 'http-status failed' : 'http-status', 'data-http-status': code, title: `answered ${code}` }, String(code))
}
// An api span the core answered without running its step (a body it refused before the step ran):
// it ended 'ok' (its step did not fail) on no runner, which drawn as 'ok' reads as a step that ran.
const notRun = (span) => answerOf(span) !== null && span.status === 'ok' && !span.runner

// The steps a trace or a log line can name: a noop step never runs (its node only draws a decision
// made outside), so a filter by one would only ever find nothing.
const runningSteps = (steps) => steps.filter((step) => step.type !== 'noop')

async function traceList(root, params) {
  const steps = runningSteps((await api('/steps')).steps)
  const stepFilter = h('select', { 'aria-label': 'step', class: 'names' }, h('option', { value: '' }, 'every step'), steps.map((step) => h('option', { value: step.name }, step.name)))
  const statusFilter = h('select', { 'aria-label': 'status' }, ['', 'running', 'ok', 'error'].map((status) => h('option', { value: status }, status || 'any status')))
  // The HTTP status the request was answered with (the server's answered=): a trace's status says
  // whether its steps failed, so a request refused 400 before its step ran is 'ok'. An address may
  // name codes or ranges of its own (answered=404): offered as they are.
  const answers = [['', 'any answer'], ['4xx,5xx', 'failed (4xx, 5xx)'], ...['2xx', '3xx', '4xx', '5xx'].map((c) => [c, `answered ${c}`])]
  // (what the server takes: tracing/_records.py parse_answered; any other is dropped, as a status
  // the status filter does not offer)
  const ANSWERED = /^\s*([1-9]xx|[1-9]\d\d(-[1-9]\d\d)?)\s*(,\s*([1-9]xx|[1-9]\d\d(-[1-9]\d\d)?)\s*)*$/i
  const answeredAsked = ANSWERED.test(params.get('answered') || '') ? params.get('answered') : ''
  if (!answers.some(([value]) => value === answeredAsked)) answers.push([answeredAsked, `answered ${answeredAsked}`])
  const answeredFilter = h('select', { 'aria-label': 'answered' }, answers.map(([value, label]) => h('option', { value }, label)))
  // a part of the trace's id, its name (POST /pets, a cron or topic) or a step's, in any case
  const textFilter = h('input', { type: 'search', class: 'wide', placeholder: 'text: endpoint, step, trace id, error…', 'aria-label': 'text' })
  stepFilter.value = params.get('step') || ''
  titledByChoice(stepFilter)
  statusFilter.value = params.get('status') || ''
  answeredFilter.value = answeredAsked
  textFilter.value = params.get('text') || params.get('traceId') || '' // traceId: an address from before
  const body = h('tbody', {})
  const more = h('button', { class: 'secondary', hidden: true }, 'Older traces')
  const moreError = h('span', { class: 'error-text', 'data-load-error': 'older' })
  const loadError = h('p', { class: 'error-text', 'data-load-error': 'traces' })
  let cursor = null
  let rows = []
  const filters = () => ({ step: stepFilter.value, status: statusFilter.value, answered: answeredFilter.value, text: textFilter.value.trim() })
  // the row of each trace listed, kept while the trace is unchanged
  let shown = new Map()
  const row = (trace) => {
    const text = JSON.stringify(trace)
    const kept = shown.get(trace.traceId)
    if (kept && kept.text === text) return kept.tr
    const tr = traceRow(trace)
    shown.set(trace.traceId, { text, tr })
    return tr
  }
  const traceRow = (trace) =>
    h(
      'tr',
      { class: 'clickable', 'data-trace': trace.traceId, 'data-trace-status': trace.status, onclick: () => (location.hash = `#/traces/${trace.traceId}`) },
      h('td', {}, clock(trace.startedAt)),
      h('td', {}, entryText(trace), answeredCode(trace) === null ? null : [' ', answeredStatus(trace)]),
      // a step's language kept beside its name, not wrapped onto a line of its own
      h('td', {}, trace.steps.map((step) => [h('span', { class: 'step-with-lang' }, step.name, ' ', langBadge(step.language)), ' '])),
      h('td', {}, badge(trace.status)),
      h('td', {}, tookText(trace.durationMs)),
      h('td', {}, trace.spanCount),
      h('td', { class: 'muted' }, h('code', {}, trace.traceId.slice(-8))),
    )
  // filters change faster than answers come: only the answer to the latest request is shown, or its
  // failure (above the rows, which stay)
  const read = latestReads(loadError)
  let latest = 0 // the lists loaded: a page of older traces belongs to the one it was asked for
  let paging = false
  const load = () => {
    latest++
    return read(() => api(`/traces${query({ ...filters(), limit: 50 })}`), showPage)
  }
  const showPage = (page) => {
    moreError.textContent = ''
    rows = page.traces
    cursor = page.nextCursor
    const trs = rows.map(row)
    shown = new Map(rows.map((trace) => [trace.traceId, shown.get(trace.traceId)]))
    place(body, trs)
    more.hidden = !cursor
    const none = Object.values(filters()).some(Boolean) ? 'No trace matches these filters.' : 'No trace yet: call an endpoint.'
    if (!rows.length) body.append(h('tr', {}, h('td', { colspan: 7, class: 'empty', 'data-no-traces': '' }, none)))
  }
  more.addEventListener('click', async () => {
    if (paging) return // a double click pages back once
    const mine = latest
    paging = true
    more.disabled = true
    moreError.textContent = ''
    try {
      const page = await api(`/traces${query({ ...filters(), limit: 50, cursor })}`)
      if (mine !== latest) return // the filters changed meanwhile: this page belongs to the old list
      cursor = page.nextCursor
      rows = rows.concat(page.traces)
      body.append(...page.traces.map(row))
      more.hidden = !cursor
    } catch (error) {
      if (mine === latest) moreError.textContent = `Could not load older traces: ${error.message}`
    } finally {
      paging = false
      more.disabled = false
    }
  })
  let left = false
  const filtered = () => {
    if (left) return
    rememberFilters('traces', filters())
    return load()
  }
  for (const input of [stepFilter, statusFilter, answeredFilter]) input.addEventListener('change', filtered)
  textFilter.addEventListener('input', filtered)
  rememberFilters('traces', filters())
  root.append(
    h('h2', {}, 'Traces'),
    h('div', { class: 'toolbar filters' }, stepFilter, statusFilter, answeredFilter, textFilter),
    loadError,
    h(
      'div',
      { class: 'card' },
      h('table', { 'aria-label': 'traces' }, h('thead', {}, h('tr', {}, ['started', 'entry', 'steps', 'status', 'duration', 'spans', 'id'].map((c) => h('th', {}, c)))), body),
      h('p', {}, more, ' ', moreError),
    ),
  )
  await load()
  // Live: the newest page again, unless the user paged back.
  const stopRefreshing = every(2000, async () => {
    if (rows.length > 50 || paging) return
    return load()
  })
  return () => {
    left = true
    stopRefreshing()
  }
}

// A log message of more lines than this shows its first ones and how many more there are: a step's
// console.error of an error object (Node's inspection of an axios error is its whole config, 150
// lines) filled the trace page and the Logs panel with one such line after another (a Motia
// example's trace, 6 requests failing: some 6000 pixels). Opened (a click), the line shows it whole.
const MESSAGE_LINES_SHOWN = 4
const messageLines = (message) => String(message).split('\n')

function foldedMessage(message) {
  const lines = messageLines(message)
  if (lines.length <= MESSAGE_LINES_SHOWN) return message
  const more = lines.length - MESSAGE_LINES_SHOWN
  return h('span', { class: 'folded', 'data-folded-message': more }, lines.slice(0, MESSAGE_LINES_SHOWN).join('\n'), h('span', { class: 'muted' }, `\n… ${more} more lines: open the line to read them all`))
}

// The whole of a folded message, where its line opens (null for one shown whole)
const wholeMessage = (message) =>
  messageLines(message).length > MESSAGE_LINES_SHOWN ? h('pre', { class: 'json wrap', 'data-whole-message': '' }, message) : null

function eventSummary(event) {
  if (event.type === 'log') return event.message
  if (event.type === 'emit') {
    const targets = `${event.topic} → ${(event.deliveries || []).map((d) => d.step).join(', ') || 'no subscriber'}`
    return event.dropped ? `${targets} (dropped: ${event.dropped})` : targets
  }
  if (event.type === 'state' || event.type === 'stream') return operationText(event)
  if (event.type === 'delivery') return `${event.name} ${event.topic} (attempt ${event.attempt})${event.error ? ': ' + event.error : ''}`
  return event.name || event.type
}

// One trace: its timeline, failures and operations, refreshed every second while it runs. A refresh
// keeps the elements of unchanged spans, operations and log lines in place (a click pressed on a bar,
// a tick or a row that is removed before it is released opens nothing), moving the bars and ticks to
// the new scale and adding what is new. A refresh that fails shows its error above the trace.
// A failure's stack as its language printed it, but each path in the project shown relative to the
// project (steps/pets/create.step.ts:12:5, as the location above it), its absolute path in its
// tooltip: the server's folder (a temporary one in tests) is noise beside the user's file. The
// project's folder is what the path of the error's location (relative) was cut from: a frame's path
// that ends with it; without a location (no frame in the user's code) the stack shows as it came.
function stackBlock(error) {
  const stack = error.stack
  // an absolute path, as V8 (at fn (/p/x.ts:7:9), a file:// URL for a module) and Python (File "/p/x.py") print it
  const paths = [...stack.matchAll(/(?:file:\/\/)?(\/[^\s:()"']+)/g)]
  const file = error.location && `/${error.location.file}`
  const user = file && paths.find((match) => match[1].endsWith(file))
  if (!user) return h('pre', { class: 'json stack' }, stack)
  const project = user[1].slice(0, user[1].length - file.length + 1) // with its trailing slash
  const parts = []
  let from = 0
  for (const match of paths) {
    if (!match[1].startsWith(project)) continue
    parts.push(stack.slice(from, match.index), h('span', { 'data-path': match[1], title: match[1] }, match[1].slice(project.length)))
    from = match.index + match[0].length
  }
  parts.push(stack.slice(from))
  return h('pre', { class: 'json stack' }, parts)
}

// The stacks a log line carries in its metadata (a failed handler's ``stack``, an error a handler
// logged: ``stack``, or an ``error`` field's), each shown as its language printed it above the line's
// JSON, where it read as one string of "\n    at ..." escapes.
function logStacks(meta) {
  if (!meta || typeof meta !== 'object') return []
  const found = [meta.stack, ...Object.values(meta).map((value) => value && typeof value === 'object' && value.stack)]
  return found.filter((stack) => typeof stack === 'string' && stack.includes('\n'))
}

// A span's bar on the timeline, from ``from`` to ``to`` (fractions of the axis): at least BAR_MIN_PX
// wide (a span of no time still shows, and takes a click), never past either end of the axis (a bar
// of its least width at the very end starts that much earlier; it ran a few pixels past the axis).
const BAR_MIN_PX = 3
function barPlace(from, to) {
  const [left, right] = [from, to].map((f) => Math.min(1, Math.max(0, f)) * 100)
  return `left:min(${left}%, calc(100% - ${BAR_MIN_PX}px));width:max(${Math.max(0, right - left)}%, ${BAR_MIN_PX}px)`
}

// An operation's or log line's tick on the timeline at ``at`` (a fraction of the axis): centred on
// its moment, but never past either end of the axis, as bars (a tick at the very end has its right
// edge there; centred, it stuck out half its width past the axis).
const TICK_PX = 4
function tickPlace(at) {
  const centre = Math.min(1, Math.max(0, at)) * 100
  return `width:${TICK_PX}px;left:clamp(0px, calc(${centre}% - ${TICK_PX / 2}px), calc(100% - ${TICK_PX}px))`
}

async function traceDetail(root, traceId) {
  const container = h('div', {})
  const loadError = h('p', { class: 'error-text', 'data-load-error': 'trace' })
  root.append(h('p', {}, h('a', { href: listAddresses.traces || '#/traces' }, '← all traces')), loadError, container)
  const detail = h('div', { class: 'detail' })
  const show = (title, value, stack, where = null) => {
    fill(detail, h('div', { class: 'card', 'data-selected': title }, h('h3', {}, title), where, stack ? stackBlock(value.error) : null, jsonBlock(value)))
  }
  // The runner that ran a span and, where supervisors share the project on Redis (their runners
  // named alike: node-0 on each), whose it is, as the Runners panel says its own
  const ranOn = (span) => {
    if (!span.runner) return null
    const pid = span.pid ? ` (pid ${span.pid})` : ''
    const supervisor = span.supervisor ? ` of the supervisor pid ${span.supervisor.pid} on ${span.supervisor.host}` : ''
    return h('p', { class: 'muted', 'data-ran-on': '' }, `ran on ${span.runner}${pid}${supervisor}`)
  }
  const heading = h('h2', {})
  const summary = h('p', { class: 'muted' })
  const axis = h('div', { class: 'axis' })
  const corner = h('div', {})
  const gantt = h('div', { class: 'gantt', 'aria-label': 'timeline' })
  const failures = h('div', {})
  const events = h('tbody', {})
  const spanViews = new Map() // span id -> { text, span, label, track, bar, ticks: Map(event id -> tick) }
  const failureCards = new Map() // step and error -> { heading, card }
  const eventRows = new Map() // event id -> its row
  const layout = [
    heading,
    summary,
    h('div', { class: 'card' }, gantt, h('div', { class: 'legend' }, 'ticks: ', ['log', 'state', 'stream', 'emit', 'delivery'].map((t) => h('span', { class: `tick-key ${t}` }, t)))),
    detail, // right beneath the bar or tick clicked, above failures that may be long
    failures,
    h('h3', {}, 'Operations and log lines'),
    h('div', { class: 'card' }, h('table', { 'aria-label': 'events' }, h('thead', {}, h('tr', {}, ['since start', 'step', 'type', 'what'].map((c) => h('th', {}, c)))), events)),
  ]
  const spanView = (span, replayed) => {
    let view = spanViews.get(span.spanId)
    if (!view) {
      view = { text: null, span, label: h('div', { 'data-span-label': span.step }), track: h('div', { class: 'track' }), ticks: new Map() }
      view.bar = h('div', { 'data-span': span.spanId, onclick: () => show(`${view.span.step} (attempt ${view.span.attempt})`, view.span, view.span.error && view.span.error.stack, ranOn(view.span)) })
      spanViews.set(span.spanId, view)
    }
    view.span = span
    const text = JSON.stringify(span) + (replayed ? ' replayed' : '')
    if (view.text !== text) {
      view.text = text
      const failed = span.status === 'error' || span.status === 'lost'
      view.label.className = `label ${failed ? 'failed' : ''}`
      // a long step name is cut (whole in its title), never the language or the attempt beside it
      const skipped = notRun(span)
      const code = answerOf(span)
      fill(view.label, skipped ? badge('not run', 'skipped') : badge(span.status), h('span', { class: 'step-name', title: span.step }, span.step), langBadge(span.language), span.attempt > 1 ? h('span', { class: 'muted attempt' }, `#${span.attempt}`) : null, replayed ? h('span', { class: 'muted attempt', 'data-replayed': '' }, 'replayed') : null, httpStatus(code))
      view.bar.className = `bar ${skipped ? 'skipped' : span.status}`
      view.bar.title = skipped ? `${span.step}: not run, answered ${code} before it ran` : `${span.step}: ${tookText(span.durationMs)} (${span.status}${code === null ? '' : `, answered ${code}`})`
    }
    return view
  }
  const tick = (view, event) => {
    let el = view.ticks.get(event.id)
    if (!el) {
      el = h('div', { class: `tick ${event.type}`, 'data-event': event.type, title: `${event.type}: ${eventSummary(event)}`, onclick: () => show(`${event.type}: ${event.name || ''}`, event) })
      view.ticks.set(event.id, el)
    }
    return el
  }
  // An operation or log line clicked in the table opens its payload in a row beneath it, where the
  // user is looking (a card above the table is out of sight from most of its rows), scrolled into
  // the window; clicked again, closes it
  let opened = null // { id, tr }: the event whose payload is shown beneath its row
  let placeEvents = () => {}
  const toggle = (event) => {
    opened = opened && opened.id === event.id ? null : { id: event.id, tr: h('tr', { class: 'event-detail', 'data-event-detail': event.id }, h('td', { colspan: 4 }, event.type === 'log' ? wholeMessage(event.message) : null, jsonBlock(event))) }
    placeEvents()
    if (opened) opened.tr.scrollIntoView({ block: 'nearest' }) // below the fold, under the last rows
  }
  const eventRow = (event, start) => {
    let tr = eventRows.get(event.id)
    if (!tr) {
      tr = h('tr', { class: 'clickable', 'data-event-row': event.type, onclick: () => toggle(event) }, h('td', { class: 'offset' }, offsetText(event.time - start)), h('td', {}, event.step || ''), h('td', {}, badge(event.type === 'log' ? event.level : event.type, event.type === 'log' ? event.level : 'info')), h('td', {}, event.type === 'log' ? foldedMessage(event.message) : eventSummary(event)))
      eventRows.set(event.id, tr)
    }
    return tr
  }
  // A failed span's error in one line as the core phrases it for a dead letter, a failed handler's
  // log line and a 500 (error_line, supervisor/protocol/_messages.py): its innermost cause,
  // kept by the recorder (error.cause), after it; Node's "fetch failed" says what failed only there
  const errorLine = (error) => `${error.name}: ${error.message}${error.cause ? ` (caused by ${error.cause})` : ''}`
  // The attempts of a step that failed alike (a handler retried on the same bad input): one card,
  // its stack once, naming every attempt
  const failureCard = (key, spans, trace) => {
    const [{ step, error }] = spans
    const attempts = spans.length > 1 ? `attempts ${spans.map((span) => span.attempt).join(', ')}` : `attempt ${spans[0].attempt}`
    const title = `${step} failed (${attempts}): ${errorLine(error)}${afterwards(trace, spans[spans.length - 1])}`
    let kept = failureCards.get(key)
    if (!kept) {
      const heading = h('h3', { class: 'error-text' })
      const card = h('div', { class: 'card detail', 'data-failure': step }, heading, error.location ? h('p', {}, h('code', {}, `${error.location.file}:${error.location.line}`)) : null, error.stack ? stackBlock(error) : null)
      kept = { heading, card }
      failureCards.set(key, kept)
    }
    if (kept.heading.textContent !== title) kept.heading.textContent = title
    kept.card.dataset.attempts = String(spans.length)
    return kept.card
  }
  const failedAlike = (trace) => {
    const groups = new Map() // step and error -> the spans that failed so
    for (const span of trace.spans.filter((span) => span.error)) {
      const key = `${span.step}\n${JSON.stringify(span.error)}`
      groups.set(key, [...(groups.get(key) || []), span])
    }
    return [...groups].map(([key, alike]) => failureCard(key, alike, trace))
  }
  // What became of the event a failed step's last attempt delivered: dead-lettered, and replayed
  // (from the Dead letters panel or `motia dlq replay`) with how the replayed delivery went; a trace
  // that ended ok after a replay read as failed for good, its failure in red and the replay untold
  const afterwards = (trace, last) => {
    const deliveries = trace.events.filter((event) => event.type === 'delivery')
    const dead = deliveries.find((event) => event.name === 'dead' && event.spanId === last.spanId)
    if (!dead) return ''
    const replayed = deliveries.find((event) => event.name === 'replayed' && event.step === last.step && event.topic === dead.topic && event.time >= dead.time) // the first: events come by time
    if (!replayed) return ' · dead-lettered'
    const again = trace.spans.filter((span) => span.deliveryId === replayed.deliveryId)
    const latest = again[again.length - 1]
    const outcome = !latest ? 'waiting to run' : latest.status === 'ok' ? 'ok' : latest.status === 'running' ? 'running' : 'failed again'
    return ` · dead-lettered, replayed at ${clock(replayed.time)}: ${outcome}`
  }
  // Where a span's bar ends: a running one now, any other at its end (a lost one, its supervisor or
  // runner dead, at the last thing known of it: the server's answer, in every store)
  const barEnd = (span) => (span.endedAt !== null && span.endedAt !== undefined ? span.endedAt : Date.now())
  const render = (trace) => {
    const start = trace.startedAt
    const ends = trace.spans.map(barEnd).concat(trace.events.map((e) => e.time))
    const total = Math.max(1, Math.max(start + 1, ...ends) - start)
    if (container.firstChild !== heading) fill(container, layout)
    fill(heading, 'Trace ', h('code', {}, trace.traceId), ' ', badge(trace.status))
    const answered = answeredCode(trace) === null ? '' : ` answered ${answeredCode(trace)}`
    summary.textContent = `${entryText(trace)}${answered} · started ${clock(trace.startedAt)} · ${tookText(trace.durationMs)} · ${counted(trace.spanCount, 'span')}`
    fill(axis, [0, 0.25, 0.5, 0.75, 1].map((f) => h('span', { style: `left:${f * 100}%` }, tookText(f * total))))
    const rows = [corner, axis]
    const replayedDeliveries = new Set(trace.events.filter((e) => e.type === 'delivery' && e.name === 'replayed').map((e) => e.deliveryId))
    for (const span of trace.spans) {
      const view = spanView(span, span.deliveryId != null && replayedDeliveries.has(span.deliveryId))
      const end = barEnd(span)
      view.bar.setAttribute('style', barPlace((span.startedAt - start) / total, (end - start) / total))
      const ticks = trace.events.filter((e) => e.spanId === span.spanId).map((event) => {
        const el = tick(view, event)
        el.setAttribute('style', tickPlace((event.time - start) / total))
        return el
      })
      place(view.track, [view.bar, ...ticks])
      rows.push(view.label, view.track)
    }
    place(gantt, rows)
    place(failures, failedAlike(trace))
    // as they happened, which the since-start column counts: the server lists them so
    placeEvents = () => {
      for (const [id, tr] of eventRows) tr.classList.toggle('selected', opened !== null && opened.id === id)
      place(events, trace.events.flatMap((event) => [eventRow(event, start), opened && opened.id === event.id ? opened.tr : null]).filter(Boolean))
    }
    placeEvents()
  }
  // followed by its row (traceFollower): read whole again when the row moved
  const follower = traceFollower(traceId)
  let trace
  try {
    trace = await follower.whole()
  } catch (error) {
    if (error.status !== 404) throw error
    fill(container, h('p', { class: 'empty' }, `No trace ${traceId} (yet): it appears once its first record is written.`))
  }
  if (trace) render(trace)
  let last = trace ? JSON.stringify(trace) : ''
  const read = latestReads(loadError)
  const notFound = (error) => {
    if (error.status === 404) return { gone: error.message }
    throw error
  }
  return every(TRACE_FOLLOW_MS, async () => {
    if (!follower.due()) return
    // 'settled' when seen neither running nor changed (nor listed, once shown), false when the read failed
    const seen = await read(() => follower.next().catch(notFound), (next) => {
      // Not written yet (the page says so), or gone since it was shown (retention, a restarted server
      // that kept it in memory): said above it, in place of an earlier failure's error
      const missing = next.gone ?? (next.row ? null : `no trace '${traceId}' listed (never recorded, or older than the retention)`)
      if (missing !== null) {
        if (trace) loadError.textContent = `Trace not found: ${missing}; shown below as last read.`
        return trace ? 'settled' : 'waiting'
      }
      if (!next.trace) return next.row.status === 'running' ? 'running' : 'settled'
      const text = JSON.stringify(next.trace)
      if (text !== last) {
        last = text
        trace = next.trace
        render(next.trace)
      }
      return 'changed'
    })
    if (seen === false) return false
    if (seen) follower.read(seen === 'settled')
  })
}

// ---------------------------------------------------------------- logs

// The level filter shows a level and those above it: Motia's four, then critical (a fatal line is a
// critical one: tracing/_records.py). The server filters, the page read back and the live stream alike.
const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'critical']
// other names of a level a link may give (``#/logs?level=warning``), as the API takes them
// (supervisor/logs/_levels.py, LEVEL_ALIASES)
const LEVEL_ALIASES = { warning: 'warn', fatal: 'critical', trace: 'debug' }
const LOG_PAGE = 200
const TYPING_PAUSE_MS = 300

// The trace whose id contains ``part``, which the log filter takes whole: the page shows a trace's
// id by its last 8 characters (a log line's link, the Traces list), which showed no line typed in the
// trace filter. ``{ traceId }``: the one trace's id, else ``part`` itself (a whole id, or a trace no
// longer stored), with ``several`` when it is a part of more than one trace's id.
async function wholeTraceId(part) {
  const { traces } = await api(`/traces${query({ traceId: part, limit: 2 })}`)
  if (traces.length === 1) return { traceId: traces[0].traceId }
  return { traceId: part, several: traces.length > 1 && !traces.some((trace) => trace.traceId === part) }
}

async function logsPanel(root, _argument, params) {
  if (!(await tracesRecorded())) {
    root.append(h('h2', {}, 'Logs'), h('p', { class: 'empty' }, TRACES_OFF))
    return null
  }
  const asked = LEVEL_ALIASES[params.get('level')] ?? params.get('level')
  const wanted = LOG_LEVELS.includes(asked) ? asked : 'info'
  const level = h('select', { 'aria-label': 'level' }, LOG_LEVELS.map((l) => h('option', { value: l, selected: l === wanted }, l)))
  // the step filter takes a step's whole name: the names are offered as it is typed
  const steps = runningSteps((await api('/steps')).steps)
  const stepNames = h('datalist', { id: 'log-step-names' }, steps.map((known) => h('option', { value: known.name })))
  const step = titledByChoice(h('input', { type: 'search', class: 'names', placeholder: 'step', 'aria-label': 'step', list: 'log-step-names', value: params.get('step') || '' }))
  const trace = h('input', { type: 'search', placeholder: 'trace id', 'aria-label': 'trace id', value: params.get('traceId') || '' })
  // the runner filter takes a runner's id (node-0) or a kind (node: all of its runners, as the API
  // reads it): the kinds and the ids running now are offered as it is typed. Only offered: a failed
  // read of the runners offers none, and the filter still works.
  const { runners, supervisor: ownSupervisor } = await api('/runners').catch(() => ({ runners: [] }))
  const runnerChoices = [...new Set([...runners.map((known) => known.kind), ...runners.map((known) => known.id)])]
  const runnerNames = h('datalist', { id: 'log-runner-names' }, runnerChoices.map((known) => h('option', { value: known })))
  const runner = h('input', { type: 'search', class: 'names', placeholder: 'runner', 'aria-label': 'runner', list: 'log-runner-names', value: params.get('runner') || '' })
  const text = h('input', { type: 'search', placeholder: 'text', 'aria-label': 'text', value: params.get('q') || '' })
  const lines = h('div', { class: 'logs', 'aria-label': 'log lines' })
  const status = h('span', { class: 'muted', 'data-log-status': '' })
  const say = (text, failed) => {
    status.textContent = text
    status.className = failed ? 'error-text' : 'muted'
  }
  let closeLive = null // closes the live stream
  const line = (entry) => {
    // another supervisor's runner (supervisors sharing a project on Redis each name theirs node-0)
    // with which one, as `motia logs` prints it: node-0@HOST:PID
    const elsewhere = entry.supervisor && !(ownSupervisor && entry.supervisor.host === ownSupervisor.host && entry.supervisor.pid === ownSupervisor.pid)
    const runnerName = entry.runner && elsewhere ? `${entry.runner}@${entry.supervisor.host}:${entry.supervisor.pid}` : entry.runner
    const from = [entry.step, runnerName ? `(${runnerName})` : null].filter(Boolean).join(' ')
    const row = h(
      'div',
      { class: `line level-${entry.level}`, 'data-log': entry.id },
      h('span', { class: 'muted' }, clock(entry.time)),
      h('span', {}, badge(entry.level)),
      // as `motia dev` prints them, step (runner), a runner's own lines its id alone: whole in the
      // tooltip where the column cuts it
      h('span', { title: from }, from),
      h('span', {}, entry.traceId ? h('a', { href: `#/traces/${entry.traceId}`, 'data-trace-link': entry.traceId, onclick: (e) => e.stopPropagation() }, entry.traceId.slice(-8)) : ''),
      h('span', { class: 'message' }, foldedMessage(entry.message)),
    )
    row.addEventListener('click', () => {
      const open = row.querySelector('.meta')
      if (open) open.remove()
      else row.append(h('div', { class: 'meta' }, wholeMessage(entry.message), ...logStacks(entry.meta).map((stack) => h('div', { 'data-log-stack': '' }, stackBlock({ stack }))), jsonBlock(entry)))
    })
    return row
  }
  const noLines = h('p', { class: 'empty', 'data-no-lines': '', hidden: true }, 'No log line matches these filters yet: the lines logged from now on that do will show here.')
  const add = (entries) => {
    const atBottom = lines.scrollHeight - lines.scrollTop - lines.clientHeight < 40
    lines.append(...entries.map(line))
    while (lines.childElementCount > 2000) lines.firstElementChild.remove()
    noLines.hidden = lines.childElementCount > 0
    if (atBottom) lines.scrollTop = lines.scrollHeight
  }
  // the newest line shown: where the live stream goes on from
  const readTo = (id) => {
    if (id !== null) lines.dataset.readTo = String(id)
  }
  // A text filter's change event fires again when its field loses focus (as following a line's trace
  // link takes it): the same filters keep the lines shown, which the click is landing on. Only the
  // latest start opens a stream, and none once the panel is left. A failed read shows its error
  // beside the filters, and no lines.
  let shownFilters = null
  let starts = 0
  let stopped = false
  const start = async () => {
    if (stopped) return
    const typed = { level: level.value, step: step.value.trim(), traceId: trace.value.trim(), runner: runner.value.trim(), q: text.value.trim() }
    const key = JSON.stringify(typed)
    if (key === shownFilters) return
    shownFilters = key
    rememberFilters('logs', { ...typed, level: typed.level === 'info' ? '' : typed.level })
    const mine = ++starts
    if (closeLive) closeLive()
    closeLive = null
    delete lines.dataset.readTo
    let logs
    let filters = typed
    let note = '' // beside 'live': a trace filter that names no one trace
    say('', false)
    try {
      if (typed.traceId) {
        const { traceId, several } = await wholeTraceId(typed.traceId)
        filters = { ...typed, traceId }
        if (several) note = `several traces' ids contain '${typed.traceId}': type more of one`
        if (stopped || mine !== starts) return
      }
      ;({ logs } = await api(`/logs${query({ ...filters, limit: LOG_PAGE })}`))
    } catch (error) {
      if (stopped || mine !== starts) return
      shownFilters = null // not shown: the same filters may try again
      fill(lines) // the lines of other filters would pass for these
      noLines.hidden = true
      say(`Could not load: ${error.message}`, true)
      return
    }
    if (stopped || mine !== starts) return
    const newest = logs.length ? logs[0].id : null
    fill(lines)
    add(logs.reverse())
    readTo(newest)
    // reopened, it goes on after the newest line shown (from the first, if none was)
    const after = (again) => lines.dataset.readTo ?? (again ? 0 : null)
    const showLine = (event) => {
      const entry = JSON.parse(event.data)
      add([entry])
      readTo(entry.id)
    }
    closeLive = liveSource((again) => `${API}/logs/stream${query({ ...filters, after: after(again) })}`, { log: showLine }, {
      opened: () => say(note ? `live · ${note}` : 'live', false),
      lost: () => say('reconnecting…', false),
      // not asked again (the same filters would be refused again) until the filters change
      refused: (error) => say(`Could not load: ${error.message}`, true),
    })
  }
  // a text filter applies as it is typed, once the typing pauses (as the Traces' one does), and on
  // Enter or leaving it at once
  let typing = null
  const typed = () => {
    clearTimeout(typing)
    typing = setTimeout(start, TYPING_PAUSE_MS)
  }
  const changed = () => {
    clearTimeout(typing)
    start()
  }
  level.addEventListener('change', changed)
  for (const input of [step, trace, runner, text]) {
    input.addEventListener('input', typed)
    input.addEventListener('change', changed)
  }
  root.append(h('h2', {}, 'Logs'), h('div', { class: 'toolbar' }, level, step, stepNames, trace, runner, runnerNames, text, status), noLines, lines)
  await start()
  return () => {
    stopped = true
    clearTimeout(typing)
    if (closeLive) closeLive()
  }
}

// ---------------------------------------------------------------- state

const EDIT_ROWS_MAX = 30 // an edited value's box grows with it up to these rows

// The groups and the selected group's items, refreshed every 3 s. A refresh keeps each unchanged
// entry and row in place (a click pressed on an element that is removed before it is released goes
// to its parent), updates a changed value in its row, and never touches the add form, whose inputs
// keep what the user is typing, nor a row being edited.
// The group shown is the panel's address (#/state/<group>), as the Streams panel's stream is; a group
// the address names that holds nothing is said so by name, its add form there to set its first key.
async function statePanel(root, argument, params, parts = []) {
  const groups = h('ul', { class: 'list group-list', 'aria-label': 'state groups' })
  const groupsError = h('p', { class: 'error-text', 'data-load-error': 'groups' })
  const noGroups = h('li', { class: 'muted' }, 'no state yet')
  // what the empty store's items card says (it was an empty box): where state comes from
  const noneStored = h(
    'p',
    { class: 'muted', 'data-none-stored': '', hidden: true },
    'The steps have stored nothing yet: call an endpoint (a step sets state as it runs), or open a new group on the left to set a key by hand.',
  )
  const title = h('h3', {})
  const body = h('tbody', {})
  const newKey = h('input', { placeholder: 'key', 'aria-label': 'new key' })
  const newValue = h('input', { placeholder: 'JSON value', 'aria-label': 'new value' })
  const addMessage = h('span', { class: 'error-text' })
  const itemsError = h('p', { class: 'error-text', 'data-load-error': 'items' })
  const setButton = h('button', { type: 'submit' }, 'Set')
  const addForm = h('form', { class: 'toolbar', 'aria-label': 'add a state item' }, newKey, newValue, setButton, addMessage)
  const table = h('table', { 'aria-label': 'state items' }, h('thead', {}, h('tr', {}, h('th', {}, 'key'), h('th', {}, 'value'), h('th', {}, ''))), body)
  const unknown = h('p', { class: 'empty', 'data-unknown-group': '', hidden: true })
  const items = h('div', { hidden: true }, title, itemsError, unknown, table, addForm)
  let selected = parts[0] || null
  let listed = [] // the groups the latest read listed
  const entries = new Map() // group name -> its <li>
  let rows = new Map() // key -> its row in the selected group: { tr, cell, value, text, editing }
  // only the latest read is shown (its items or its failure): a refresh answered after a click's read
  // must not undo it. A failed read shows its error and leaves the rows of the group shown.
  const readGroups = latestReads(groupsError)
  let reading = null // the group whose items the latest read asked for
  const readItems = latestReads(itemsError, {
    failed: () => {
      if (title.textContent !== reading) {
        // another group's rows must not stand under this group's name
        title.textContent = reading
        place(body, [])
      }
      items.hidden = false
    },
  })

  const choose = (name) => {
    if (name !== selected) rows = new Map() // the rows of the group shown stay, an editor open in one too
    selected = name
    for (const [group, entry] of entries) entry.classList.toggle('selected', group === selected)
    return loadItems()
  }
  // a group the user opened to add the first item to: listed until the store has it
  let opening = null
  const loadGroups = () => readGroups(() => api('/state'), ({ groups: stored }) => {
    if (stored.includes(opening)) opening = null
    const names = (listed = opening ? [...stored, opening] : stored)
    if (!selected && names.length) {
      selected = names[0]
      goTo(addressOf('state', selected), { replace: true })
    }
    for (const name of [...entries.keys()]) if (!names.includes(name)) entries.delete(name)
    const shown = names.map((name) => {
      let entry = entries.get(name)
      if (!entry) entries.set(name, (entry = h('li', { 'data-group': name, onclick: () => goTo(addressOf('state', name)) || choose(name) }, name)))
      entry.classList.toggle('selected', name === selected)
      return entry
    })
    place(groups, shown.length ? shown : [noGroups])
    noneStored.hidden = names.length > 0
  })
  const loadItems = () => {
    const group = selected
    if (!group) {
      items.hidden = true
      return
    }
    reading = group
    return readItems(() => api(`/state/items${query({ groupId: group })}`), ({ items: values }) => {
      if (title.textContent !== group) title.textContent = group
      const none = !values.length && !listed.includes(group)
      unknown.hidden = !none
      table.hidden = none
      if (none) unknown.textContent = `no state group named '${group}': set a key below to make it`
      const keys = new Set(values.map(({ key }) => key))
      for (const key of [...rows.keys()]) if (!keys.has(key)) rows.delete(key)
      place(body, values.map(({ key, value }) => itemRow(group, key, value)))
      items.hidden = false
    })
  }
  const itemRow = (group, key, value) => {
    let row = rows.get(key)
    if (!row) rows.set(key, (row = newRow(group, key)))
    const text = JSON.stringify(value)
    if (row.text !== text && !row.editing) {
      row.value = value
      row.text = text
      fill(row.cell, jsonBlock(value))
    }
    return row.tr
  }
  // a row's Save and Delete act on its own group, also once another is chosen and still being read
  const newRow = (group, key) => {
    const row = { cell: h('td', {}), value: null, text: null, editing: false }
    const edit = h('button', { class: 'secondary', 'data-edit': key }, 'Edit')
    const remove = h('button', { class: 'danger', 'data-delete': key }, 'Delete')
    edit.addEventListener('click', () => {
      row.editing = true
      const shown = JSON.stringify(row.value, null, 2)
      // as tall as the value (a pet's 30 lines were read through 6), up to a screenful
      const area = h('textarea', { rows: Math.min(Math.max(shown.split('\n').length, 3), EDIT_ROWS_MAX), 'data-value-of': key }, shown)
      const message = h('span', { class: 'error-text' })
      const save = h('button', { 'data-save': key }, 'Save')
      // the value as stored again, nothing saved
      const cancel = h('button', { class: 'secondary', type: 'button', 'data-cancel': key }, 'Cancel')
      cancel.addEventListener('click', () => {
        row.editing = false
        fill(row.cell, jsonBlock(row.value))
      })
      save.addEventListener('click', () => whileDisabled(save, async () => {
        let parsed
        try {
          parsed = JSON.parse(area.value)
        } catch (error) {
          message.textContent = `not JSON: ${error.message}`
          return
        }
        try {
          await api(`/state/item${query({ groupId: group, key })}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(parsed) })
        } catch (error) {
          message.textContent = error.message
          return
        }
        row.editing = false
        row.text = null // shown again as read back
        await loadItems()
      }))
      fill(row.cell, area, save, ' ', cancel, ' ', message)
    })
    const removeMessage = h('span', { class: 'error-text', 'data-error-of': key })
    // Delete asks first, in the row, the focus on Cancel (Escape cancels too), back on Delete once
    // answered. The question widens the column, so a double click's second click on Delete lands on
    // whatever moved under it: a click that is not the first of its clicks (event.detail; 0 for the
    // keyboard's) answers nothing.
    const yes = h('button', { class: 'danger', type: 'button', 'data-confirm-delete': key }, 'Yes')
    const no = h('button', { class: 'secondary', type: 'button', 'data-keep': key }, 'Cancel')
    const asking = h('span', { class: 'confirm', role: 'group', 'aria-label': `delete ${key}`, 'data-asking': key, hidden: true }, h('span', {}, `Delete key ${key}?`), ' ', yes, ' ', no)
    const answered = () => {
      asking.hidden = true
      remove.hidden = false
      remove.focus()
    }
    remove.addEventListener('click', () => {
      removeMessage.textContent = ''
      remove.hidden = true
      asking.hidden = false
      no.focus()
    })
    const firstClick = (event) => event.detail <= 1
    no.addEventListener('click', (event) => firstClick(event) && answered())
    asking.addEventListener('keydown', (event) => event.key === 'Escape' && !yes.disabled && answered())
    yes.addEventListener('click', (event) =>
      firstClick(event) && whileDisabled(yes, async () => {
        try {
          await api(`/state/item${query({ groupId: group, key })}`, { method: 'DELETE' })
        } catch (error) {
          removeMessage.textContent = error.message
          answered()
          return
        }
        await loadItems()
      }),
    )
    row.tr = h('tr', { 'data-key': key }, h('td', {}, h('code', {}, key)), row.cell, h('td', {}, edit, ' ', remove, asking, ' ', removeMessage))
    return row
  }
  addForm.addEventListener('submit', (event) => {
    event.preventDefault()
    return whileDisabled(setButton, async () => {
      try {
        await api(`/state/item${query({ groupId: selected, key: newKey.value })}`, { method: 'PUT', body: newValue.value || 'null' })
      } catch (error) {
        addMessage.textContent = error.message
        return
      }
      newKey.value = ''
      newValue.value = ''
      addMessage.textContent = ''
      await loadItems()
    })
  })

  // a new group, to add its first item in (an empty store had no form to add one)
  const newGroup = h('input', { placeholder: 'new group', 'aria-label': 'new group' })
  const groupForm = h('form', { class: 'toolbar', 'aria-label': 'open a new group' }, newGroup, h('button', { type: 'submit', class: 'secondary' }, 'Open'))
  groupForm.addEventListener('submit', (event) => {
    event.preventDefault()
    const name = newGroup.value.trim()
    if (!name) return
    newGroup.value = ''
    if (!entries.has(name)) opening = name
    goTo(addressOf('state', name))
    choose(name)
    return loadGroups()
  })
  // the group an address names (none: the first listed, made the address)
  const follow = ([name]) => {
    if (!name && listed.length) {
      name = listed[0]
      goTo(addressOf('state', name), { replace: true })
    }
    return choose(name || null)
  }
  root.append(h('h2', {}, 'State'), h('div', { class: 'split' }, h('div', { class: 'card' }, groupsError, groups, groupForm), h('div', { class: 'card' }, noneStored, items)))
  await loadGroups()
  await loadItems()
  // the items are not read from a store whose groups could not be (one failed read, not two)
  return { stop: every(3000, inTurn(loadGroups, loadItems)), follow }
}

// ---------------------------------------------------------------- streams

// The streams, each with its count of groups, read again every 2 s (no realtime subscription covers a
// whole stream). A stream chosen shows its groups with their item counts, read again as often: a new
// group appears, a count changes in its cell, unchanged rows stay in place under the pointer. A group
// chosen shows its items, live (the group's realtime subscription); a refresh whose count for it
// differs from the items shown (an update the subscription missed, as while it reconnects) reads them
// again, and a group whose items are all gone says so (it comes back if items are added to it again).
// The stream view and the group view each have an AbortController: choosing another group cancels
// the group view's read and closes its live stream; choosing another stream does that and cancels the
// stream view's read and stops its refresh; leaving the panel stops everything, so nothing writes
// into a view replaced or a panel left.
// What is open is the panel's address (#/streams/<stream>/<group>): a click goes to the address of
// what it chose, and the panel follows an address (a click's, a link's, Back's) in place; a stream or
// group the address names that the server does not list is said so by name, and opened once the
// list, read every 2 s, has it (a stream added to the project in `motia dev` while the page is open,
// as the Flows and Endpoints panels draw a step added); a project with no stream yet waits so for
// its first.
const STREAM_REFRESH_MS = 2000

async function streamsPanel(root, argument, params, parts = []) {
  const { streams } = await api('/streams')
  const list = h('ul', { class: 'list', 'aria-label': 'streams' })
  const noneListed = h('p', { class: 'muted', hidden: true }, 'none yet')
  const listCard = h('div', { class: 'card' }, noneListed, list)
  const view = h('div', {})
  const listError = h('p', { class: 'error-text', 'data-load-error': 'streams' })
  let closeLive = null // closes the group view's live stream
  let group = null // the group view: { groupId, render, count }
  let shownName = null
  let wanted = [] // the address's stream and group, as last followed
  let waiting = null // the stream the address names that is not listed ('': any, none is listed)
  let refreshShown = null // what reads the stream shown's groups again
  let groupShown = new AbortController()
  let streamShown = new AbortController()
  const panelShown = new AbortController()
  const replaceGroup = () => {
    groupShown.abort()
    if (closeLive) closeLive()
    closeLive = null
    group = null
    groupShown = new AbortController()
    return groupShown.signal
  }
  const replaceStream = () => {
    streamShown.abort()
    replaceGroup()
    streamShown = new AbortController()
    return streamShown.signal
  }
  // the streams' entries, kept while their stream is (a click pressed on one is not lost to a refresh)
  const entries = new Map() // stream name -> { li, count }
  const showCount = (name, groups) => {
    const entry = entries.get(name)
    const text = counted(groups, 'group')
    if (entry && entry.count.textContent !== text) entry.count.textContent = text
  }
  const showStreams = (listed) => {
    const next = listed.map((stream) => {
      let entry = entries.get(stream.name)
      if (!entry) {
        const count = h('span', { class: 'muted' })
        const li = h('li', { 'data-stream': stream.name, class: stream.name === shownName ? 'selected' : '', onclick: () => goTo(addressOf('streams', stream.name)) || openStream(stream.name) }, stream.name, count)
        entries.set(stream.name, (entry = { li, count }))
      }
      showCount(stream.name, stream.groups)
      return entry
    })
    const names = new Set(listed.map((stream) => stream.name))
    for (const name of [...entries.keys()]) if (!names.has(name)) entries.delete(name)
    place(list, next.map((entry) => entry.li))
    noneListed.hidden = next.length > 0
  }
  const readStreams = latestReads(listError, { signal: panelShown.signal })
  const refreshStreams = () =>
    readStreams(() => api('/streams', { signal: panelShown.signal }), ({ streams: listed }) => {
      showStreams(listed)
      if (waiting !== null && (waiting === '' ? entries.size > 0 : entries.has(waiting))) follow(wanted)
    })
  // ``listed``: whether the stream's groups had it when it was opened (else, until items come, the
  // view says there is no such group: an address may name any)
  const openGroup = (name, groupId, itemsEl, listed) => {
    const signal = replaceGroup()
    const path = `${encodeURIComponent(name)}/${encodeURIComponent(groupId)}`
    // an update leaves the unchanged items in place: what the user selects in one stays selected
    const heading = h('h3', {}, `${name} / ${groupId}`)
    const gone = h('p', { class: 'muted', 'data-group-gone': groupId }, 'No items: the group is gone (its items were deleted). Items added to it again show here.')
    const unknown = h('p', { class: 'empty', 'data-unknown-group': groupId }, `no group named '${groupId}' in stream '${name}' (items added to it show here)`)
    let known = listed
    let shownItems = new Map() // item id -> { text, el }
    const itemView = (item) => {
      const text = JSON.stringify(item)
      const kept = shownItems.get(item.id)
      return kept && kept.text === text ? kept : { text, el: h('div', { 'data-item': item.id }, jsonBlock(item)) }
    }
    // a failed read shows its error above what the group's last read showed (nothing, if it was the first)
    const loadError = h('p', { class: 'error-text', 'data-load-error': 'items' })
    let shown = []
    const showItems = () => place(itemsEl, [heading, loadError, ...shown])
    const read = latestReads(loadError, { signal, failed: showItems })
    const render = () =>
      read(() => api(`/streams/${path}`, { signal }), (values) => {
        shownItems = new Map(values.map((item) => [item.id, itemView(item)]))
        known ||= values.length > 0
        shown = values.length ? [...shownItems.values()].map((view) => view.el) : [known ? gone : unknown]
        showItems()
      })
    // reconnected after the server was down, its items are read again: what changed meanwhile shows
    closeLive = liveSource(() => `${API}/sse/${path}`, { create: render, update: render, delete: render }, { reconnected: render })
    group = { groupId, render, count: () => shownItems.size }
    render()
  }
  let current = null // the stream shown: { name, choose(groupId) }
  const openStream = async (name) => {
    const signal = replaceStream()
    current = null
    waiting = null
    if (!entries.has(name)) {
      waiting = name
      shownName = null
      for (const entry of entries.values()) entry.li.classList.remove('selected')
      fill(view, h('p', { class: 'empty', 'data-unknown-stream': name }, `no stream named '${name}'`))
      return
    }
    let detail
    try {
      detail = await api(`/streams/${encodeURIComponent(name)}`, { signal })
    } catch (error) {
      if (!signal.aborted) failure(view, error)
      return
    }
    if (signal.aborted) return
    shownName = name
    for (const [other, entry] of entries) entry.li.classList.toggle('selected', other === name)
    const itemsEl = h('div', { 'data-group-items': '' })
    const groupsBody = h('tbody', {})
    const loadError = h('p', { class: 'error-text', 'data-load-error': 'stream' })
    const empty = h('tr', {}, h('td', { colspan: 2, class: 'empty' }, 'No group yet.'))
    let chosen = null
    let rows = new Map() // group id -> { tr, count }
    const rowOf = (group) => {
      const kept = rows.get(group.groupId)
      if (kept) {
        if (kept.count.textContent !== String(group.items)) kept.count.textContent = String(group.items)
        return kept
      }
      const count = h('td', { 'data-items-of': group.groupId }, group.items)
      const tr = h('tr', {
        class: group.groupId === chosen ? 'clickable selected' : 'clickable',
        'data-stream-group': group.groupId,
        onclick: () => goTo(addressOf('streams', name, group.groupId)) || openGroup(name, group.groupId, itemsEl, true),
      }, h('td', {}, group.groupId), count)
      return { tr, count }
    }
    const showGroups = (groups) => {
      rows = new Map(groups.map((group) => [group.groupId, rowOf(group)]))
      place(groupsBody, groups.length ? [...rows.values()].map((row) => row.tr) : [empty])
    }
    const read = latestReads(loadError, { signal })
    const refresh = () => {
      const shown = group // the group view this read may correct
      return read(() => api(`/streams/${encodeURIComponent(name)}`, { signal }), (again) => {
        showGroups(again.groups)
        showCount(name, again.groups.length)
        if (shown && shown === group) {
          const listed = again.groups.find((other) => other.groupId === shown.groupId)
          if ((listed ? listed.items : 0) !== shown.count()) shown.render()
        }
      })
    }
    showGroups(detail.groups)
    fill(view,
      h('h3', {}, name, ' ', h('code', { class: 'muted' }, detail.file)),
      loadError,
      h('table', { 'aria-label': 'groups' }, h('thead', {}, h('tr', {}, h('th', {}, 'group'), h('th', {}, 'items'))), groupsBody),
      itemsEl,
    )
    refreshShown = refresh
    signal.addEventListener('abort', () => refreshShown === refresh && (refreshShown = null))
    // a group chosen (or none: the stream's groups alone)
    const choose = (groupId) => {
      chosen = groupId ?? null
      for (const [id, row] of rows) row.tr.classList.toggle('selected', id === chosen)
      if (chosen === null) {
        replaceGroup()
        fill(itemsEl)
      } else if (group?.groupId !== chosen) openGroup(name, chosen, itemsEl, rows.has(chosen))
    }
    current = { name, choose }
  }
  // the stream and group an address names (none: the first stream, made the address)
  let follows = 0
  const follow = async ([name, groupId]) => {
    const mine = ++follows
    wanted = [name, groupId]
    if (name === undefined || name === '') {
      name = entries.keys().next().value
      if (name === undefined) {
        replaceStream()
        current = null
        waiting = ''
        fill(view, h('p', { class: 'empty', 'data-no-stream': '' }, 'No stream is defined: a stream file (name.stream.ts, .js or .py) shows here once the server loads it.'))
        return
      }
      groupId = undefined
      goTo(addressOf('streams', name), { replace: true })
    }
    if (current?.name !== name) await openStream(name)
    if (mine === follows && current?.name === name) current.choose(groupId)
  }
  showStreams(streams)
  root.append(h('h2', {}, 'Streams'), listError, h('div', { class: 'split' }, listCard, h('div', { class: 'card' }, view)))
  // one poll: the groups of the stream shown are not read from a server the list found gone
  panelShown.signal.addEventListener('abort', every(STREAM_REFRESH_MS, inTurn(refreshStreams, () => refreshShown?.())))
  await follow(parts)
  return {
    stop: () => {
      panelShown.abort()
      replaceStream()
    },
    follow,
  }
}

// ---------------------------------------------------------------- dead letters

// When a letter failed for good (``failedAt``: seconds since the epoch), as `motia dlq list` has it:
// letters of one step look alike but for it, and they outlive a restart, so a day other than today
// is written before the time; the title has the instant in UTC, as the CLI prints it.
function failedAtCell(failedAt) {
  if (typeof failedAt !== 'number') return h('td', {}, '')
  const date = new Date(failedAt * 1000)
  const today = date.toDateString() === new Date().toDateString()
  const text = today ? clock(date.getTime()) : `${date.toLocaleDateString()} ${clock(date.getTime())}`
  return h('td', { 'data-failed-at': '', title: date.toISOString() }, text)
}

// The dead letters, refreshed every 3 s. A refresh keeps the rows of unchanged letters in place (a
// click pressed on a row's button that is removed before it is released is lost). A letter's Replay
// and Purge are disabled while one of them is in flight (a double click replays once), its failure
// shows the server's error in the row, and the list is read again: a letter replayed or purged
// elsewhere goes, with the error above the table.
async function deadLettersPanel(root) {
  const body = h('tbody', {})
  const detail = h('div', { class: 'detail' })
  const message = h('span', { class: 'muted', 'aria-live': 'polite', 'data-message': '' })
  const loadError = h('p', { class: 'error-text', 'data-load-error': '' })
  const empty = h('tr', {}, h('td', { colspan: 8, class: 'empty' }, 'No dead letters.'))
  // ``text``, and a link to follow after it (a replay goes on in the letter's trace)
  const say = (text, failed, link = null) => {
    fill(message, text, link ? [' · ', link] : null)
    message.className = failed ? 'error-text' : 'muted'
  }
  let rows = new Map() // letter id -> { text, tr, buttons, error }
  const busy = new Set() // the letters whose replay or purge is in flight
  const read = latestReads(loadError)
  let inspected = null // the letter whose detail is shown, which goes with it
  const show = (letters) => {
    const next = new Map(letters.map((letter) => [letter.id, rowOf(letter)]))
    rows = next
    place(body, letters.length ? [...next.values()].map((row) => row.tr) : [empty])
    offerReplayAll(letters.length)
    if (inspected !== null && !next.has(inspected)) {
      inspected = null
      fill(detail)
    }
  }
  const inspect = (letter) => {
    inspected = letter.id
    fill(detail, h('div', { class: 'card', 'data-inspected': letter.id }, h('h3', {}, `Dead letter ${letter.id}`), jsonBlock(letter)))
    detail.scrollIntoView({ block: 'nearest' }) // beneath the table, below the fold once it is long
  }
  let shown = []
  const load = () =>
    read(() => api('/dead-letters'), ({ deadLetters }) => {
      shown = deadLetters
      show(shown)
    })
  const act = async (letter, verb, request, done) => {
    if (busy.has(letter.id)) return
    busy.add(letter.id)
    const row = rows.get(letter.id)
    row.error.textContent = ''
    for (const button of row.buttons) button.disabled = true
    try {
      const answer = await request()
      const follow = verb === 'replay' && letter.traceId ? h('a', { href: `#/traces/${letter.traceId}`, 'data-replayed-trace': letter.traceId }, 'follow it in its trace →') : null
      say(done(answer), false, follow)
      shown = shown.filter((other) => other.id !== letter.id) // gone from the server: gone at once
      show(shown)
    } catch (error) {
      const still = rows.get(letter.id)
      if (still) still.error.textContent = error.message
      say(`Could not ${verb} ${letter.id}: ${error.message}`, true)
    } finally {
      busy.delete(letter.id)
      const still = rows.get(letter.id)
      if (still) for (const button of still.buttons) button.disabled = false
    }
    await load()
  }
  const rowOf = (letter) => {
    const text = JSON.stringify(letter)
    const kept = rows.get(letter.id)
    if (kept && kept.text === text) return kept
    const replay = h('button', { 'data-replay': letter.id, disabled: busy.has(letter.id) }, 'Replay')
    const purge = h('button', { class: 'danger', 'data-purge': letter.id, disabled: busy.has(letter.id) }, 'Purge')
    replay.addEventListener('click', () =>
      act(letter, 'replay', () => api(`/dead-letters/${letter.id}/replay`, { method: 'POST' }), ({ replayed }) => `replayed ${letter.id} as delivery ${replayed.deliveryId}`),
    )
    purge.addEventListener('click', () => act(letter, 'purge', () => api(`/dead-letters/${letter.id}`, { method: 'DELETE' }), () => `purged ${letter.id}`))
    const error = h('span', { class: 'error-text', 'data-error-of': letter.id })
    const tr = h(
      'tr',
      { 'data-dead-letter': letter.id },
      h('td', {}, letter.id),
      h('td', {}, letter.topic),
      h('td', {}, letter.subscriber),
      h('td', {}, letter.attempts),
      // whole in its title: a long message cut at 120 characters lost its cause, said at its end
      h('td', { class: 'error-text', title: String(letter.error || '') }, truncate(String(letter.error || ''), 120)),
      failedAtCell(letter.failedAt),
      h('td', {}, letter.traceId ? h('a', { href: `#/traces/${letter.traceId}` }, letter.traceId.slice(-8)) : ''),
      h(
        'td',
        {},
        h('button', { class: 'secondary', 'data-inspect': letter.id, onclick: () => inspect(letter) }, 'Inspect'),
        ' ',
        replay,
        ' ',
        purge,
        ' ',
        error,
      ),
    )
    return { text, tr, buttons: [replay, purge], error }
  }
  // Replay all, offered while letters are listed (with none it replayed nothing, saying 'replayed 0'),
  // disabled while its request is in flight (a double click replays once)
  const replayAll = h('button', { class: 'secondary', 'data-replay-all': '' }, 'Replay all')
  let listed = 0
  let replayingAll = false
  const offerReplayAll = (count = listed) => {
    listed = count
    replayAll.disabled = replayingAll || !listed
    replayAll.title = listed ? `Replay the ${counted(listed, 'dead letter')} listed` : 'No dead letters to replay'
  }
  replayAll.addEventListener('click', async () => {
    if (replayingAll) return
    replayingAll = true
    offerReplayAll()
    try {
      const { replayed, kept, keptSteps } = await api('/dead-letters/replay', { method: 'POST' })
      const unloaded = kept ? `; kept ${kept} whose step is not loaded: ${keptSteps.join(', ')}` : ''
      say(`replayed ${counted(replayed, 'dead letter')}${unloaded}`, false)
    } catch (error) {
      say(`Could not replay: ${error.message}`, true)
    }
    try {
      await load()
    } finally {
      replayingAll = false
      offerReplayAll()
    }
  })
  root.append(
    h('h2', {}, 'Dead letters'),
    h('div', { class: 'toolbar' }, replayAll, message),
    loadError,
    h('div', { class: 'card' }, h('table', { 'aria-label': 'dead letters' }, h('thead', {}, h('tr', {}, ['id', 'topic', 'step', 'attempts', 'last error', 'failed at', 'trace', ''].map((c) => h('th', {}, c)))), body)),
    detail,
  )
  await load()
  return every(3000, load)
}

// ---------------------------------------------------------------- runners

// The runners, refreshed every 2 s. A refresh changes the text of the cells that changed and nothing
// else: a row rebuilt every 2 s lost the selection of a user copying a pid or a debugger's address.
async function runnersPanel(root) {
  const body = h('tbody', {})
  const loadError = h('p', { class: 'error-text', 'data-load-error': 'runners' })
  const columns = ['id', 'kind', 'transport', 'pid', 'memory', 'in flight', 'uptime', 'restarts', 'debugger', 'steps']
  const empty = h('tr', {}, h('td', { colspan: columns.length, class: 'empty' }, 'No runner is running.'))
  let rows = new Map() // runner id -> its <tr>
  // the steps it takes as `motia runners` says them (supervisor/cli/_runners.py): those named (a
  // runner attached with --steps) or every step of its language
  const stepsOf = (runner) => (runner.steps ? runner.steps.join(', ') : `all ${runner.kind} steps`)
  const cellsOf = (runner) => [runner.id, runner.kind, runner.transport, runner.pid ?? '-', runner.memoryMb != null ? `${runner.memoryMb.toFixed(1)} MB` : '?', runner.inFlight, durationText(runner.uptimeSeconds), runner.restarts ?? '-', runner.inspector || '-', stepsOf(runner)].map(String)
  const rowOf = (runner) => {
    const tr = rows.get(runner.id) || h('tr', { 'data-runner': runner.id }, cellsOf(runner).map(() => h('td', {})))
    cellsOf(runner).forEach((text, index) => {
      const cell = tr.children[index]
      if (cell.textContent !== text) cell.textContent = text
    })
    return tr
  }
  // whose runners these are: supervisors sharing a project on Redis each list their own, under the
  // same ids (node-0 on each), and a user with two Workbenches open must tell them apart
  const owner = h('p', { class: 'muted', 'data-runners-of': '' })
  const ownerText = (supervisor) => (supervisor ? `Runners of the supervisor serving this page: pid ${supervisor.pid} on ${supervisor.host}. Other supervisors sharing this project list their own.` : '')
  // a refresh that fails shows its error above the runners last read
  const read = latestReads(loadError)
  const load = () =>
    read(() => api('/runners'), ({ supervisor, runners }) => {
      const text = ownerText(supervisor)
      if (owner.textContent !== text) owner.textContent = text
      rows = new Map(runners.map((runner) => [runner.id, rowOf(runner)]))
      place(body, runners.length ? [...rows.values()] : [empty])
    })
  root.append(h('h2', {}, 'Runners'), owner, loadError, h('div', { class: 'card' }, h('table', { 'aria-label': 'runners' }, h('thead', {}, h('tr', {}, columns.map((c) => h('th', {}, c)))), body)))
  await load()
  return every(2000, load)
}

// ---------------------------------------------------------------- routing

const PANELS = {
  flows: flowsPanel,
  endpoints: endpointsPanel,
  traces: tracesPanel,
  logs: logsPanel,
  state: statePanel,
  streams: streamsPanel,
  'dead-letters': deadLettersPanel,
  runners: runnersPanel,
}

let stopPanel = null
let followPanel = null // the panel shown's follow(parts, params), if it takes a new address itself
let generation = 0

// One part of an address, decoded; a part that is no valid encoding (a '%' typed by hand) as it is.
function addressPart(part) {
  try {
    return decodeURIComponent(part)
  } catch {
    return part
  }
}

// The address of ``panel`` opened on ``parts``, each encoded: a name's '/', '%' or space stays in it.
const addressOf = (panel, ...parts) => ['#', panel, ...parts.filter((part) => part !== undefined && part !== null).map(encodeURIComponent)].join('/')

// A selection made in a panel, made its address: a new history entry (Back returns to the one before),
// which the router hands to the panel's follow as it would a link or Back. The panel's first view,
// shown where its address named none, replaces its entry instead (``replace``): no extra Back step.
// False when the page is at that address already (a click on what is shown: the panel reads it again).
function goTo(address, { replace = false } = {}) {
  if (location.hash === address) return false
  if (replace) history.replaceState(null, '', address)
  else location.hash = address
  return true
}

// A panel is called as panel(root, argument, params, parts): ``argument`` is the address's path after
// the panel's name, decoded whole (#/traces/<id>); ``parts`` its parts each decoded, for a panel whose
// address names several things (#/streams/<stream>/<group>, where a group's name may hold a '/').
// It answers what stops it, or { stop, follow }: a new address of the same panel then goes to
// follow(parts, params), the panel changing what it shows in place (a click's selection, Back).
async function route() {
  const [path, search = ''] = (location.hash || '#/flows').split('?')
  const [, name = 'flows', ...rest] = path.split('/')
  const panel = PANELS[name] || flowsPanel
  const argument = rest.length ? addressPart(rest.join('/')) : undefined
  const parts = rest.map(addressPart)
  const shown = document.getElementById('panel')
  if (followPanel && shown.dataset.panel === name) {
    followPanel(parts, new URLSearchParams(search))
    return
  }
  if (stopPanel) stopPanel()
  stopPanel = null
  followPanel = null
  const mine = ++generation
  for (const link of document.querySelectorAll('#tabs a')) link.classList.toggle('active', link.dataset.panel === (PANELS[name] ? name : 'flows'))
  const root = document.getElementById('panel')
  fill(root)
  delete root.dataset.ready
  root.dataset.panel = PANELS[name] ? name : 'flows'
  try {
    const answer = await panel(root, argument, new URLSearchParams(search), parts)
    const { stop, follow } = typeof answer === 'function' || !answer ? { stop: answer } : answer
    if (mine !== generation) {
      if (stop) stop()
      return
    }
    stopPanel = stop
    followPanel = follow || null
    root.dataset.ready = 'true'
  } catch (error) {
    if (mine === generation) failure(root, error)
  }
}

// The header's health line, read every few seconds: when the server stops answering it says so, and
// since when, until it answers again. A read that hangs counts as no answer. It reads the Workbench's
// form of the health endpoint, which answers a degraded server (up, its storage not) with a 200 and
// the status in its body: the 503 of /__motia/health, meant for load balancers, would be logged by
// the browser as a failed load at every read.
const HEALTH_EVERY_MS = 3000
const HEALTH_TIMEOUT_MS = 5000
let unreachableSince = null
// the gate of the pollers (every): the server's health as the line last read it ('ok', 'degraded' or
// 'down'), and the pollers waiting for it to be 'ok' again
let serverHealth = 'ok'
const waitingForHealth = new Set()
const whenServerHealthy = () =>
  serverHealth === 'ok' ? Promise.resolve() : new Promise((resolve) => waitingForHealth.add(resolve))
// one read at a time: a poller's failure and the line's own schedule share the read in flight
let healthReading = null
const readHealth = () => (healthReading ??= health().finally(() => (healthReading = null)))
// The line read now, not on its next turn (up to HEALTH_EVERY_MS later): a panel that sees the
// project change under it (a reload in `motia dev`) waits for it before drawing the change, so the
// header counts the steps it draws. A read in flight may have begun before the reload: it is let
// finish, then the line read again.
const healthAfterReload = async () => {
  if (healthReading) await healthReading
  return readHealth()
}
let firstHealthRead
// the server's first health report (null if it did not answer): whether it records traces and logs
const firstHealth = new Promise((resolve) => (firstHealthRead = resolve))

async function health() {
  const line = document.getElementById('health')
  const show = (state, text) => {
    serverHealth = state
    if (state === 'ok') {
      for (const resolve of waitingForHealth) resolve()
      waitingForHealth.clear()
    }
    line.dataset.health = state
    line.classList.toggle('down', state !== 'ok')
    if (line.textContent !== text) line.textContent = text
  }
  let status
  try {
    status = await api('/workbench/health', { timeout: HEALTH_TIMEOUT_MS })
  } catch {
    firstHealthRead(null)
    unreachableSince ??= Date.now()
    show('down', `server unreachable since ${new Date(unreachableSince).toLocaleTimeString([], { hour12: false })}`)
    return serverHealth
  }
  firstHealthRead(status)
  unreachableSince = null
  const runners = Object.values(status.runners || {}).reduce((sum, runner) => sum + runner.pids.length, 0)
  // the files that did not load, counted, each named in the line's tooltip: a step missing from its
  // flow (its file failed to import) was told nowhere on the page but in the Logs panel's start-up lines
  const problems = status.problems || []
  const loadProblems = problems.length ? ` · ${counted(problems.length, 'load problem')}` : ''
  // each with the fix the start-up summary prints under it, where one is known
  const told = problems.length ? `Not loaded (the steps they define are missing):\n${problems.map(({ error, fix }) => (fix ? `${error}\n  fix: ${fix}` : error)).join('\n')}` : ''
  if (line.title !== told) line.title = told
  line.dataset.problems = problems.length
  const summary = `${counted(status.steps, 'step')} · ${counted(runners, 'runner')}${status.traces === false ? ' · traces off' : ''}${loadProblems}`
  if (status.status === 'ok') show('ok', summary)
  else show('degraded', `${summary} · ${status.status}: ${status.message}`) // degraded, or stopping
  return serverHealth
}

window.addEventListener('hashchange', route)
route()
readHealth().then(() => every(HEALTH_EVERY_MS, readHealth))
