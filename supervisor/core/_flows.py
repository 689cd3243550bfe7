"""Flows as a diagram sees them: the steps that name a flow in ``flows``, and the topics between them.

An edge goes from a step that emits a topic to each step of the same flow that subscribes to it.
``virtualEmits`` and ``virtualSubscribes`` draw edges too (``virtual: true``: nothing is delivered
along them); an emit's ``label`` and ``conditional`` decorate its edges, as in Motia's Workbench. One
edge per (source, topic, target), however many times the source lists the topic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from supervisor.config import Emit, EventStepConfig
from supervisor.core._registry import LoadProblem, Registry, Step
from supervisor.discovery import language_of
from supervisor.storage import JsonObject


def flows(
    registry: Registry, *, unloaded: bool = False, fix: Callable[[LoadProblem], str] = lambda _: ""
) -> list[JsonObject]:
    """Every flow of the loaded steps, by name: ``{"id", "name", "steps": [...], "edges": [...]}``;
    with ``unloaded``, the steps whose file no longer loads too (``Registry.unloaded``: as they last
    loaded, each with its file's ``loadError`` and ``loadFix``, what ``fix`` says to do about it, the
    same words as ``load_problems``' ``fix``), as the Workbench draws them."""
    members: dict[str, list[Step]] = {}
    drawn = [*registry.steps.values(), *(registry.unloaded.values() if unloaded else ())]
    for step in drawn:
        for flow in step.config.flows:
            members.setdefault(flow, []).append(step)
    by_file = _load_errors(registry, fix) if unloaded else {}
    errors = {name: by_file[step.file] for name, step in registry.unloaded.items() if step.file in by_file}
    return [_flow(name, steps, errors) for name, steps in sorted(members.items())]


def load_problems(registry: Registry, fix: Callable[[LoadProblem], str]) -> list[JsonObject]:
    """The files that did not load and are drawn in no flow (``flows(unloaded=True)``: a file that
    broke at start-up, or whose steps name no flow), each ``{"file", "error", "fix"}`` (``fix``: what
    the start-up summary says to do about it, ``load_fix``; "" when no cure is known): the Flows panel
    lists them, since the steps they define are missing from its diagrams."""
    drawn = {step.file for step in registry.unloaded.values() if step.config.flows}
    return [
        {"file": p.file, "error": str(p), "fix": fix(p)} for p in registry.problems if p.file not in drawn
    ]


def _load_errors(registry: Registry, fix: Callable[[LoadProblem], str]) -> dict[str, JsonObject]:
    """A file's ``{"loadError", "loadFix"}``, by file: its problems, one a line, and their fixes, one a
    line ("" when no cure is known)."""
    errors: dict[str, list[str]] = {}
    fixes: dict[str, list[str]] = {}
    for problem in registry.problems:
        errors.setdefault(problem.file, []).append(str(problem))
        cure = fix(problem)
        if cure and cure not in fixes.setdefault(problem.file, []):
            fixes[problem.file].append(cure)
    return {
        file: {"loadError": "\n".join(told), "loadFix": "\n".join(fixes.get(file, ()))}
        for file, told in errors.items()
    }


def step_nodes(registry: Registry) -> list[JsonObject]:
    """Every loaded step as the flows show it (in or out of a flow), by name."""
    return [_node(registry.steps[name]) for name in sorted(registry.steps)]


def _flow(name: str, steps: list[Step], errors: dict[str, JsonObject]) -> JsonObject:
    """``errors``: an unloaded step's file's ``{"loadError", "loadFix"}``, by step name."""
    nodes = [_node(step) | errors.get(step.name, {}) for step in steps]
    return {"id": name, "name": name, "steps": nodes, "edges": list(_edges(steps))}


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
