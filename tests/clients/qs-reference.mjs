// qs 6.13 (what Motia 0.17's Express 4.21 and body-parser 1.20.3 parse with) on the JSON list of
// strings read from stdin; prints, for each, Express's req.query and body-parser's extended
// urlencoded req.body (or the error body-parser answers): tests/test_query_strings.py compares.
import qs from 'qs'

let input = ''
for await (const chunk of process.stdin) input += chunk
const results = JSON.parse(input).map((text) => {
  // express/lib/utils.js, the 'extended' query parser
  const query = qs.parse(text, { allowPrototypes: true })
  // body-parser/lib/types/urlencoded.js, extendedparser with its defaults
  const ampersands = text.split('&').length - 1
  if (ampersands >= 1000) return { query, body: { status: 413 } }
  try {
    const options = { allowPrototypes: true, arrayLimit: Math.max(100, ampersands), depth: 32, strictDepth: true, parameterLimit: 1000 }
    return { query, body: { value: qs.parse(text, options) } }
  } catch (error) {
    if (error instanceof RangeError) return { query, body: { status: 400 } }
    throw error
  }
})
process.stdout.write(JSON.stringify(results))
