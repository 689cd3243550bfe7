// Where a load error happened: line/column in the file being loaded, from an
// esbuild/tsx transform error, a V8 SyntaxError header, or a stack frame.
import { fileURLToPath } from 'node:url';

export interface Location {
  line: number;
  column: number;
}

const NONE: Location = { line: 0, column: 0 };

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function samePath(candidate: string, absPath: string): boolean {
  let p = candidate;
  if (p.startsWith('file://')) {
    try {
      p = fileURLToPath(p.split('?')[0]!);
    } catch {
      return false;
    }
  }
  return p.split('?')[0] === absPath;
}

export function locateError(error: unknown, absPath: string): Location {
  if (typeof error !== 'object' || error === null) return NONE;
  const e = error as {
    errors?: Array<{ location?: { file?: string; line?: number; column?: number } | null }>;
    message?: unknown;
    stack?: unknown;
  };

  // esbuild: error.errors[].location {line (1-based), column (0-based)}
  if (Array.isArray(e.errors)) {
    for (const item of e.errors) {
      const loc = item?.location;
      if (loc && typeof loc.line === 'number') return { line: loc.line, column: (loc.column ?? 0) + 1 };
    }
  }

  const message = typeof e.message === 'string' ? e.message : '';
  const stack = typeof e.stack === 'string' ? e.stack : '';
  const text = `${message}\n${stack}`;

  // "<path>:<line>:<col>: ERROR: ..." (esbuild message text) and "at ... (<path>:<line>:<col>)" frames
  const pathVariants = [absPath, `file://${absPath}`];
  for (const variant of pathVariants) {
    const re = new RegExp(`${escapeRegExp(variant)}(?:\\?[^\\s:)]*)?:(\\d+):(\\d+)`);
    const m = re.exec(text);
    if (m) return { line: Number(m[1]), column: Number(m[2]) + (/: ERROR:/.test(text.slice(m.index)) ? 1 : 0) };
  }

  // V8 SyntaxError header: "<path>:<line>\n<source line>\n   ^^^\n\nSyntaxError: ..."
  const header = /^(\S+?):(\d+)\n(.*)\n(\s*)\^/m.exec(stack);
  if (header && samePath(header[1]!, absPath)) return { line: Number(header[2]), column: header[4]!.length + 1 };

  // any stack frame naming the file, with or without a column
  for (const line of stack.split('\n')) {
    const frame = /\(?((?:file:\/\/)?\/[^():]+(?:\?[^():]*)?):(\d+)(?::(\d+))?\)?\s*$/.exec(line);
    if (frame && samePath(frame[1]!, absPath)) return { line: Number(frame[2]), column: Number(frame[3] ?? 0) };
  }
  return NONE;
}
