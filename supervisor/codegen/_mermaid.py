"""Mermaid diagrams of a project's flows, as ``motia dev --mermaid`` writes them: one ``flowchart TD``
per flow, in ``.mermaid/<flow>.mmd`` (where Node Motia writes them).

Drawn from the graph the Workbench's flows API serves (``supervisor.core.flows``), so the two never
disagree: a node per step of the flow, labelled with its name and a mark of its type; an edge per
(source, topic, target), labelled with the emit's ``label`` or else its topic, dashed when it is only
drawn (``virtualEmits``/``virtualSubscribes``: nothing is delivered along it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from supervisor.core import Registry, flows
from supervisor.storage import JsonObject, JsonValue

#: the folder, relative to the project root
MERMAID_DIR = ".mermaid"

_MARKS = {"api": "🌐 ", "event": "⚡ ", "cron": "⏰ ", "noop": "⚙️ "}
_CLASSES = {
    "api": "fill:#f96,stroke:#333,stroke-width:2px,color:#fff",
    "event": "fill:#69f,stroke:#333,stroke-width:2px,color:#fff",
    "cron": "fill:#9c6,stroke:#333,stroke-width:2px,color:#fff",
    "noop": "fill:#3f3a50,stroke:#333,stroke-width:2px,color:#fff",
}
_STEP_SUFFIX = re.compile(r"\.(?:[mc]?[jt]s|[jt]sx|py)$")


def flow_diagrams(registry: Registry) -> dict[str, str]:
    """File name (``<flow>.mmd``) -> its diagram, for every flow of the loaded steps."""
    return {diagram_file_name(str(flow["name"])): flowchart(flow) for flow in flows(registry)}


def diagram_file_name(flow: str) -> str:
    """A flow's name may hold a path separator (``billing/invoices``): it names a file, not folders."""
    return re.sub(r"[/\\\x00]", "_", flow) + ".mmd"


def flowchart(flow: Mapping[str, JsonValue]) -> str:
    """One flow of ``flows()`` as a Mermaid ``flowchart TD``."""
    lines = ["flowchart TD"]
    lines += [f"    classDef {kind}Style {style}" for kind, style in _CLASSES.items()]
    steps = [step for step in _objects(flow.get("steps")) if isinstance(step.get("id"), str)]
    ids = _node_ids(steps)
    for step in steps:
        kind = str(step.get("type", ""))
        style = f":::{kind}Style" if kind in _CLASSES else ""
        label = _escape(f"{_MARKS.get(kind, '')}{step['id']}")
        lines.append(f'    {ids[str(step["id"])]}["{label}"]{style}')
    for edge in _objects(flow.get("edges")):
        source, target = ids.get(str(edge.get("source"))), ids.get(str(edge.get("target")))
        if source is None or target is None:
            continue
        label = _escape(str(edge.get("label") or edge.get("topic"))).replace("|", "#124;")
        arrow = "-.->" if edge.get("virtual") else "-->"
        lines.append(f"    {source} {arrow}|{label}| {target}")
    return "\n".join(lines) + "\n"


def _objects(value: JsonValue | None) -> list[JsonObject]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _node_ids(steps: list[JsonObject]) -> dict[str, str]:
    """Step name -> a Mermaid node id made of its file's path (``steps/a/x.step.ts`` ->
    ``steps_a_x_step``), readable in the diagram's source; a second step mapping to the same id (``a-b``
    and ``a_b``) gets a number after it."""
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for step in steps:
        base = re.sub(r"[^A-Za-z0-9]", "_", _STEP_SUFFIX.sub("", str(step.get("file", step["id"]))))
        node_id, n = base, 2
        while node_id in taken:
            node_id, n = f"{base}_{n}", n + 1
        taken.add(node_id)
        ids[str(step["id"])] = node_id
    return ids


def _escape(text: str) -> str:
    """Text safe inside a Mermaid label: quotes as entities, one line."""
    return " ".join(text.replace('"', "#quot;").split())
