"""The node positions Node Motia's Workbench saved per flow in the project's ``motia-workbench.json``,
for the Flows panel to place the steps it names where the user put them.

The file, as Motia 0.17 reads and writes it (``FlowsConfigStream``)::

    [{"id": "<flow>", "config": {"<step file, from the project root>": {"x": 10, "y": -20,
                                  "sourceHandlePosition": "bottom", "targetHandlePosition": "top"}}}]

``x`` and ``y`` are the node's top-left corner in the diagram's units (pixels at zoom 1; negative is
fine); the handle positions are kept but not drawn here. Older Motia wrote an object by flow instead
(``{"<flow>": {"<step file>": {"x", "y"}}}``, one of Motia's examples still has one): read alike.

    GET  /__motia/workbench/layout         {"flows": [{"id", "config"}]}: every flow's saved positions
    GET  /__motia/flows/<id>/config        {"id", "config"}: one flow's ({} when none are saved)
    POST /__motia/flows/<id>/config        Motia's save, body ``{"id", "config"}``: the flow's
                                           positions replaced, the file written (Motia's format)

A malformed file is named with what is wrong at start-up and ignored (every flow laid out by the
panel), and not written over by a save (a 409 says why): the user's file is theirs to fix.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import orjson
from quart import Quart, Response, request

from supervisor.http._params import error
from supervisor.http._quart import json_response

FILE_NAME = "motia-workbench.json"
_logger = logging.getLogger("motia.core")

#: one flow's positions: by step file, ``{"x", "y", ...}``
Positions = dict[str, dict[str, object]]


class LayoutError(ValueError):
    """What is wrong with a layout, and where in it."""


class FlowLayout:
    """The project's saved positions, read once at start-up and kept as the saves change them."""

    def __init__(self, path: Path | None) -> None:
        """``path``: the file, None for a server with no project folder to save in."""
        self.path = path
        self.flows: dict[str, Positions] = {}
        #: why the file was ignored, None when it was read (or there is none)
        self.problem: str | None = None

    @classmethod
    def read(cls, root: Path) -> FlowLayout:
        """The layout of the project at ``root``; a malformed file warned about (start-up) and ignored."""
        path = root / FILE_NAME
        layout = cls(path)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return layout
        except OSError as exc:
            layout.problem = f"cannot be read ({exc.strerror})"
        else:
            try:
                layout.flows = parse_layout(raw)
            except LayoutError as exc:
                layout.problem = str(exc)
        if layout.problem is not None:
            _logger.warning(
                "%s: %s; the Workbench lays every flow out itself (fix the file, or delete it)",
                FILE_NAME,
                layout.problem,
            )
        return layout

    def save(self, flow_id: str, positions: Positions) -> None:
        if self.path is None:
            raise OSError(0, "no project folder to save it in")
        self.flows[flow_id] = positions
        # Motia's own writing: two spaces, so that a project moved back to Node Motia diffs little
        self.path.write_text(json.dumps(self.listed(), indent=2, ensure_ascii=False), encoding="utf-8")

    def listed(self) -> list[dict[str, object]]:
        """The flows' positions as Motia's file lists them: ``[{"id", "config"}]``."""
        return [{"id": flow, "config": config} for flow, config in self.flows.items()]


def parse_layout(raw: bytes) -> dict[str, Positions]:
    """The positions by flow in a ``motia-workbench.json``'s text; ``LayoutError`` naming the place
    of the first thing wrong (``[1].config["steps/a.step.ts"].x: ...``)."""
    try:
        data = orjson.loads(raw) if raw.strip() else []
    except orjson.JSONDecodeError as exc:
        raise LayoutError(f"not JSON ({exc})") from None
    if isinstance(data, dict):  # older Motia's object by flow
        return {flow: _positions(config, f"[{json.dumps(flow)}]") for flow, config in data.items()}
    if not isinstance(data, list):
        raise LayoutError(f"expected a list of flows ({{'id', 'config'}}), got {_kind(data)}")
    flows: dict[str, Positions] = {}
    for index, entry in enumerate(data):
        where = f"[{index}]"
        if not isinstance(entry, dict):
            raise LayoutError(f"{where}: expected a flow ({{'id', 'config'}}), got {_kind(entry)}")
        flow = entry.get("id")
        if not isinstance(flow, str) or not flow:
            raise LayoutError(f"{where}.id: expected the flow's name, got {_kind(flow)}")
        flows[flow] = _positions(entry.get("config"), f"{where}.config")
    return flows


def _positions(config: object, where: str) -> Positions:
    if not isinstance(config, dict):
        raise LayoutError(f"{where}: expected an object of positions by step file, got {_kind(config)}")
    positions: Positions = {}
    for file, at in config.items():
        place = f"{where}[{json.dumps(file)}]"
        if not isinstance(at, dict):
            raise LayoutError(f"{place}: expected {{'x', 'y'}}, got {_kind(at)}")
        for axis in ("x", "y"):
            value = at.get(axis)
            finite = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            if not finite:
                raise LayoutError(f"{place}.{axis}: expected a number, got {_kind(value)}")
        # a path written on Windows names the same file
        positions[file.replace("\\", "/")] = at
    return positions


def _kind(value: object) -> str:
    if value is None:  # missing, or null
        return "nothing"
    shown = json.dumps(value)
    return f"{type(value).__name__} {shown if len(shown) <= 40 else shown[:39] + '…'}"


def register_flow_layout(app: Quart, layout: FlowLayout) -> None:
    @app.route("/__motia/workbench/layout", methods=["GET"])
    async def whole() -> Response:
        return json_response(200, {"flows": layout.listed()})

    @app.route("/__motia/flows/<flow_id>/config", methods=["GET"])
    async def one(flow_id: str) -> Response:
        return json_response(200, {"id": flow_id, "config": layout.flows.get(flow_id, {})})

    @app.route("/__motia/flows/<flow_id>/config", methods=["POST"])
    async def save(flow_id: str) -> Response:
        if layout.problem is not None:
            why = f"{FILE_NAME} is not saved over: {layout.problem} (fix the file, or delete it, and restart)"
            return error(409, why)
        body = await request.get_data(as_text=False)
        try:
            sent = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            return error(400, f"the body is not JSON ({exc})")
        if not isinstance(sent, dict):
            return error(400, f"expected {{'id', 'config'}}, got {_kind(sent)}")
        if sent.get("id", flow_id) != flow_id:
            return error(400, f"the body's id {sent.get('id')!r} is not the flow {flow_id!r} of the path")
        try:
            positions = _positions(sent.get("config"), "config")
        except LayoutError as exc:
            return error(400, str(exc))
        try:
            layout.save(flow_id, positions)
        except OSError as exc:
            return error(500, f"{FILE_NAME} could not be written ({exc.strerror})")
        return json_response(200, {"id": flow_id, "config": positions})
