"""``motia dev --mermaid`` (Motia's ``-m``): a Mermaid flowchart per flow in ``.mermaid/<flow>.mmd``,
drawn from the Workbench's flow graph and kept up to date when a step changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from supervisor.codegen._mermaid import diagram_file_name, flowchart
from tests.support.project import write_project
from tests.support.server import MotiaServer, eventually

PLACE = """
export const config = {
  type: 'api', name: 'PlaceOrder', path: '/orders', method: 'POST', flows: ['orders'],
  emits: [{ topic: 'order.placed', label: 'new order' }],
}
export const handler = async (req, { emit }) => ({ status: 200, body: {} })
"""

CHARGE = """
config = {
    "type": "event", "name": "ChargeCard", "subscribes": ["order.placed"], "emits": ["order.paid"],
    "flows": ["orders"],
}


async def handler(data, ctx):
    pass
"""

SHIP = """
exports.config = {
  type: 'event', name: 'ShipOrder', subscribes: ['order.paid'], emits: [], flows: [%s],
}
exports.handler = async () => {}
"""

HUMAN = """
export const config = {
  type: 'noop', name: 'Manual Review', virtualEmits: [], virtualSubscribes: ['order.placed'], flows: ['orders'],
}
"""


def diagram_lines(path: Path) -> set[str]:
    return {line.strip() for line in path.read_text(encoding="utf-8").splitlines()}


@pytest.mark.e2e
def test_dev_mermaid_writes_a_diagram_per_flow_and_redraws_it_on_reload(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "steps/place.step.ts": PLACE,
            "steps/charge_step.py": CHARGE,
            "steps/ship.step.js": SHIP % "'orders'",
            "steps/review.step.ts": HUMAN,
            # a diagram of a flow gone while the server was off
            ".mermaid/old.mmd": "flowchart TD\n",
        },
    )
    orders = tmp_path / ".mermaid" / "orders.mmd"
    with MotiaServer(tmp_path, mode="dev", args=["--mermaid"]) as server:
        lines = diagram_lines(orders)
        assert orders.read_text(encoding="utf-8").startswith("flowchart TD\n")
        assert {
            'steps_place_step["🌐 PlaceOrder"]:::apiStyle',
            'steps_charge_step["⚡ ChargeCard"]:::eventStyle',
            'steps_ship_step["⚡ ShipOrder"]:::eventStyle',
            'steps_review_step["⚙️ Manual Review"]:::noopStyle',
            "steps_place_step -->|new order| steps_charge_step",
            "steps_charge_step -->|order.paid| steps_ship_step",
            "steps_place_step -.->|new order| steps_review_step",
        } <= lines, orders.read_text()
        assert not (tmp_path / ".mermaid" / "old.mmd").exists()

        # ShipOrder moves to a flow of its own: it leaves the orders diagram, a shipping one appears
        (tmp_path / "steps" / "ship.step.js").write_text(SHIP % "'shipping'")
        shipping = tmp_path / ".mermaid" / "shipping.mmd"
        eventually(lambda: shipping.exists() and 'steps_ship_step["⚡ ShipOrder"]' in shipping.read_text())
        eventually(lambda: "ShipOrder" not in orders.read_text())
        assert "steps_charge_step -->|order.paid| steps_ship_step" not in diagram_lines(orders)
        assert 'steps_place_step["🌐 PlaceOrder"]:::apiStyle' in diagram_lines(orders)

        # and its flow goes with it when it leaves every flow
        (tmp_path / "steps" / "ship.step.js").write_text(SHIP % "")
        eventually(lambda: not shipping.exists())
    assert "Mermaid diagrams updated in .mermaid/" in server.output


@pytest.mark.e2e
def test_dev_without_mermaid_writes_no_diagrams(tmp_path: Path) -> None:
    write_project(tmp_path, {"steps/place.step.ts": PLACE})
    with MotiaServer(tmp_path, mode="dev") as server:
        assert server.client.get("/__motia/flows").json()["flows"][0]["id"] == "orders"
    assert not (tmp_path / ".mermaid").exists()


def test_names_and_labels_that_would_break_the_mermaid_syntax_are_escaped() -> None:

    flow = {
        "id": "billing/eu",
        "name": "billing/eu",
        "steps": [
            {"id": 'Say "hi"', "type": "api", "file": "steps/a-b.step.ts"},
            {"id": "Next", "type": "event", "file": "steps/a_b.step.ts"},
        ],
        "edges": [
            {"source": 'Say "hi"', "target": "Next", "topic": "t", "label": "yes | no", "virtual": False}
        ],
    }
    lines = flowchart(flow).splitlines()
    assert '    steps_a_b_step["🌐 Say #quot;hi#quot;"]:::apiStyle' in lines
    assert '    steps_a_b_step_2["⚡ Next"]:::eventStyle' in lines  # two files, one id: numbered
    assert "    steps_a_b_step -->|yes #124; no| steps_a_b_step_2" in lines
    assert diagram_file_name("billing/eu") == "billing_eu.mmd"
