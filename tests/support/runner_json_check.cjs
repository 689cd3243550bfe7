// The node runner's JSON encoding (runners/node/src/jsonutil.ts): jsonText, which hands plain values
// straight to JSON.stringify, against JSON.stringify(toPlain(value)), the careful walk, for values of
// every kind the walk rewrites. Run by tests/test_runner_json.py; prints one JSON report.
'use strict';
const path = require('node:path');

const runnerRoot = path.resolve(__dirname, '..', '..', 'runners', 'node');
const runnerRequire = require('node:module').createRequire(path.join(runnerRoot, 'bin', 'runner.mjs'));
runnerRequire('tsx/cjs/api').register();
const json = require(path.join(runnerRoot, 'src', 'jsonutil.ts'));

const careful = (value) => {
  const plain = json.toPlain(value);
  return plain === undefined ? 'null' : JSON.stringify(plain);
};
const cycle = { a: 1 };
cycle.self = cycle;
const shared = { x: 1 };
class Point {
  constructor() {
    this.x = 1;
    this.y = [1, 2];
  }
}
class Money {
  toJSON() {
    return { cents: 5n };
  }
}
class Stamp extends Date {
  toJSON() {
    return 'stamp';
  }
}
const deep = {};
let node = deep;
for (let i = 0; i < 50; i++) node = node.next = {};
const withProto = Object.create({ inherited: 1 });
withProto.own = 2;

const values = {
  undefined: undefined,
  null: null,
  number: 1,
  'negative zero': -0,
  NaN: NaN,
  Infinity: Infinity,
  'lone surrogate': 'é\ud800',
  function: () => 1,
  symbol: Symbol('s'),
  bigint: 10n,
  'undefined, functions and symbols inside': { a: 1, b: undefined, c: () => 1, d: [undefined, () => 1, Symbol('x')] },
  'nested bigint': { n: { m: [1n] } },
  'sparse array': [1, , 3],
  'map and set': { m: new Map([['a', 1]]), s: new Set([1]) },
  'buffer and typed array': { buf: Buffer.from('ab'), u8: new Uint8Array([1, 2]) },
  error: { err: new TypeError('x') },
  cycle,
  'shared object': { a: shared, b: shared },
  'class instance': new Point(),
  'toJSON returning a bigint': new Money(),
  'Date subclass with its own toJSON': { at: new Stamp(0) },
  dates: { at: new Date(0), invalid: new Date(NaN) },
  'deeper than the fast path looks': deep,
  'boxed primitives': { n: new Number(3), s: new String('ab'), b: new Boolean(false) },
  'null prototype': Object.assign(Object.create(null), { a: 1 }),
  'inherited enumerable key': withProto,
  'an api response': { status: 201, body: { id: 'p1', name: 'Rex', tags: ['a', 'b'], nested: { ok: true, n: 1.5 } } },
  'array buffer and data view': [new ArrayBuffer(4), new DataView(new ArrayBuffer(2))],
};
const report = { checked: 0, differ: {} };
for (const [name, value] of Object.entries(values)) {
  report.checked++;
  const fast = json.jsonText(value);
  const expected = careful(value);
  if (fast !== expected) report.differ[name] = { fast, expected };
  const bytes = json.jsonBytes(value);
  if (Buffer.from(bytes).toString('utf8') !== new TextDecoder().decode(new TextEncoder().encode(expected))) {
    report.differ[`${name} (bytes)`] = { fast: Buffer.from(bytes).toString('hex') };
  }
}
const meta = json.normalizeMeta({ a: 1, e: new Error('boom') });
report.metaError = meta.e && meta.e.message;
report.parsed = json.parseJsonBytes(Buffer.from('{"ü":[1,"ペット"]}'));
report.parsedWithBom = json.parseJsonBytes(Buffer.from('\ufeff{"a":1}'));
process.stdout.write(JSON.stringify(report) + '\n');
