// One scenario, run by Motia's node client (node-driver.mjs) and by its browser client in headless
// Chromium (browser-driver.mjs), against a running server with tests/fixtures/realtime.
// Writes go through api steps in TS, JS and Python; every check waits for the client's own state.
import { timedFetch } from './timed-fetch.mjs'

export async function runScenario({ Stream, httpUrl, wsUrl, log }) {
  const group = `g-${Math.random().toString(36).slice(2, 10)}`
  const write = async (lang, id, body) => {
    const response = await timedFetch(`${httpUrl}/${lang}/items/${group}/${id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    if (!response.ok) throw new Error(`${lang} ${body.op} ${id}: HTTP ${response.status} ${await response.text()}`)
    return response.json()
  }
  const until = async (what, check, timeoutMs = 10000) => {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      if (check()) return
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    throw new Error(`timed out waiting for: ${what}`)
  }
  const step = (name) => log(`- ${name}`)

  await write('py', 'seed', { op: 'set', data: { title: 'seed' } })
  const stream = new Stream(wsUrl, { protocols: ['Authorization', 'test-token'] })
  const raw = []
  stream.ws.onMessage((text) => raw.push(JSON.parse(text)))

  const groupSub = stream.subscribeGroup('items', group)
  const itemSub = stream.subscribeItem('items', group, 'a')
  const titles = () => Object.fromEntries(groupSub.getState().map((item) => [item.id, item.title]))
  const itemTitle = () => itemSub.getState()?.title
  const groupEvents = []
  const itemEvents = []
  groupSub.onEvent('ping', (data) => groupEvents.push(['ping', data]))
  groupSub.onEvent('hello', (data) => groupEvents.push(['hello', data]))
  itemSub.onEvent('ping', (data) => itemEvents.push(['ping', data]))
  let itemChanges = 0
  itemSub.addChangeListener(() => itemChanges++)

  step('group subscription starts with a sync of the current items')
  await until('sync with the seed item', () => titles().seed === 'seed')

  for (const lang of ['ts', 'js', 'py']) {
    step(`a set from a ${lang} step reaches the item and the group subscription`)
    await write(lang, 'a', { op: 'set', data: { title: `from ${lang}` } })
    await until(`item a titled "from ${lang}"`, () => itemTitle() === `from ${lang}` && titles().a === `from ${lang}`)
  }

  for (const lang of ['ts', 'py']) {
    step(`20 back-to-back sets from ${lang} (same millisecond) all apply: the last one wins`)
    await write(lang, 'a', { op: 'burst', count: 20, prefix: lang })
    await until(`item a titled "${lang}-19"`, () => itemTitle() === `${lang}-19` && titles().a === `${lang}-19`)
  }

  step('an event sent to the item reaches the item and its group')
  await write('js', 'a', { op: 'send', event: { type: 'ping', data: { n: 1 } } })
  await until('ping on item and group', () => itemEvents.length === 1 && groupEvents.some(([type]) => type === 'ping'))
  if (itemEvents[0][1].n !== 1) throw new Error(`ping data: ${JSON.stringify(itemEvents)}`)

  step('an event sent to the group reaches the group only')
  await write('py', 'a', { op: 'send-group', event: { type: 'hello', data: { from: 'py' } } })
  await until('hello on the group', () => groupEvents.some(([type, data]) => type === 'hello' && data.from === 'py'))

  step('delete empties the item and removes it from the group')
  await write('ts', 'a', { op: 'delete' })
  await until('item a deleted', () => itemSub.getState() === null && !('a' in titles()))

  step("a group subscribed with sortKey '_createdAt' (Motia's Redis adapter's field) keeps creation order")
  const sorted = stream.subscribeGroup('items', group, '_createdAt')
  await write('ts', 'z', { op: 'set', data: { title: 'made first' } })
  await write('py', 'm', { op: 'set', data: { title: 'made second' } })
  await write('js', 'z', { op: 'set', data: { title: 'made first, changed' } })
  const sortedIds = () => sorted.getState().map((item) => item.id).filter((id) => id === 'z' || id === 'm')
  await until('z before m, z changed in place', () =>
    sortedIds().join(',') === 'z,m' && sorted.getState().find((item) => item.id === 'z')?.title === 'made first, changed',
  )
  sorted.close()

  step('a subscription to an unknown stream gets STREAM_ACCESS_DENIED')
  stream.subscribeGroup('no-such-stream', group)
  await until('error event', () =>
    raw.some((m) => m.streamName === 'no-such-stream' && m.event.type === 'error' && m.event.data.code === 'STREAM_ACCESS_DENIED'),
  )

  step('after leave, the item subscription receives nothing; the group still does')
  itemSub.close()
  const changesBeforeLeave = itemChanges
  await write('js', 'a', { op: 'set', data: { title: 'after leave' } })
  await until('group sees the new item', () => titles().a === 'after leave')
  await new Promise((resolve) => setTimeout(resolve, 300))
  if (itemChanges !== changesBeforeLeave) throw new Error('the item subscription got a change after leave')

  step('the client reconnects after its socket drops and resyncs what it missed')
  const dropped = stream.ws
  dropped.ws.close()
  await until('socket closed', () => !dropped.isOpen(), 5000)
  await write('py', 'b', { op: 'set', data: { title: 'while away' } })
  // The client waits 2 s before reconnecting: the write above happened while it was away.
  if (stream.ws !== dropped) throw new Error('reconnected too early to tell a resync from a live update')
  await until('resync after reconnect', () => titles().b === 'while away', 15000)
  stream.ws.onMessage((text) => raw.push(JSON.parse(text)))
  await write('ts', 'c', { op: 'set', data: { title: 'live again' } })
  await until('live update after reconnect', () => titles().c === 'live again')

  const stamps = raw.filter((m) => m.streamName === 'items' && m.id === 'a').map((m) => m.timestamp)
  stream.close()
  return { group, messages: raw.length, itemATimestampsIncreasing: stamps.every((t, i) => i === 0 || t > stamps[i - 1]) }
}
