// A Chrome DevTools Protocol client, as a debugger front-end (Chrome DevTools, VS Code) speaks to a
// node runner's inspector: node cdp-driver.mjs HOST:PORT
// Reads one JSON command a line on stdin, answers one JSON line on stdout each:
//   {"cmd": "break", "file": "/abs/create.step.ts", "marker": "TEXT"} -> {"line": N}  (the file's line holding TEXT)
//   {"cmd": "paused"}                                             -> {"line": N, "reason": "..."} once paused
//   {"cmd": "eval", "expr": "process.pid"}                        -> {"value": ...} (in the paused frame)
//   {"cmd": "resume"}                                             -> {"resumed": true}
//   {"cmd": "pid"}                                                -> {"value": PID} (of the process inspected)
// An error answers {"error": "..."}.
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { pathToFileURL } from 'node:url'
import WebSocket from 'ws'
import { timedFetch } from './timed-fetch.mjs'

const address = process.argv[2]
const targets = await (await timedFetch(`http://${address}/json/list`)).json()
const socket = new WebSocket(targets[0].webSocketDebuggerUrl)
await new Promise((resolve, reject) => {
  socket.once('open', resolve)
  socket.once('error', reject)
})

let nextId = 1
const pending = new Map()
const scripts = new Map() // scriptId -> url
let paused
let pausedWaiter

socket.on('message', (data) => {
  const message = JSON.parse(String(data))
  if (message.id !== undefined) {
    const waiter = pending.get(message.id)
    pending.delete(message.id)
    if (message.error) waiter.reject(new Error(message.error.message))
    else waiter.resolve(message.result)
  } else if (message.method === 'Debugger.scriptParsed') {
    scripts.set(message.params.scriptId, message.params.url)
  } else if (message.method === 'Debugger.paused') {
    paused = message.params
    pausedWaiter?.(paused)
  } else if (message.method === 'Debugger.resumed') {
    paused = undefined
  }
})

function send(method, params = {}) {
  const id = nextId++
  socket.send(JSON.stringify({ id, method, params }))
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject }))
}

await send('Runtime.enable')
await send('Debugger.enable')
// A runner started with --inspect-wait goes on loading its steps once told to.
await send('Runtime.runIfWaitingForDebugger')

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

/** The source map's segments: [generatedLine, generatedColumn, source, originalLine], all 0-based. */
function decodeMappings(mappings) {
  const segments = []
  let source = 0
  let originalLine = 0
  let originalColumn = 0
  mappings.split(';').forEach((line, generatedLine) => {
    let generatedColumn = 0
    for (const segment of line.split(',')) {
      if (!segment) continue
      const values = []
      let value = 0
      let shift = 0
      for (const char of segment) {
        const digit = BASE64.indexOf(char)
        value += (digit & 31) << shift
        if (digit & 32) {
          shift += 5
        } else {
          values.push(value & 1 ? -(value >>> 1) : value >>> 1)
          value = 0
          shift = 0
        }
      }
      generatedColumn += values[0]
      if (values.length < 4) continue
      source += values[1]
      originalLine += values[2]
      originalColumn += values[3]
      segments.push([generatedLine, generatedColumn, source, originalLine])
    }
  })
  return segments
}

/** Where V8 runs line ``line`` (0-based) of the file: through the script's inline source map, as an
 * IDE maps a breakpoint in a TypeScript file (tsx compiles it, to one line). */
function generatedLocation(scriptSource, line) {
  const match = scriptSource.match(/sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)/)
  if (!match) return { lineNumber: line, columnNumber: 0 }
  const map = JSON.parse(Buffer.from(match[1], 'base64').toString())
  const hit = decodeMappings(map.mappings).find(([, , source, originalLine]) => source === 0 && originalLine === line)
  if (!hit) throw new Error(`the source map has no code for line ${line + 1}`)
  return { lineNumber: hit[0], columnNumber: hit[1] }
}

async function breakAt(path, marker) {
  const line = readFileSync(path, 'utf8').split('\n').findIndex((text) => text.includes(marker))
  if (line < 0) throw new Error(`${marker} is not in ${path}`)
  const url = pathToFileURL(path).href
  for (let tries = 0; tries < 100; tries++) {
    for (const [scriptId, scriptUrl] of scripts) {
      if (scriptUrl !== url) continue
      const { scriptSource } = await send('Debugger.getScriptSource', { scriptId })
      const location = generatedLocation(scriptSource, line)
      await send('Debugger.setBreakpoint', { location: { scriptId, ...location } })
      return { line: line + 1 }
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`no script ${url} is loaded; loaded: ${[...scripts.values()].filter(Boolean).join(', ')}`)
}

async function whenPaused() {
  const params = paused ?? (await new Promise((resolve) => (pausedWaiter = resolve)))
  return { line: params.callFrames[0].location.lineNumber, reason: params.reason }
}

async function evaluate(expr) {
  const frame = paused.callFrames[0].callFrameId
  const { result } = await send('Debugger.evaluateOnCallFrame', { callFrameId: frame, expression: expr, returnByValue: true })
  return { value: result.value }
}

const commands = {
  break: ({ file, marker }) => breakAt(file, marker),
  paused: () => whenPaused(),
  eval: ({ expr }) => evaluate(expr),
  pid: async () => {
    const { result } = await send('Runtime.evaluate', { expression: 'process.pid', returnByValue: true })
    return { value: result.value }
  },
  resume: async () => {
    await send('Debugger.resume')
    return { resumed: true }
  },
}

for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line)
  try {
    console.log(JSON.stringify(await commands[command.cmd](command)))
  } catch (error) {
    console.log(JSON.stringify({ error: String(error.message ?? error) }))
  }
}
socket.close()
