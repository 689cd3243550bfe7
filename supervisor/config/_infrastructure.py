"""``infrastructure`` of event steps: handler resources and queue behaviour.

Motia documents ``handler.timeout`` (seconds, 1-900, default 30), ``handler.ram`` (MB, 128-10240),
``handler.cpu``, ``queue.type`` (``standard`` or ``fifo``), ``queue.maxRetries`` (default 3),
``queue.visibilityTimeout`` (default 900, greater than the handler's timeout) and
``queue.delaySeconds`` (0-900, default 0).

The api reference calls these fields required and Cloud-only, while the infrastructure guide documents
defaults and shows partial configs (``queue: { type: 'fifo' }`` alone). We accept partial configs and fill in
the documented defaults, so consumers can always read e.g. ``step.infrastructure.queue.max_retries``.

What each field does here (README, Configuration): ``handler.timeout`` cancels an attempt;
``handler.ram`` caps how much the runner may grow while the step runs; ``queue.visibilityTimeout``,
when written, is how long a failed delivery stays invisible before its retry.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from supervisor.config._base import ConfigModel


class HandlerInfrastructure(ConfigModel):
    # MB, the range AWS Lambda allows (Motia Cloud sizes functions with it).
    ram: int | None = Field(None, ge=128, le=10240)
    # Only sizes Cloud functions: validated, not enforced locally.
    cpu: float | None = Field(None, gt=0, allow_inf_nan=False)
    timeout: float = Field(30.0, ge=1, le=900, allow_inf_nan=False)
    machine_type: Literal["cpu", "memory", "gpu"] | None = None


class QueueInfrastructure(ConfigModel):
    type: Literal["standard", "fifo"] = "standard"
    max_retries: int = Field(3, ge=0)
    # Seconds; 12 h is the most SQS allows.
    visibility_timeout: float = Field(900.0, gt=0, le=43200, allow_inf_nan=False)
    delay_seconds: float = Field(0.0, ge=0, le=900, allow_inf_nan=False)
    # Accepted because later Motia versions write it (the input field naming the group), unused:
    # as in Motia 0.17, the group comes from each emit's messageGroupId, which a FIFO subscriber requires.
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
            error = PydanticCustomError(
                "visibility_timeout",
                "must be greater than handler.timeout, or a message is redelivered while its handler "
                "still runs (got visibilityTimeout {visibility}s, timeout {timeout}s)",
                {"visibility": f"{self.queue.visibility_timeout:g}", "timeout": f"{self.handler.timeout:g}"},
            )
            # Reported at the field the user has to change, as Motia does.
            where = ("queue", "visibilityTimeout")
            details = InitErrorDetails(type=error, loc=where, input=self.queue.visibility_timeout)
            raise ValidationError.from_exception_data(type(self).__name__, [details])
        return self
