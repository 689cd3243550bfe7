"""Flows as a diagram sees them: the steps that name a flow in ``flows``, and the topics between them.

An edge goes from a step that emits a topic to each step of the same flow that subscribes to it.
``virtualEmits`` and ``virtualSubscribes`` draw edges too (``virtual: true``: nothing is delivered
along them); an emit's ``label`` and ``conditional`` decorate its edges, as in Motia's Workbench. One
edge per (source, topic, target), however many times the source lists the topic.
"""

from __future__ import annotations

from collections.abc import Iterable

from supervisor.config import Emit, EventStepConfig
from supervisor.core._registry import Registry, Step
from supervisor.discovery import language_of
from supervisor.storage import JsonObject


def flows(registry: Registry) -> list[JsonObject]:
    """Every flow of the loaded steps, by name: ``{"id", "name", "steps": [...], "edges": [...]}``."""
    members: dict[str, list[Step]] = {}
    for step in registry.steps.values():
        for flow in step.config.flows:
            members.setdefault(flow, []).append(step)
    return [_flow(name, steps) for name, steps in sorted(members.items())]


def step_nodes(registry: Registry) -> list[JsonObject]:
    """Every loaded step as the flows show it (in or out of a flow), by name."""
    return [_node(registry.steps[name]) for name in sorted(registry.steps)]


def _flow(name: str, steps: list[Step]) -> JsonObject:
    return {"id": name, "name": name, "steps": [_node(step) for step in steps], "edges": list(_edges(steps))}


def _node(step: Step) -> JsonObject:
    """The step's config as its author wrote it (camelCase, defaults filled in), with where it lives."""
    config = step.config.model_dump(mode="json", by_alias=True, exclude_none=True)
    return {"id": step.name, "language": language_of(step.file), "file": step.file, **config}


def _subscriptions(step: Step) -> tuple[set[str], set[str]]:
    """Topics the step really subscribes to, and those it only draws (``virtualSubscribes``)."""
    real = set(step.config.subscribes) if isinstance(step.config, EventStepConfig) else set()
    return real, set(step.config.virtual_subscribes)


def _edges(steps: list[Step]) -> Iterable[JsonObject]:
    """One edge per (source, topic, target), in the order first drawn: a topic both in a step's
    ``emits`` and its ``virtualEmits`` (or listed twice) drew two edges on one another, the same id,
    a dashed one over the solid. The real emit wins (``virtual`` only when every emit of the topic
    is virtual or the target only draws its subscription); the label is the first given (the real
    emit's before a virtual one's), ``conditional`` if any of them says so."""
    subscriptions = {step.name: _subscriptions(step) for step in steps}
    edges: dict[str, JsonObject] = {}
    for source in steps:
        emits: list[tuple[Emit, bool]] = [(emit, False) for emit in getattr(source.config, "emits", ())]
        emits += [(emit, True) for emit in source.config.virtual_emits]
        for emit, virtual_emit in emits:
            for target in steps:
                real, drawn = subscriptions[target.name]
                if emit.topic not in real and emit.topic not in drawn:
                    continue
                virtual = virtual_emit or emit.topic not in real
                edge_id = f"{source.name}->{target.name}:{emit.topic}"
                edge = edges.get(edge_id)
                if edge is None:
                    edges[edge_id] = {
                        "id": edge_id,
                        "source": source.name,
                        "target": target.name,
                        "topic": emit.topic,
                        "label": emit.label,
                        "conditional": emit.conditional,
                        "virtual": virtual,
                    }
                    continue
                edge["virtual"] = edge["virtual"] and virtual
                if edge["label"] is None:
                    edge["label"] = emit.label
                edge["conditional"] = edge["conditional"] or emit.conditional
    return edges.values()
