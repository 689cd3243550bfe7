// How long something has run, as `motia runners` prints it (supervisor/cli/_runners.py, _duration):
// 5s, 1m01s, 1h02m (whole seconds, cut not rounded). The same examples pin both:
// tests/test_workbench.py::test_a_runners_uptime_reads_the_same_in_the_workbench_and_motia_runners.

export function durationText(seconds) {
  const whole = Math.floor(seconds)
  const two = (n) => String(n).padStart(2, '0')
  if (whole < 60) return `${whole}s`
  if (whole < 3600) return `${Math.floor(whole / 60)}m${two(whole % 60)}s`
  return `${Math.floor(whole / 3600)}h${two(Math.floor((whole % 3600) / 60))}m`
}

// How long after its trace's start an operation or log line came, as `motia traces ID` prints it
// (supervisor/cli/_traces.py, _offset): +12.3 ms, and from one second on in seconds, +432.674 s (a
// dead letter replayed minutes later read +432674.3). Rounded as toFixed rounds (a tie away from
// zero), which the CLI does too. The same examples pin both:
// tests/test_workbench.py::test_an_offset_in_a_trace_reads_the_same_in_the_workbench_and_motia_traces.
export function offsetText(ms) {
  const tenths = ms.toFixed(1)
  return Number(tenths) < 1000 ? `+${tenths} ms` : `+${(ms / 1000).toFixed(3)} s`
}
