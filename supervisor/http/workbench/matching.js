// One string a JSON Schema `pattern` accepts, for the Endpoints form's prefilled body (prefill.js): a
// string field with a pattern and no example was prefilled "string", which an E.164 phone, a slug or
// an ISO code rejects, so the form's first Send answered 400. The subset users write is read:
// literals, escapes (\d \w \s \. \+ \xHH \uHHHH, \b), classes ([a-z0-9_-], negated ones), `.`,
// quantifiers (? * + {n} {n,} {n,m}, lazy too), groups ((...), (?:...), (?<name>...)), back references,
// alternation and anchors; a lookaround generates nothing (what is made is tested anyway). Anything
// else (\p{...}, \k<name>) gives null, as does a string the pattern, tested as the browser reads it,
// rejects: the caller then keeps its own guess. Pinned by tests/test_workbench.py (PATTERNS).

// the characters a class or `.` is given from, first those that read as an example
const PREFERRED = [...'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-_.+ ']
const CLASSES = {
  d: [[48, 57]],
  w: [[48, 57], [65, 90], [95, 95], [97, 122]],
  s: [[9, 13], [32, 32], [160, 160], [0x2028, 0x2029], [0xfeff, 0xfeff]],
}
const ESCAPED = { n: '\n', t: '\t', r: '\r', f: '\f', v: '\v', 0: '\0' }
const EMPTY = { kind: 'empty' }

class Unsupported extends Error {}

// The pattern read into a tree: { alt: [[{ atom, min, max }...]...] } (alternatives of sequences).
function parse(pattern) {
  const chars = [...pattern]
  let at = 0
  let groups = 0
  const peek = (ahead = 0) => chars[at + ahead]
  const expect = (char) => {
    if (chars[at++] !== char) throw new Unsupported(`expected ${char}`)
  }
  const hex = (count) => {
    const digits = chars.slice(at, at + count).join('')
    if (!/^[0-9a-fA-F]+$/.test(digits) || digits.length !== count) throw new Unsupported('bad hex escape')
    at += count
    return String.fromCodePoint(parseInt(digits, 16))
  }
  // an escape's meaning: { set } for \d \w \s and their negations, { char } else, EMPTY for \b \B
  const escape = (inClass) => {
    const c = chars[at++]
    if (c === undefined) throw new Unsupported('trailing backslash')
    const lower = c.toLowerCase()
    if (lower in CLASSES && 'dwsDWS'.includes(c)) return { set: CLASSES[lower], negated: c !== lower }
    if (c === 'b') return inClass ? { char: '\b' } : EMPTY
    if (c === 'B') return EMPTY
    if (c in ESCAPED && !(c === '0' && /\d/.test(peek() ?? ''))) return { char: ESCAPED[c] }
    if (c === 'x') return { char: hex(2) }
    if (c === 'u' && peek() === '{') {
      const end = chars.indexOf('}', at)
      if (end < 0) throw new Unsupported('bad \\u{...}')
      const code = parseInt(chars.slice(at + 1, end).join(''), 16)
      at = end + 1
      return { char: String.fromCodePoint(code) }
    }
    if (c === 'u') return { char: hex(4) }
    if (c === 'c' && /[A-Za-z]/.test(peek() ?? '')) return { char: String.fromCharCode(chars[at++].charCodeAt(0) % 32) }
    if (/[1-9]/.test(c) && !inClass) {
      let digits = c
      while (/\d/.test(peek() ?? '')) digits += chars[at++]
      return { kind: 'backref', index: Number(digits) }
    }
    if (/[pPk]/.test(c)) throw new Unsupported(`\\${c}`)
    return { char: c }
  }
  const classItem = () => {
    const c = chars[at++]
    if (c === undefined) throw new Unsupported('unclosed class')
    return c === '\\' ? escape(true) : { char: c }
  }
  const charClass = () => {
    const negated = peek() === '^'
    if (negated) at++
    const ranges = []
    while (peek() !== ']') {
      const item = classItem()
      if (item === EMPTY) throw new Unsupported('\\B in a class')
      if (item.set) {
        if (item.negated) throw new Unsupported('a negated escape in a class')
        ranges.push(...item.set)
      } else if (peek() === '-' && peek(1) !== ']' && peek(1) !== undefined) {
        at++
        const end = classItem()
        if (!end.char) throw new Unsupported('a range to a class escape')
        ranges.push([item.char.codePointAt(0), end.char.codePointAt(0)])
      } else ranges.push([item.char.codePointAt(0), item.char.codePointAt(0)])
    }
    at++
    return { set: ranges, negated }
  }
  const atom = () => {
    const c = chars[at++]
    if (c === '^' || c === '$') return EMPTY
    if (c === '.') return { set: [[10, 10], [13, 13], [0x2028, 0x2029]], negated: true }
    if (c === '[') return charClass()
    if (c === '\\') return escape(false)
    if (c !== '(') return { char: c }
    let index = null
    let lookaround = false
    if (peek() === '?') {
      const rest = chars.slice(at + 1, at + 3).join('')
      if (rest.startsWith(':')) at += 2
      else if (rest.startsWith('=') || rest.startsWith('!')) (at += 2), (lookaround = true)
      else if (rest === '<=' || rest === '<!') (at += 3), (lookaround = true)
      else if (rest.startsWith('<')) {
        at = chars.indexOf('>', at) + 1
        if (at === 0) throw new Unsupported('bad group name')
        index = ++groups
      } else throw new Unsupported('group flags')
    } else index = ++groups
    const inner = alternatives()
    expect(')')
    return lookaround ? EMPTY : { kind: 'group', inner, index }
  }
  const quantified = (made) => {
    let [min, max] = [1, 1]
    const c = peek()
    if (c === '*' || c === '+' || c === '?') {
      at++
      ;[min, max] = { '*': [0, Infinity], '+': [1, Infinity], '?': [0, 1] }[c]
    } else if (c === '{') {
      const bounds = /^\{(\d+)(,(\d*))?\}/.exec(chars.slice(at, at + 24).join(''))
      if (!bounds) return { atom: made, min, max }
      at += bounds[0].length
      min = Number(bounds[1])
      max = bounds[2] === undefined ? min : bounds[3] === '' ? Infinity : Number(bounds[3])
    } else return { atom: made, min, max }
    if (peek() === '?') at++ // lazy: the same strings match
    return { atom: made, min, max }
  }
  const sequence = () => {
    const terms = []
    while (at < chars.length && peek() !== '|' && peek() !== ')') terms.push(quantified(atom()))
    return terms
  }
  function alternatives() {
    const alt = [sequence()]
    while (peek() === '|') at++, alt.push(sequence())
    return { alt }
  }
  const tree = alternatives()
  if (at !== chars.length) throw new Unsupported('unbalanced )')
  return tree
}

// The string ``tree`` makes, each quantifier repeated its least, the first ones taking ``extra`` more
// repetitions between them (to reach a minLength), each alternation its ``choice``-th option.
function generate(tree, extra, choice) {
  let spare = extra
  const captured = []
  const fromSet = ({ set, negated }, nth) => {
    const inSet = (code) => set.some(([low, high]) => code >= low && code <= high) !== negated
    const fitting = PREFERRED.filter((char) => inSet(char.codePointAt(0)))
    if (fitting.length) return fitting[nth % fitting.length]
    if (!negated && set.length) return String.fromCodePoint(set[0][0])
    throw new Unsupported('a class with no character to give')
  }
  const made = (node, nth) => {
    if (node.alt) return node.alt[Math.min(choice, node.alt.length - 1)].map(term).join('')
    if (node.char !== undefined) return node.char
    if (node.set) return fromSet(node, nth)
    if (node.kind === 'backref') return captured[node.index] ?? ''
    if (node.kind === 'group') {
      const text = made(node.inner, nth)
      if (node.index !== null) captured[node.index] = text
      return text
    }
    return ''
  }
  const term = ({ atom, min, max }) => {
    const more = Math.min(spare, max - min)
    spare -= more
    let text = ''
    for (let nth = 0; nth < min + more; nth++) text += made(atom, nth)
    return text
  }
  return made(tree, 0)
}

// The regular expression as the page's check reads it (prefill.js, `fits`): with the u flag, else
// without (`\-` outside a class, which Python's and Rust's regexes read, is a u-mode error).
export function compiled(pattern) {
  for (const flags of ['u', '']) {
    try {
      return new RegExp(pattern, flags)
    } catch {
      // the next reading
    }
  }
  return null
}

// A string ``pattern`` accepts, from minLength to maxLength characters long, or null.
export function matchingString(pattern, { minLength = 0, maxLength = Infinity } = {}) {
  const regex = compiled(pattern)
  let tree
  try {
    tree = regex && parse(pattern)
  } catch (error) {
    if (error instanceof Unsupported) return null
    throw error
  }
  if (!tree) return null
  const search = (least) => {
    const fits = (text) => {
      const length = [...text].length
      return length >= least && length <= maxLength && regex.test(text)
    }
    for (let choice = 0; choice < 3; choice++) {
      const shortest = generate(tree, 0, choice)
      if (fits(shortest)) return shortest
      const short = Math.max(0, least - [...shortest].length)
      for (let extra = short; extra < short + 8; extra++) {
        const longer = generate(tree, extra, choice)
        if (fits(longer)) return longer
      }
    }
    return null
  }
  try {
    // not the empty string a pattern like ^[^A-Z]*$ takes, when it takes another: a form reads better
    return search(Math.max(minLength, 1)) ?? search(minLength)
  } catch (error) {
    if (error instanceof Unsupported) return null
    throw error
  }
}
