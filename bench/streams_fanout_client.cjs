// N WebSocket subscribers of one stream group, speaking Motia's stream protocol with the `ws`
// package (what @motiadev/stream-client-node uses). Prints READY once all have their sync, then
// one JSON line when every client has `expected` updates or the time is up.
// Usage: node streams_fanout_client.cjs WS_URL CLIENTS EXPECTED TIMEOUT_S DEFLATE(0|1)
const WebSocket = require('ws')

const [url, clients, expected, timeoutS, deflate] = process.argv.slice(2)
const count = Number(clients)
const want = Number(expected)
const now = () => performance.timeOrigin + performance.now()
const latencies = []
const received = new Array(count).fill(0)
let synced = 0
let closed = 0

for (let c = 0; c < count; c++) {
  const ws = new WebSocket(url, { perMessageDeflate: deflate === '1' })
  ws.on('open', () => {
    const data = { streamName: 'bench', groupId: 'fanout', subscriptionId: `s${c}` }
    ws.send(JSON.stringify({ type: 'join', data }))
  })
  ws.on('message', (raw) => {
    const message = JSON.parse(raw.toString())
    if (message.event.type === 'sync') {
      if (++synced === count) console.log('READY')
    } else if (message.event.type === 'update' || message.event.type === 'create') {
      received[c]++
      latencies.push(now() - message.event.data.sentAt)
    }
  })
  ws.on('close', () => closed++)
  ws.on('error', () => {})
}

const started = Date.now()
const timer = setInterval(() => {
  const done = synced === count && received.every((n) => n >= want)
  if (!done && Date.now() - started < Number(timeoutS) * 1000) return
  clearInterval(timer)
  latencies.sort((a, b) => a - b)
  const q = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : null)
  const drops = received.reduce((sum, n) => sum + Math.max(0, want - n), 0)
  console.log(JSON.stringify({ p50: q(0.5), p99: q(0.99), max: q(1), messages: latencies.length, drops, closed, synced }))
  process.exit(0)
}, 50)
