"""The one place the app talks to OpenAI, through the official SDK. Without OPENAI_API_KEY there is no
client and the agents use their rule-based fallbacks (announced once per runner process).
"""

from __future__ import annotations

import json
import os
from typing import Any

from openai import AsyncOpenAI

from services.pet_store import js_head

DEFAULT_MODEL = "gpt-4o-mini"

# What the SDK uses when no base URL is given. Passed explicitly when OPENAI_BASE_URL is empty, because
# the Python SDK would otherwise read the empty variable itself (an empty value counts as unset).
DEFAULT_BASE_URL = "https://api.openai.com/v1"

_UNSET: Any = object()
_client: Any = _UNSET
_fallback_announced = False


class ModelAnswerError(Exception):
    """The model answered, but not what the app asked for."""


def openai_client() -> AsyncOpenAI | None:
    """The SDK client, or None when OPENAI_API_KEY is not set. Honours OPENAI_BASE_URL."""
    global _client
    if _client is _UNSET:
        api_key = os.environ.get("OPENAI_API_KEY")
        _client = (
            AsyncOpenAI(
                api_key=api_key,
                base_url=os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL,
                timeout=20,
                max_retries=1,
            )
            if api_key
            else None
        )
    return _client  # type: ignore[no-any-return]


def model_name() -> str:
    return os.environ.get("OPENAI_MODEL") or DEFAULT_MODEL


def announce_fallback(logger: Any) -> None:
    """Logs, once per process, that the agents run on their rule-based fallback."""
    global _fallback_announced
    if _fallback_announced:
        return
    _fallback_announced = True
    logger.warn("⚠️ OPENAI_API_KEY is not set: AI agents use the deterministic rule-based fallback")


async def chat_json(openai: AsyncOpenAI, system: str, user: str, temperature: float) -> Any:
    """One chat completion in JSON mode; answers the parsed JSON the model answered."""
    completion = await openai.chat.completions.create(
        model=model_name(),
        temperature=temperature,
        response_format={"type": "json_object"},
        messages=[
            {"role": "system", "content": system},
            {"role": "user", "content": user},
        ],
    )
    content = completion.choices[0].message.content if completion.choices else None
    if not content:
        raise ModelAnswerError("the model returned no content")
    try:
        return json.loads(content)
    except ValueError:
        raise ModelAnswerError(f"the model did not answer JSON: {js_head(content, 200)}") from None
