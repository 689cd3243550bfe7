// Stacks as users read them: V8's frames without the runner's own (its modules, its entry point, the
// packages it brings, such as tsx) nor node's internals, as the Python runner trims its tracebacks.
// What stays is the user's code, their dependencies and builtins called from their code
// (``at Array.map (<anonymous>)``, ``at async Promise.all (index 0)``).
import { dirname } from 'node:path';

/** The runner's folder (``runners/node`` or its installed copy): ``src/``, ``bin/``, its node_modules. */
const RUNNER_ROOT = typeof __dirname === 'string' ? `${dirname(__dirname)}/` : '\0';
const FRAME = '    at ';
/** A frame at any depth: util.inspect indents the stacks of errors inside objects and of ``[cause]``s. */
const ANY_FRAME = /^\s+at /;

/** A frame of the runner's own code or of node's internals (``node:internal/...``, ``node:async_hooks``). */
export function isRunnerFrame(line: string): boolean {
  return line.includes(RUNNER_ROOT) || line.includes('(node:') || line.startsWith(`${FRAME}node:`);
}

/** A stack frame of user code: not the runner's, not node's own, not a builtin's. */
export function isUserFrame(line: string): boolean {
  return line.startsWith(FRAME) && !isRunnerFrame(line) && !line.includes('(<anonymous>)');
}

/**
 * ``stack`` without the runner's and node's frames; as it is when no frame in it is the user's. Also
 * the text of a ``console.error(err)``: ``util.format`` writes an error's whole stack, the stacks of
 * errors nested in what it prints indented deeper, and those frames go too (a frame-like line of the
 * user's own text is only dropped when it names the runner's files or node's internals).
 */
export function userStack(stack: string): string {
  if (!stack.includes(' at ')) return stack;
  const lines = stack.split('\n');
  const frames = lines.map((line) => (ANY_FRAME.test(line) ? line.replace(ANY_FRAME, FRAME) : ''));
  if (!frames.some(isUserFrame)) return stack;
  return lines.filter((_, at) => !(frames[at] && isRunnerFrame(frames[at]))).join('\n');
}
