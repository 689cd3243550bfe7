// How long something has run, as `motia runners` prints it (supervisor/cli/_runners.py, _duration):
// 5s, 1m01s, 1h02m (whole seconds, cut not rounded). The same examples pin both:
// tests/test_runners.py::test_a_runners_uptime_reads_the_same_in_the_workbench_and_motia_runners.

export function durationText(seconds) {
  const whole = Math.floor(seconds)
  const two = (n) => String(n).padStart(2, '0')
  if (whole < 60) return `${whole}s`
  if (whole < 3600) return `${Math.floor(whole / 60)}m${two(whole % 60)}s`
  return `${Math.floor(whole / 3600)}h${two(Math.floor((whole % 3600) / 60))}m`
}
