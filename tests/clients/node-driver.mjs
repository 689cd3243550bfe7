// Runs scenario.mjs with Motia's published node client: node node-driver.mjs http://127.0.0.1:PORT
import { Stream } from '@motiadev/stream-client-node'
import { runScenario } from './scenario.mjs'

const httpUrl = process.argv[2]
const wsUrl = httpUrl.replace(/^http/, 'ws')
try {
  const result = await runScenario({ Stream, httpUrl, wsUrl, log: (line) => console.log(line) })
  console.log(`RESULT ${JSON.stringify(result)}`)
  process.exit(0)
} catch (error) {
  console.error(`FAILED: ${error.stack ?? error}`)
  process.exit(1)
}
