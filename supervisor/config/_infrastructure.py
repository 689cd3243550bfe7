"""``infrastructure`` of event steps: handler resources and queue behaviour (checklist §15).

The api reference calls these fields required and Cloud-only, while the infrastructure guide documents
defaults and shows partial configs (``queue: { type: 'fifo' }`` alone). We accept partial configs and fill in
the documented defaults, so consumers can always read e.g. ``step.infrastructure.queue.max_retries``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from supervisor.config._base import ConfigModel


class HandlerInfrastructure(ConfigModel):
    # ram/cpu only size Cloud functions; we validate the documented ranges but do not enforce them locally.
    ram: int | None = Field(None, ge=128, le=10240)
    cpu: float | None = Field(None, gt=0)
    timeout: float = Field(30.0, ge=1, le=900)
    machine_type: Literal["cpu", "memory", "gpu"] | None = None


class QueueInfrastructure(ConfigModel):
    type: Literal["standard", "fifo"] = "standard"
    max_retries: int = Field(3, ge=0)
    visibility_timeout: float = Field(900.0, gt=0)
    delay_seconds: float = Field(0.0, ge=0, le=900)
    # Name of the input field that groups FIFO messages. Not required for 'fifo': the docs show
    # `queue: { type: 'fifo' }` alone, so a missing group id means one group per topic.
    message_group_id: str | None = None


class Infrastructure(ConfigModel):
    handler: HandlerInfrastructure = Field(default_factory=HandlerInfrastructure)
    queue: QueueInfrastructure = Field(default_factory=QueueInfrastructure)

    @model_validator(mode="after")
    def _visibility_outlasts_handler(self) -> Infrastructure:
        # A message that becomes visible again while its handler still runs is delivered twice. Only checked
        # when the user set both values (as upstream Motia does): the defaults (30 s / 900 s) are consistent.
        explicit = (
            "timeout" in self.handler.model_fields_set and "visibility_timeout" in self.queue.model_fields_set
        )
        if explicit and self.queue.visibility_timeout <= self.handler.timeout:
            raise PydanticCustomError(
                "visibility_timeout",
                "queue.visibilityTimeout must be greater than handler.timeout, or a message is redelivered "
                "while its handler still runs (got visibilityTimeout {visibility}s, timeout {timeout}s)",
                {"visibility": f"{self.queue.visibility_timeout:g}", "timeout": f"{self.handler.timeout:g}"},
            )
        return self
