// How long something has run, as `motia runners` prints it (supervisor/cli/_runners.py, _duration):
// 5s, 1m01s, 1h02m (whole seconds, cut not rounded). The same examples pin both:
// tests/test_workbench.py::test_a_rule_the_workbench_shares_with_the_cli_reads_the_same_in_both[uptime].

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
// tests/test_workbench.py::test_a_rule_the_workbench_shares_with_the_cli_reads_the_same_in_both[offset].
export function offsetText(ms) {
  const tenths = ms.toFixed(1)
  return Number(tenths) < 1000 ? `+${tenths} ms` : `+${(ms / 1000).toFixed(3)} s`
}

// How long a trace or a step took, as `motia traces` prints it (supervisor/cli/_traces.py, _duration):
// 0.42 ms, 12.3 ms, 1.50 s, and from a minute on in minutes (a replay or a cron's retries spread a
// trace over minutes: "7 min 54 s", not "474.45 s"), from an hour on in hours (2 h 5 min). The unit
// goes by the rounded figure (999.96 ms reads 1.00 s, not 1000.0 ms); rounded as toFixed and
// Math.round round (a tie away from zero), which the CLI does too. One still running (no duration
// yet) reads '…', as the page writes what is not there yet (reconnecting…); the CLI printed '...',
// which in its output means cut short (a dead letter's line). The same examples pin both:
// tests/test_workbench.py::test_a_rule_the_workbench_shares_with_the_cli_reads_the_same_in_both[duration].
export function tookText(ms) {
  if (ms === null || ms === undefined) return '…' // still running: how long is not known yet
  const hundredths = ms.toFixed(2)
  if (Number(hundredths) < 1) return `${hundredths} ms`
  const tenths = ms.toFixed(1)
  if (Number(tenths) < 1000) return `${tenths} ms`
  const seconds = (ms / 1000).toFixed(2)
  if (Number(seconds) < 60) return `${seconds} s`
  const whole = Math.round(ms / 1000)
  const [hours, minutes] = [Math.floor(whole / 3600), Math.floor(whole / 60) % 60]
  return hours ? `${hours} h ${minutes} min` : `${minutes} min ${whole % 60} s`
}
