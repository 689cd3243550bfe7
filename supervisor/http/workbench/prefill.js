// The body the Endpoints form is prefilled with: one its step's bodySchema accepts, so that a first
// Send reaches the handler instead of answering 400. Pinned by tests/test_workbench.py (PREFILLED:
// each example body checked by the server's own validator; and the form in Chromium).
import { compiled, matchingString } from './matching.js'

// The value a request form is prefilled with for ``schema`` (a JSON Schema; ``root`` the document
// its $refs point into): what the schema offers as an example (its first of examples, its example,
// default, const, first of enum), else one built from its type that its constraints accept, the
// required properties of an object only (an optional one's example is one a user adds). As Motia's
// Workbench does, a $ref to the root's $defs (pydantic's nested models) is followed, a choice with
// null takes its other option, and a string with no example is its description: what to type there.
export function exampleOf(schema, root = schema, depth = 0) {
  if (!schema || typeof schema !== 'object' || depth > 8) return null
  if (Array.isArray(schema.examples) && schema.examples.length) return schema.examples[0]
  for (const offered of ['example', 'default', 'const']) if (offered in schema) return schema[offered]
  if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[0]
  if (typeof schema.$ref === 'string') return exampleOf(referenced(schema.$ref, root), root, depth + 1)
  const choice = schema.anyOf || schema.oneOf
  if (Array.isArray(choice) && choice.length) {
    // the option read with the keywords beside the choice: zod-to-json-schema writes z.string().ip()
    // as { type: 'string', anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }] }
    const { anyOf, oneOf, ...beside } = schema
    const option = choice.find((one) => one?.type !== 'null') || choice[0]
    return exampleOf({ ...beside, ...option }, root, depth + 1)
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length) {
    const { allOf, ...own } = schema
    const parts = allOf.map((part) => (typeof part?.$ref === 'string' ? referenced(part.$ref, root) : part) || {})
    if ([own, ...parts].some((part) => part.type === 'object' || part.properties)) {
      return Object.assign({}, ...[own, ...parts].map((part) => exampleOf(part, root, depth + 1) || {}))
    }
    // one value every part accepts (zod's startsWith and endsWith: a pattern in each of two parts)
    const patterns = [own, ...parts].map((part) => part.pattern).filter((pattern) => typeof pattern === 'string')
    return exampleOf({ ...Object.assign({}, ...parts), ...own, patterns }, root, depth + 1)
  }
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type
  if (type === 'object' || schema.properties) {
    const result = {}
    const required = new Set(schema.required || Object.keys(schema.properties || {}))
    for (const [key, value] of Object.entries(schema.properties || {})) {
      if (required.has(key)) result[key] = exampleOf(value, root, depth + 1)
    }
    return result
  }
  if (type === 'array') {
    const item = exampleOf(schema.items, root, depth + 1)
    return item === null ? [] : Array(Math.max(1, schema.minItems || 0)).fill(item)
  }
  if (type === 'string' && schema.contentMediaType === 'application/json') {
    // pydantic's Json[T]: a string of T's JSON
    return JSON.stringify(exampleOf(schema.contentSchema, root, depth + 1) ?? {})
  }
  if (type === 'string') return stringExampleOf(schema)
  if (type === 'integer' || type === 'number') return numberExampleOf(schema, type === 'integer')
  if (type === 'boolean') return false
  return null
}

// The schema a local $ref (#/$defs/Name, #/definitions/Name, any #/ pointer) names in ``root``.
function referenced(ref, root) {
  if (!ref.startsWith('#')) return null
  const names = ref.slice(1).split('/').filter(Boolean).map((name) => decodeURIComponent(name.replaceAll('~1', '/').replaceAll('~0', '~')))
  return names.reduce((at, name) => (at && typeof at === 'object' ? at[name] : undefined), root) ?? null
}

// A value of each `format` Zod and pydantic write that the server's validator accepts (it checks
// formats in a draft-07 schema, which zod-to-json-schema writes) and the libraries read back.
function formatted(format) {
  const now = new Date().toISOString()
  const examples = {
    email: 'user@example.com',
    'idn-email': 'user@example.com',
    'date-time': now,
    date: now.slice(0, 10),
    time: '12:00:00Z', // RFC 3339's full-time, with its offset, as the validator wants
    duration: 'P1D',
    uri: 'https://example.com',
    url: 'https://example.com',
    iri: 'https://example.com',
    'uri-reference': 'https://example.com',
    'iri-reference': 'https://example.com',
    'uri-template': 'https://example.com/{id}',
    'multi-host-uri': 'https://example.com',
    hostname: 'example.com',
    'idn-hostname': 'example.com',
    ipv4: '192.0.2.1',
    ipv6: '2001:db8::1',
    ipvanyaddress: '192.0.2.1',
    ipv4interface: '192.0.2.1/24',
    ipv6interface: '2001:db8::1/64',
    ipvanyinterface: '192.0.2.1/24',
    ipv4network: '192.0.2.0/24',
    ipv6network: '2001:db8::/32',
    ipvanynetwork: '192.0.2.0/24',
    cidrv4: '192.0.2.0/24',
    cidrv6: '2001:db8::/32',
    'json-pointer': '/id',
    'relative-json-pointer': '0',
    regex: '^.*$',
    e164: '+12025550100',
    base64: 'c3RyaW5n',
    base64url: 'c3RyaW5n',
    'json-string': '{}',
    emoji: '👋',
    uuid1: 'a8098c1a-f86e-11da-bd1a-00112444be1e',
    uuid3: '6fa459ea-ee8a-3ca4-894e-db77e160355e',
    uuid5: '886313e1-3b8a-5372-9b90-0c9aee199e5d',
  }
  if (format === 'uuid' || format === 'uuid4' || format === 'guid') {
    // randomUUID is only there in a secure context: a page opened by its LAN address has none
    return globalThis.crypto?.randomUUID?.() ?? '3fa85f64-5717-4562-b3fc-2c963f66afa6'
  }
  return examples[format]
}

function stringExampleOf(schema) {
  const patterns = schema.patterns ?? (typeof schema.pattern === 'string' ? [schema.pattern] : [])
  const [minLength, maxLength] = [schema.minLength || 0, schema.maxLength ?? Infinity]
  const fits = (text) => {
    const length = [...text].length
    if (length < minLength || length > maxLength) return false
    // a pattern JavaScript cannot read: the server's validation says
    return patterns.every((pattern) => compiled(pattern)?.test(text) ?? true)
  }
  const described = typeof schema.description === 'string' ? schema.description.trim() : ''
  const text = 'string'.padEnd(minLength, 'x').slice(0, maxLength)
  const made = patterns.map((pattern) => matchingString(pattern, { minLength, maxLength }))
  const candidates = [
    formatted(schema.format),
    described || null,
    text,
    ...made,
    made.every((one) => one !== null) && made.join(''), // one that starts as one part says, ends as another
  ]
  return candidates.find((candidate) => typeof candidate === 'string' && fits(candidate)) ?? text
}

// The least number ``schema`` accepts from its lower bound up, else 0, else the greatest from its
// upper bound down: within its bounds (draft 4's boolean exclusiveMinimum/Maximum too), a multipleOf,
// and an integer if ``integer``.
function numberExampleOf(schema, integer) {
  const bound = (inclusive, exclusive, tighter) => {
    const bounds = []
    if (typeof inclusive === 'number') bounds.push({ value: inclusive, open: exclusive === true })
    if (typeof exclusive === 'number') bounds.push({ value: exclusive, open: true })
    return bounds.sort((a, b) => tighter(a.value, b.value) || (b.open ? 1 : 0) - (a.open ? 1 : 0))[0] ?? null
  }
  const low = bound(schema.minimum, schema.exclusiveMinimum, (a, b) => b - a)
  const high = bound(schema.maximum, schema.exclusiveMaximum, (a, b) => a - b)
  const step = typeof schema.multipleOf === 'number' && schema.multipleOf > 0 ? schema.multipleOf : null
  const fits = (n) =>
    (!low || n > low.value || (!low.open && n === low.value)) &&
    (!high || n < high.value || (!high.open && n === high.value)) &&
    (!integer || Number.isInteger(n)) &&
    (!step || Math.abs(n / step - Math.round(n / step)) < 1e-9)
  // 0.1 * 3 is 0.30000000000000004, which multipleOf 0.1 refuses
  const clean = (n) => Number(n.toPrecision(12))
  const firstFrom = (from, direction) => {
    if (step) {
      let k = direction > 0 ? Math.ceil(from / step - 1e-9) : Math.floor(from / step + 1e-9)
      for (let tries = 0; tries < 100; tries++, k += direction) if (fits(clean(k * step))) return clean(k * step)
      return null
    }
    const start = integer ? (direction > 0 ? Math.ceil(from) : Math.floor(from)) : from
    const middle = low && high ? (low.value + high.value) / 2 : null
    return [start, start + direction, middle, integer ? Math.round(middle) : null].find((n) => n !== null && fits(n)) ?? null
  }
  return (low ? firstFrom(low.value, 1) : fits(0) ? 0 : high ? firstFrom(high.value, -1) : null) ?? low?.value ?? 0
}
