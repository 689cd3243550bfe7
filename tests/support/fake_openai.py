"""A tiny OpenAI-compatible server on loopback, for driving the app's real SDK path in tests.

It answers ``POST /v1/chat/completions`` with deterministic JSON chosen from the prompt, using the prompt
formats of steps/README.md ("AI agents"):

* a profile prompt (``Generate a pet profile ...`` + ``Pet details (JSON):``) gets a profile built from
  the pet's name and species;
* a decision prompt (``Agent: <type>`` + ``Pet context (JSON):``) gets a decision: health-review picks
  treatment_required when symptoms are reported; adoption-review picks needs_data for symptoms or a
  missing weight, ready otherwise. A pet named ``Glitch`` gets an emit nobody declared.

Every request is recorded (``calls``) so tests can check the model was, or was not, asked again.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_KEY = "sk-fake-test-key"

BREEDS = {"dog": "Labrador Mix", "cat": "Domestic Shorthair", "bird": "Budgerigar", "other": "Unknown Mix"}


@dataclass(frozen=True)
class FakeCall:
    task: str  # "profile", "health-review" or "adoption-review"
    pet: dict[str, Any]
    model: str


class FakeOpenAI:
    """``with FakeOpenAI() as fake:`` serves on ``fake.base_url`` (``http://127.0.0.1:<port>/v1``)."""

    def __init__(self) -> None:
        self._calls: list[FakeCall] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def env(self) -> dict[str, str]:
        """The environment that points the app's OpenAI SDKs here."""
        return {"OPENAI_API_KEY": API_KEY, "OPENAI_BASE_URL": self.base_url, "OPENAI_MODEL": ""}

    def calls(self, task: str | None = None, pet_id: str | None = None) -> list[FakeCall]:
        with self._lock:
            return [
                call
                for call in self._calls
                if (task is None or call.task == task)
                and (pet_id is None or pet_id in (call.pet.get("petId"), call.pet.get("id")))
            ]

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # ------------------------------------------------------------------ answers

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        messages = body.get("messages") or []
        user = next((m.get("content", "") for m in messages if m.get("role") == "user"), "")
        if not isinstance(user, str):
            raise ValueError("expected the user message content as a string")
        agent = re.search(r"^Agent: (\S+)$", user, re.MULTILINE)
        if agent:
            task = agent.group(1)
            pet = _json_after(user, "Pet context (JSON):")
            content = _decision(task, pet)
        elif user.startswith("Generate a pet profile"):
            task = "profile"
            pet = _json_after(user, "Pet details (JSON):")
            content = _profile(pet)
        else:
            raise ValueError(f"unrecognised prompt: {user[:120]!r}")
        with self._lock:
            self._calls.append(FakeCall(task, pet, str(body.get("model"))))
        return content

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._send(HTTPStatus.NOT_FOUND, _error(f"no route for POST {self.path}", "not_found"))
                    return
                if self.headers.get("authorization") != f"Bearer {API_KEY}":
                    self._send(
                        HTTPStatus.UNAUTHORIZED, _error("Incorrect API key provided", "invalid_api_key")
                    )
                    return
                length = int(self.headers.get("content-length") or 0)
                try:
                    body = json.loads(self.rfile.read(length))
                    content = fake.answer(body)
                except (ValueError, KeyError) as exc:
                    self._send(HTTPStatus.BAD_REQUEST, _error(str(exc), "invalid_request_error"))
                    return
                self._send(HTTPStatus.OK, _completion(body, content))

            def _send(self, status: HTTPStatus, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        return Handler


def _json_after(text: str, marker: str) -> dict[str, Any]:
    start = text.index(marker) + len(marker)
    decoder = json.JSONDecoder()
    value, _ = decoder.raw_decode(text[start:].lstrip())
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object after {marker!r}")
    return value


def _profile(pet: dict[str, Any]) -> dict[str, Any]:
    name, species = pet["name"], pet["species"]
    return {
        "bio": f"{name} is a cheerful {species} who greets everyone at the door (fake model).",
        "breedGuess": BREEDS.get(species, "Unknown Mix"),
        "temperamentTags": ["friendly", "curious", "gentle"],
        "adopterHints": f"{name} suits a patient family with a calm home (fake model).",
    }


def _decision(task: str, pet: dict[str, Any]) -> dict[str, Any]:
    symptoms = ", ".join(pet.get("symptoms") or [])
    if pet.get("name") == "Glitch":
        return {
            "chosenEmit": "emit.nobody.declared",
            "rationale": "Fake model: chose an emit nobody declared.",
        }
    if task == "health-review":
        if symptoms:
            return {
                "chosenEmit": "emit.health.treatment_required",
                "rationale": f"Fake model: symptoms ({symptoms}) call for a vet visit.",
            }
        return {
            "chosenEmit": "emit.health.no_treatment_needed",
            "rationale": "Fake model: no symptoms reported.",
        }
    if task == "adoption-review":
        if symptoms:
            return {
                "chosenEmit": "emit.adoption.needs_data",
                "rationale": f"Fake model: symptoms ({symptoms}) need a vet clearance first.",
            }
        if pet.get("weightKg") is None:
            return {
                "chosenEmit": "emit.adoption.needs_data",
                "rationale": "Fake model: the weight is missing.",
            }
        return {"chosenEmit": "emit.adoption.ready", "rationale": "Fake model: the record is complete."}
    raise ValueError(f"unknown agent {task!r}")


def _completion(body: dict[str, Any], content: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-fake-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "unknown"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": json.dumps(content), "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def _error(message: str, code: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}}
