// A state or stream operation of a trace, as `motia traces ID` prints it (supervisor/cli/_traces.py,
// _operation): its call, where it went (group and key; stream, group and item) and the size of the
// value it carried, when one did: "state.set orders/o-1 (141 B)", "streams.set chat/room-1/m-2 (96 B)".
// The trace view wrote a stream operation without its size, which the CLI printed. The same examples
// pin both: tests/test_workbench.py::test_the_trace_view_writes_an_operation_as_motia_traces_does.
export function operationText(event) {
  const parts = event.type === 'stream' ? [event.stream, event.group, event.itemId] : [event.group, event.key]
  const where = parts.filter((part) => part !== undefined && part !== null && part !== '').join('/')
  return `${event.name} ${where}${event.size ? ` (${event.size} B)` : ''}`
}
