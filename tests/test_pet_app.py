"""The pet-management app in steps/, end to end, in TypeScript, JavaScript and Python.

Every curl scenario of the tutorial is a ``scenario_*`` function played against the real ``motia`` CLI
serving a temporary copy of the repo's app (steps/README.md is the behaviour contract). Each test runs
one scenario once per language; ``test_every_language_answers_the_same_json`` plays them all in every
language and asserts that the responses are the same JSON apart from ids and timestamps.

The main server points the app's OpenAI SDKs at a fake OpenAI server on loopback (the real SDK path);
a second server runs without a key (the rule-based fallback). A language whose steps/ folder does not
exist yet is skipped.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.fake_openai import FakeOpenAI
from tests.support.server import REPO_ROOT, MotiaServer, eventually

pytestmark = pytest.mark.e2e

LANGS = ["ts", "js", "py"]
STEP_FOLDERS = {"ts": "typescript", "js": "javascript", "py": "python"}
DESK_NAMES = {"ts": "TypeScript", "js": "JavaScript", "py": "Python"}
PROJECT_FILES = ["package.json", "package-lock.json", "tsconfig.json", "types.d.ts", "motia.config.json"]
TEST_STEPS = Path(__file__).parent / "fixtures" / "pet_app" / "steps"

DAY_MS = 24 * 60 * 60 * 1000
RECORD_FIELDS = {
    "id", "name", "species", "ageMonths", "status", "createdAt", "updatedAt", "weightKg", "symptoms",
    "notes", "nextFeedingAt", "deletedAt", "purgeAt", "profile", "flags",
}  # fmt: skip
ARTIFACT_FIELDS = {
    "petId", "agentType", "timestamp", "inputs", "availableEmits", "parsedDecision", "emitFired", "source",
    "model", "success", "cached",
}  # fmt: skip
CREATION_ITEMS = [
    "created", "quarantine", "health_check", "health_status", "enrichment_started", "progress_bio",
    "progress_breedGuess", "progress_temperamentTags", "progress_adopterHints", "completed", "in_quarantine",
]  # fmt: skip
WELCOME_NOTES = "Welcome to our pet store! We'll take great care of this pet."


def language_present(lang: str) -> bool:
    return (REPO_ROOT / "steps" / STEP_FOLDERS[lang]).is_dir()


def make_project(root: Path) -> Path:
    """A copy of the repo's app (steps/ and the project files) plus the test-only steps."""
    node_modules = REPO_ROOT / "node_modules"
    if not node_modules.is_dir():
        pytest.fail("the app's npm packages are missing: run scripts/setup (npm ci at the repo root)")
    shutil.copytree(REPO_ROOT / "steps", root / "steps", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(TEST_STEPS, root / "steps", dirs_exist_ok=True)
    for name in PROJECT_FILES:
        if (REPO_ROOT / name).exists():
            shutil.copy2(REPO_ROOT / name, root / name)
    (root / "node_modules").symlink_to(node_modules, target_is_directory=True)
    return root


def serve(project: Path, env: dict[str, str]) -> Iterator[MotiaServer]:
    server = MotiaServer(project, mode="start", env=env)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture(scope="session")
def pet_server(tmp_path_factory: pytest.TempPathFactory, fake_openai: FakeOpenAI) -> Iterator[MotiaServer]:
    """The app with its OpenAI SDKs pointed at the fake server."""
    yield from serve(make_project(tmp_path_factory.mktemp("pet-app")), fake_openai.env())


@pytest.fixture(scope="session")
def fallback_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotiaServer]:
    """The app without an OpenAI key (empty counts as unset), so the agents use their fallback rules."""
    env = {"OPENAI_API_KEY": "", "OPENAI_BASE_URL": "", "OPENAI_MODEL": ""}
    yield from serve(make_project(tmp_path_factory.mktemp("pet-app-fallback")), env)


@pytest.fixture(params=LANGS)
def lang(request: pytest.FixtureRequest) -> str:
    language: str = request.param
    if not language_present(language):
        pytest.skip(f"steps/{STEP_FOLDERS[language]}/ does not exist yet")
    return language


# ---------------------------------------------------------------- the client


class PetApi:
    """Talks to one language's endpoints; keeps a transcript of the exchanges scenarios record."""

    def __init__(self, server: MotiaServer, lang: str, fake: FakeOpenAI | None = None) -> None:
        self.server = server
        self.lang = lang
        self.fake = fake
        self.transcript: list[dict[str, Any]] = []

    @property
    def step_prefix(self) -> str:
        return self.lang.capitalize()

    def call(self, method: str, path: str, body: Any = None, record: bool = True) -> httpx.Response:
        response = self.server.client.request(method, f"/{self.lang}{path}", json=body)
        if record:
            self.note(f"{method} {path}", {"status": response.status_code, "body": _json(response)}, body)
        return response

    def note(self, label: str, value: Any, request: Any = None) -> None:
        self.transcript.append({"exchange": label, "request": request, "result": value})

    # ------------------------------------------------------------ pets

    def create(self, body: dict[str, Any]) -> tuple[dict[str, Any], str]:
        """POST a pet; the created stream item and the trace id (the stream group)."""
        response = self.call("POST", "/pets", body)
        assert response.status_code == 201, response.text
        return response.json(), response.headers["x-trace-id"]

    def create_settled(self, body: dict[str, Any]) -> tuple[str, str]:
        """Create a pet and wait until the feeding job, the enrichment and the orchestrator are done."""
        item, trace = self.create(body)
        self.wait_stream(trace, {"completed", "in_quarantine"})
        return item["petId"], trace

    def pet(self, pet_id: str, record: bool = False) -> dict[str, Any]:
        response = self.call("GET", f"/pets/{pet_id}", record=record)
        assert response.status_code == 200, response.text
        pet: dict[str, Any] = response.json()
        return pet

    def wait_pet(self, pet_id: str, check: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        def settled() -> dict[str, Any] | None:
            pet = self.pet(pet_id)
            return pet if check(pet) else None

        return eventually(settled)  # type: ignore[no-any-return]

    def wait_status(self, pet_id: str, status: str) -> dict[str, Any]:
        return self.wait_pet(pet_id, lambda pet: pet["status"] == status)

    def put(self, pet_id: str, body: dict[str, Any]) -> httpx.Response:
        return self.call("PUT", f"/pets/{pet_id}", body)

    def request_status(self, pet_id: str, status: str) -> str:
        """A staff decision through PUT; returns its trace id."""
        response = self.put(pet_id, {"status": status})
        assert response.status_code == 202, response.text
        return response.headers["x-trace-id"]

    def make_available(self, body: dict[str, Any]) -> str:
        pet_id, _ = self.create_settled(body)
        trace = self.request_status(pet_id, "healthy")
        self.wait_stream(trace, {"healthy", "available", "adoption_posted"})
        return pet_id

    # ------------------------------------------------------------ streams, logs

    def stream(self, trace_id: str, record: bool = False) -> list[dict[str, Any]]:
        response = self.call("GET", f"/streams/{trace_id}", record=False)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["streamId"] == trace_id
        updates: list[dict[str, Any]] = body["updates"]
        if record:  # concurrent producers interleave, so the transcript keeps the items by id
            self.note("GET /streams/:traceId", sorted(updates, key=lambda item: str(item["id"])))
        return updates

    def wait_stream(self, trace_id: str, ids: Iterable[str], record: bool = False) -> list[dict[str, Any]]:
        wanted = set(ids)

        def arrived() -> list[dict[str, Any]]:
            updates = self.stream(trace_id)
            missing = wanted - {item["id"] for item in updates}
            assert not missing, f"stream {trace_id} still lacks {sorted(missing)}: {updates}"
            return updates

        updates = eventually(arrived)
        return self.stream(trace_id, record=True) if record else updates

    def logs(self, trace_id: str | None = None, msg: str | None = None) -> list[dict[str, Any]]:
        return [
            record
            for record in self.server.json_logs()
            if (trace_id is None or record.get("traceId") == trace_id)
            and (msg is None or record.get("msg") == msg)
            and str(record.get("step", "")).startswith(self.step_prefix)
        ]

    def logs_include(self, trace_id: str, messages: list[str]) -> bool:
        logged = {record["msg"] for record in self.logs(trace_id)}
        missing = [message for message in messages if message not in logged]
        assert not missing, f"trace {trace_id} has not logged {missing} yet"
        return True

    def model_calls(self, task: str, pet_id: str) -> int:
        assert self.fake is not None
        return len(self.fake.calls(task, pet_id))


def _json(response: httpx.Response) -> Any:
    return response.json() if response.content else None


def order_of(updates: list[dict[str, Any]], ids: list[str]) -> list[str]:
    """The ids of ``ids`` in the order the stream holds them."""
    return [item["id"] for item in updates if item["id"] in ids]


def error_fields(response: httpx.Response) -> set[str]:
    assert response.status_code == 400, response.text
    return {error["field"] for error in response.json()["errors"]}


# ---------------------------------------------------------------- scenarios (tutorial order)


def scenario_crud(api: PetApi) -> None:
    """Level 1: create, validate, list, get, update, soft delete."""
    item, trace = api.create({"name": "  Buddy ", "species": "dog", "ageMonths": 24})
    pet_id = item["petId"]
    assert item["id"] == "created"
    assert item["message"] == (
        f"Pet Buddy (ID: {pet_id}) created successfully - Species: dog, Age: 24 months, Status: new"
    )
    created = item["pet"]
    assert set(created) == RECORD_FIELDS
    assert created["id"] == pet_id
    assert [created[field] for field in ("name", "species", "ageMonths", "status")] == [
        "Buddy",
        "dog",
        24,
        "new",
    ]
    assert created["createdAt"] == created["updatedAt"]
    assert created["weightKg"] is None and created["symptoms"] == [] and created["flags"] == []
    assert created["notes"] is None and created["nextFeedingAt"] is None and created["profile"] is None
    assert created["deletedAt"] is None and created["purgeAt"] is None
    api.wait_stream(trace, {"completed", "in_quarantine"})

    bad = api.call("POST", "/pets", {"name": " ", "species": "fish", "ageMonths": -1.5, "weightKg": 0})
    assert error_fields(bad) == {"name", "species", "ageMonths", "weightKg"}
    assert error_fields(api.call("POST", "/pets", {})) == {"name", "species", "ageMonths"}
    not_a_list = {"name": "Rex", "species": "dog", "ageMonths": 3, "symptoms": "cough"}
    assert error_fields(api.call("POST", "/pets", not_a_list)) == {"symptoms"}

    listing = api.call("GET", "/pets", record=False)
    assert listing.status_code == 200
    mine = [pet for pet in listing.json() if pet["id"] == pet_id]
    assert len(mine) == 1
    api.note("GET /pets (this pet)", mine)
    assert set(mine[0]) == RECORD_FIELDS

    assert api.pet(pet_id, record=True)["id"] == pet_id
    missing = api.call("GET", "/pets/no-such-pet")
    assert missing.status_code == 404
    assert missing.json()["message"] == "Pet not found"

    updated = api.put(pet_id, {"ageMonths": 25, "weightKg": 15.5, "notes": "Loves tennis balls"})
    assert updated.status_code == 200, updated.text
    after = updated.json()
    assert (after["ageMonths"], after["weightKg"], after["notes"]) == (25, 15.5, "Loves tennis balls")
    assert after["updatedAt"] >= after["createdAt"]
    assert error_fields(api.put(pet_id, {"ageMonths": "old"})) == {"ageMonths"}
    assert error_fields(api.put(pet_id, {"status": "flying"})) == {"status"}
    assert api.call("PUT", "/pets/no-such-pet", {"ageMonths": 1}).status_code == 404

    deleted = api.call("DELETE", f"/pets/{pet_id}")
    assert deleted.status_code == 200, deleted.text
    gone = deleted.json()
    assert gone["status"] == "deleted"
    assert gone["purgeAt"] - gone["deletedAt"] == 30 * DAY_MS
    still_there = api.pet(pet_id, record=True)
    assert still_there["status"] == "deleted" and still_there["purgeAt"] == gone["purgeAt"]
    refused = api.put(pet_id, {"ageMonths": 26})
    assert refused.status_code == 409
    assert refused.json()["currentStatus"] == "deleted"
    again = api.call("DELETE", f"/pets/{pet_id}")
    assert again.status_code == 200 and again.json()["purgeAt"] == gone["purgeAt"]
    assert api.call("DELETE", "/pets/no-such-pet").status_code == 404


def scenario_create_moves_to_quarantine(api: PetApi) -> None:
    """Level 2: the feeding job sets notes and the next feeding; the orchestrator quarantines the pet."""
    item, trace = api.create({"name": "Whiskers", "species": "cat", "ageMonths": 12})
    pet_id = item["petId"]
    api.wait_stream(trace, {"completed", "in_quarantine"})
    pet = api.pet(pet_id, record=True)
    assert pet["status"] == "in_quarantine"
    assert pet["notes"] == WELCOME_NOTES
    assert abs(pet["nextFeedingAt"] - pet["createdAt"] - DAY_MS) < 60_000
    assert set(pet["profile"] or {}) == {"bio", "breedGuess", "temperamentTags", "adopterHints"}

    expected = [
        "🐾 Pet created",
        "🔄 Setting next feeding reminder",
        "✅ Next feeding reminder set",
        "🔄 Lifecycle orchestrator processing",
        "✅ Lifecycle transition completed",
    ]
    eventually(lambda: api.logs_include(trace, expected))
    reminder = api.logs(trace, "✅ Next feeding reminder set")[0]
    assert reminder["meta"]["notes"] == WELCOME_NOTES[:50] + "..."
    transition = api.logs(trace, "✅ Lifecycle transition completed")[0]["meta"]
    assert (transition["oldStatus"], transition["newStatus"]) == ("new", "in_quarantine")


def scenario_healthy_becomes_available(api: PetApi) -> None:
    """Level 3: staff clear the pet (in_quarantine -> healthy); the orchestrator makes it available."""
    pet_id, _ = api.create_settled({"name": "Buddy", "species": "dog", "ageMonths": 24})
    accepted = api.put(pet_id, {"status": "healthy"})
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["status"] == "in_quarantine"  # the orchestrator applies it
    trace = accepted.headers["x-trace-id"]
    updates = api.wait_stream(trace, {"healthy", "available", "adoption_posted"}, record=True)
    assert order_of(updates, ["healthy", "available"]) == ["healthy", "available"]
    by_id = {item["id"]: item for item in updates}
    assert by_id["healthy"]["message"] == "Status transition: in_quarantine → healthy"
    assert by_id["healthy"]["automatic"] is False
    assert by_id["available"]["message"] == "Status transition: healthy → available"
    assert by_id["available"]["automatic"] is True
    assert by_id["adoption_posted"]["message"] == "Adoption listing posted for Buddy"
    assert api.pet(pet_id, record=True)["status"] == "available"
    same = api.put(pet_id, {"status": "available"})  # already there: nothing to do
    assert same.status_code == 200 and same.json()["status"] == "available"


def scenario_invalid_transition_then_adoption(api: PetApi) -> None:
    """Level 3: available -> adopted is refused; available -> pending -> adopted is fine."""
    pet_id = api.make_available({"name": "Buddy", "species": "dog", "ageMonths": 24})
    refused = api.put(pet_id, {"status": "adopted", "ageMonths": 30})
    assert refused.status_code == 409
    assert refused.json() == {
        "message": "Invalid transition: cannot change from available to adopted (allowed: ill, pending)",
        "petId": pet_id,
        "from": "available",
        "to": "adopted",
        "allowed": ["ill", "pending"],
    }
    unchanged = api.pet(pet_id, record=True)
    assert (unchanged["status"], unchanged["ageMonths"]) == ("available", 24)  # nothing applied
    refusals = eventually(lambda: api.logs(refused.headers["x-trace-id"], "⚠️ Pet update refused"))
    assert refusals[0]["level"] == "warn" and refusals[0]["meta"]["to"] == "adopted"

    api.request_status(pet_id, "pending")
    api.wait_status(pet_id, "pending")
    api.request_status(pet_id, "adopted")
    assert api.wait_status(pet_id, "adopted")["status"] == "adopted"
    final = api.put(pet_id, {"status": "available"})
    assert final.status_code == 409
    assert final.json()["message"] == (
        "Invalid transition: cannot change from adopted to available (no staff transitions from adopted)"
    )
    assert final.json()["allowed"] == []


def scenario_illness_and_recovery(api: PetApi) -> None:
    """Level 3: ill -> under_treatment automatically; recovered -> healthy -> available automatically."""
    pet_id = api.make_available({"name": "Buddy", "species": "dog", "ageMonths": 24})
    ill = api.request_status(pet_id, "ill")
    updates = api.wait_stream(ill, {"ill", "under_treatment", "treatment_scheduled"}, record=True)
    treatment = ["ill", "under_treatment", "treatment_scheduled"]
    assert order_of(updates, treatment) == treatment
    assert api.wait_status(pet_id, "under_treatment")["status"] == "under_treatment"

    recovered = api.request_status(pet_id, "recovered")
    expected = {"recovered", "healthy", "available", "recovery_monitoring", "adoption_posted"}
    updates = api.wait_stream(recovered, expected, record=True)
    chain = ["recovered", "healthy", "available"]
    assert order_of(updates, chain) == chain
    assert [item["automatic"] for item in updates if item["id"] in chain] == [False, True, True]
    assert api.pet(pet_id, record=True)["status"] == "available"


def scenario_soft_delete_then_reaper(api: PetApi) -> None:
    """Level 2: the deletion reaper purges soft-deleted pets whose purge date has passed, and only those."""
    expired_id, _ = api.create_settled({"name": "Oldie", "species": "bird", "ageMonths": 60})
    recent_id, _ = api.create_settled({"name": "Newbie", "species": "other", "ageMonths": 2})
    for pet_id in (expired_id, recent_id):
        assert api.call("DELETE", f"/pets/{pet_id}").status_code == 200
    backdated = api.server.client.post(f"/test-support/{api.lang}/pets/{expired_id}/expire")
    assert backdated.status_code == 200, backdated.text

    reaper = f"{api.step_prefix}DeletionReaper"
    done_before = len(api.logs(msg="✅ Deletion Reaper completed"))
    run = api.server.client.post(f"/__motia/cron/{reaper}/run?wait=1")
    assert (run.status_code, run.json()["status"]) == (200, "finished"), run.text

    assert api.call("GET", f"/pets/{expired_id}").status_code == 404
    assert api.pet(recent_id, record=True)["status"] == "deleted"
    completed = eventually(lambda: api.logs(msg="✅ Deletion Reaper completed")[done_before:])
    counts = completed[-1]["meta"]
    assert (counts["purgedCount"], counts["failedCount"]) == (1, 0)
    assert counts["totalScanned"] >= 2
    api.note("reaper counts", {"purgedCount": counts["purgedCount"], "failedCount": counts["failedCount"]})
    purged = [r["meta"]["petId"] for r in api.logs(msg="💀 Pet permanently purged")]
    assert expired_id in purged and recent_id not in purged
    assert api.logs(msg="🔄 Deletion Reaper started - scanning for pets to purge")


def scenario_health_review_with_symptoms(api: PetApi) -> None:
    """Level 4: the model picks treatment_required; the orchestrator goes ill -> under_treatment."""
    symptoms = ["coughing", "lethargy", "fever"]
    max_ = {"name": "Max", "species": "dog", "ageMonths": 36, "symptoms": symptoms, "weightKg": 25.5}
    pet_id, _ = api.create_settled(max_)
    review = api.call("POST", f"/pets/{pet_id}/health-review")
    assert review.status_code == 200, review.text
    artifact = review.json()
    assert set(artifact) == ARTIFACT_FIELDS
    assert artifact["petId"] == pet_id and artifact["agentType"] == "health-review"
    assert artifact["parsedDecision"] == {
        "chosenEmit": "emit.health.treatment_required",
        "rationale": "Fake model: symptoms (coughing, lethargy, fever) call for a vet visit.",
    }
    assert artifact["availableEmits"] == ["emit.health.treatment_required", "emit.health.no_treatment_needed"]
    assert artifact["emitFired"] == f"{api.lang}.health.treatment_required"
    assert (artifact["success"], artifact["cached"], artifact["source"]) == (True, False, "openai")
    assert artifact["model"] == "gpt-4o-mini"
    assert artifact["inputs"]["currentStatus"] == "in_quarantine"
    assert artifact["inputs"]["symptoms"] == ["coughing", "lethargy", "fever"]

    trace = review.headers["x-trace-id"]
    updates = api.wait_stream(trace, {"ill", "under_treatment", "treatment_scheduled"}, record=True)
    assert order_of(updates, ["ill", "under_treatment"]) == ["ill", "under_treatment"]
    assert api.wait_status(pet_id, "under_treatment")["status"] == "under_treatment"
    assert api.model_calls("health-review", pet_id) == 1

    again = api.call("POST", f"/pets/{pet_id}/health-review")
    assert again.status_code == 409
    assert again.json()["currentStatus"] == "under_treatment"
    assert api.model_calls("health-review", pet_id) == 1


def scenario_repeated_review_is_cached(api: PetApi) -> None:
    """Level 4: the same review of the same pet data answers the cached decision without the model."""
    pet_id, _ = api.create_settled({"name": "Bella", "species": "cat", "ageMonths": 30, "weightKg": 4.2})
    first = api.call("POST", f"/pets/{pet_id}/health-review")
    assert first.status_code == 200, first.text
    assert first.json()["parsedDecision"]["chosenEmit"] == "emit.health.no_treatment_needed"
    api.wait_stream(first.headers["x-trace-id"], {"healthy", "available", "adoption_posted"})
    assert api.pet(pet_id, record=True)["status"] == "available"

    second = api.call("POST", f"/pets/{pet_id}/health-review")
    assert second.status_code == 200, second.text
    assert second.json() == {**first.json(), "cached": True}
    assert api.model_calls("health-review", pet_id) == 1


def scenario_adoption_review(api: PetApi) -> None:
    """Level 4: needs_data flags the pet (and ready is refused meanwhile); new data lets it pass."""
    pet_id = api.make_available({"name": "Rex", "species": "dog", "ageMonths": 18})
    first = api.call("POST", f"/pets/{pet_id}/adoption-review")
    assert first.status_code == 200, first.text
    assert first.json()["parsedDecision"] == {
        "chosenEmit": "emit.adoption.needs_data",
        "rationale": "Fake model: the weight is missing.",
    }
    api.wait_stream(first.headers["x-trace-id"], {"flag_needs_data"}, record=True)
    assert api.wait_pet(pet_id, lambda pet: pet["flags"] == ["needs_data"])["status"] == "available"
    assert api.call("POST", f"/pets/{pet_id}/adoption-review").json()["cached"] is True

    # A ready verdict while the pet is flagged is refused by the orchestrator's guard: log and stream.
    emitted = api.server.client.post(
        "/__motia/emit",
        json={"topic": f"{api.lang}.adoption.ready", "data": {"petId": pet_id, "event": "adoption.ready"}},
    )
    trace = emitted.json()["traceId"]
    rejected = {item["id"]: item for item in api.wait_stream(trace, {"rejected"})}["rejected"]
    assert "no_needs_data_flag" in rejected["reason"]
    warning = eventually(lambda: api.logs(trace, "⚠️ Transition rejected"))[0]
    assert warning["level"] == "warn" and warning["meta"]["currentStatus"] == "available"

    updated = api.put(pet_id, {"weightKg": 30})  # new data answers needs_data
    assert updated.status_code == 200 and updated.json()["flags"] == []
    second = api.call("POST", f"/pets/{pet_id}/adoption-review")
    assert second.status_code == 200, second.text
    ready = second.json()
    assert (ready["parsedDecision"]["chosenEmit"], ready["cached"]) == ("emit.adoption.ready", False)
    assert api.model_calls("adoption-review", pet_id) == 2
    assert eventually(lambda: api.logs(second.headers["x-trace-id"], "✅ Already in target status"))
    assert api.pet(pet_id, record=True)["status"] == "available"


def scenario_stream_messages_in_order(api: PetApi) -> None:
    """Level 5: POST answers the first stream item; the job, the agent and the orchestrator add theirs."""
    item, trace = api.create({"name": "Luna", "species": "cat", "ageMonths": 18})
    updates = api.wait_stream(trace, CREATION_ITEMS, record=True)
    assert updates[0]["id"] == "created"
    assert sorted(update["id"] for update in updates) == sorted(CREATION_ITEMS)
    assert updates[0] == item
    job = ["quarantine", "health_check", "health_status", "in_quarantine"]
    agent = [
        item for item in CREATION_ITEMS if item.startswith(("enrichment", "progress")) or item == "completed"
    ]
    assert order_of(updates, job) == job
    assert order_of(updates, agent) == agent
    messages = {update["id"]: update["message"] for update in updates}
    assert messages == {
        "created": f"Pet Luna (ID: {item['petId']}) created successfully - Species: cat, Age: 18 months, "
        "Status: new",
        "quarantine": "Pet Luna entered quarantine period",
        "health_check": "Health check passed for Luna - no symptoms found",
        "health_status": "Luna is healthy and ready for adoption! ✅",
        "enrichment_started": "AI enrichment started for Luna",
        "progress_bio": "Generated bio for Luna",
        "progress_breedGuess": "Generated breed guess for Luna",
        "progress_temperamentTags": "Generated temperament tags for Luna",
        "progress_adopterHints": "Generated adopter hints for Luna",
        "completed": "AI enrichment completed for Luna",
        "in_quarantine": "Status transition: new → in_quarantine",
    }
    completed = next(update for update in updates if update["id"] == "completed")
    assert completed["profile"] == api.pet(item["petId"])["profile"]
    assert all(update["petId"] == item["petId"] for update in updates)

    sick, sick_trace = api.create(
        {"name": "Max", "species": "dog", "ageMonths": 36, "symptoms": ["coughing", "lethargy", "fever"]}
    )
    sick_updates = {u["id"]: u for u in api.wait_stream(sick_trace, CREATION_ITEMS, record=True)}
    assert sick_updates["health_check"]["message"] == (
        "Health check failed for Max - symptoms detected: coughing, lethargy, fever"
    )
    assert sick_updates["health_status"]["message"] == "Max needs medical treatment ❌"
    assert sick["petId"] == sick_updates["created"]["petId"]


SCENARIOS: list[Callable[[PetApi], None]] = [
    scenario_crud,
    scenario_create_moves_to_quarantine,
    scenario_healthy_becomes_available,
    scenario_invalid_transition_then_adoption,
    scenario_illness_and_recovery,
    scenario_soft_delete_then_reaper,
    scenario_health_review_with_symptoms,
    scenario_repeated_review_is_cached,
    scenario_adoption_review,
    scenario_stream_messages_in_order,
]


# ---------------------------------------------------------------- one test per scenario and language


@pytest.mark.parametrize(
    "scenario", SCENARIOS, ids=lambda scenario: scenario.__name__.removeprefix("scenario_")
)
def test_the_pet_app_does_what_each_scenario_says(
    pet_server: MotiaServer, fake_openai: FakeOpenAI, lang: str, scenario: Callable[[PetApi], None]
) -> None:
    scenario(PetApi(pet_server, lang, fake_openai))


def test_review_of_a_missing_pet_is_404_and_of_a_wrong_status_409(pet_server: MotiaServer, lang: str) -> None:
    api = PetApi(pet_server, lang)
    for agent in ("health-review", "adoption-review"):
        missing = api.call("POST", f"/pets/no-such-pet/{agent}")
        assert missing.status_code == 404
        assert missing.json() == {"message": "Pet not found", "petId": "no-such-pet"}
    pet_id, _ = api.create_settled({"name": "Shy", "species": "cat", "ageMonths": 5})
    refused = api.call("POST", f"/pets/{pet_id}/adoption-review")
    assert refused.status_code == 409
    assert refused.json() == {
        "message": "Adoption review can only be performed on pets that are healthy, available",
        "petId": pet_id,
        "currentStatus": "in_quarantine",
        "allowedStatuses": ["healthy", "available"],
    }


def test_a_model_choosing_an_undeclared_emit_is_a_502_and_not_cached(
    pet_server: MotiaServer, fake_openai: FakeOpenAI, lang: str
) -> None:
    api = PetApi(pet_server, lang, fake_openai)
    pet_id, _ = api.create_settled({"name": "Glitch", "species": "other", "ageMonths": 7})
    for attempt in (1, 2):
        failed = api.call("POST", f"/pets/{pet_id}/health-review")
        assert failed.status_code == 502
        body = failed.json()
        assert body["message"] == "Agent decision failed" and body["petId"] == pet_id
        assert "emit.nobody.declared" in body["error"]
        assert api.model_calls("health-review", pet_id) == attempt
    assert api.pet(pet_id)["status"] == "in_quarantine"


def test_pets_live_in_state_readable_from_other_languages(pet_server: MotiaServer, lang: str) -> None:
    """The test-only step is Python; it finds any language's pet in that language's state group."""
    api = PetApi(pet_server, lang)
    pet_id, _ = api.create_settled({"name": "Pip", "species": "bird", "ageMonths": 4})
    refused = pet_server.client.post(f"/test-support/{lang}/pets/{pet_id}/expire")
    assert refused.status_code == 409  # it read the record: the pet exists and is not deleted
    assert refused.json() == {"message": "only soft-deleted pets can be expired", "petId": pet_id}
    assert pet_server.client.post(f"/test-support/{lang}/pets/no-such-pet/expire").status_code == 404


# ---------------------------------------------------------------- the shelter: one trace, three languages


def test_a_pet_created_at_any_desk_is_taken_in_by_python_and_posted_by_javascript_in_its_trace(
    pet_server: MotiaServer, lang: str
) -> None:
    """steps/shelter/: whichever language created the pet, the Python ShelterIntake records it in
    state and emits, and the JavaScript ShelterBoard puts it on the shelterBoard stream, all in the
    POST's own trace, each step with its operations and a log line."""
    api = PetApi(pet_server, lang)
    item, trace_id = api.create({"name": "Pepper", "species": "dog", "ageMonths": 3})
    pet_id = item["petId"]

    def settled() -> dict[str, Any]:
        trace: dict[str, Any] = pet_server.client.get(f"/__motia/traces/{trace_id}").json()
        assert trace["status"] != "running" and "ShelterBoard" in {s["step"] for s in trace["spans"]}, trace
        return trace

    trace = eventually(settled)
    assert trace["status"] == "ok"
    spans = {span["step"]: span for span in trace["spans"]}
    create, intake, board = (
        spans[f"{api.step_prefix}CreatePet"],
        spans["ShelterIntake"],
        spans["ShelterBoard"],
    )
    languages = [span["language"] for span in (create, intake, board)]
    assert languages == [STEP_FOLDERS[lang], "python", "javascript"]
    assert (intake["parentSpanId"], board["parentSpanId"]) == (create["spanId"], intake["spanId"])

    def of(span: dict[str, Any], kind: str) -> list[dict[str, Any]]:
        return [e for e in trace["events"] if e["spanId"] == span["spanId"] and e["type"] == kind]

    [created] = [e for e in of(create, "emit") if e["topic"] == f"{lang}.pet.created"]
    assert "ShelterIntake" in [delivery["step"] for delivery in created["deliveries"]]
    # the intake found the pet in its desk's state group, and wrote its entry under the pet's id
    reads = [(e["group"], e["key"]) for e in of(intake, "state") if e["name"] == "state.get"]
    assert reads[-1] == (f"{lang}-pets", pet_id)
    writes = [(e["name"], e["group"], e["key"]) for e in of(intake, "state") if e["name"] != "state.get"]
    assert writes == [("state.set", "shelter-intake", pet_id)]
    [recorded] = of(intake, "emit")
    entry = recorded["data"]
    assert recorded["topic"] == "shelter.intake.recorded"
    assert entry == {
        "petId": pet_id,
        "name": "Pepper",
        "species": "dog",
        "desk": lang,
        "intakeAt": entry["intakeAt"],
    }
    assert entry["intakeAt"] >= item["pet"]["createdAt"]
    assert [delivery["step"] for delivery in recorded["deliveries"]] == ["ShelterBoard"]
    [posted] = of(board, "stream")
    assert (posted["name"], posted["stream"], posted["group"], posted["itemId"]) == (
        "streams.set",
        "shelterBoard",
        "intake",
        pet_id,
    )
    logged = [[e["message"] for e in of(span, "log")] for span in (create, intake, board)]
    assert logged == [["🐾 Pet created"], ["🏠 Shelter intake recorded"], ["📋 Shelter board updated"]]

    # what they wrote is readable: the entry in state, the board's item in its stream
    stored = pet_server.client.get("/__motia/state/item", params={"groupId": "shelter-intake", "key": pet_id})
    assert stored.json()["value"] == entry
    on_board = pet_server.client.get(f"/__motia/streams/shelterBoard/intake/{pet_id}")
    assert on_board.status_code == 200, on_board.text
    message = f"Pepper the dog was taken in at the {DESK_NAMES[lang]} desk"
    assert on_board.json() == {"message": message, **entry, "id": pet_id}
    # and watched live, as the README shows: the group's first sync holds it
    with pet_server.client.stream("GET", "/__motia/sse/shelterBoard/intake", timeout=30) as events:
        synced = next(
            json.loads(line.removeprefix("data:")) for line in events.iter_lines() if line.startswith("data:")
        )
    assert {"message": message, **entry, "id": pet_id} in synced["event"]["data"]


# ---------------------------------------------------------------- without an API key


def test_fallback_decides_by_rules_and_says_so(fallback_server: MotiaServer, lang: str) -> None:
    api = PetApi(fallback_server, lang)
    item, trace = api.create({"name": "Milo", "species": "dog", "ageMonths": 14, "symptoms": ["sneezing"]})
    pet_id = item["petId"]
    updates = {u["id"]: u for u in api.wait_stream(trace, {"completed", "in_quarantine"})}
    fallback_profile = {
        "bio": "Milo is a lovely dog with a unique personality, ready to find their forever home.",
        "breedGuess": "Mixed Breed",
        "temperamentTags": ["friendly", "adaptable"],
        "adopterHints": "Milo is looking for a patient and loving family.",
    }
    assert updates["completed"]["message"] == "AI enrichment completed with fallback profile for Milo"
    assert updates["completed"]["profile"] == fallback_profile
    assert api.pet(pet_id)["profile"] == fallback_profile

    review = api.call("POST", f"/pets/{pet_id}/health-review")
    assert review.status_code == 200, review.text
    artifact = review.json()
    assert set(artifact) == ARTIFACT_FIELDS
    assert (artifact["source"], artifact["model"], artifact["success"]) == ("fallback", None, True)
    assert artifact["parsedDecision"] == {
        "chosenEmit": "emit.health.treatment_required",
        "rationale": "Rule-based fallback: reported symptoms (sneezing) need veterinary treatment.",
    }
    assert api.wait_status(pet_id, "under_treatment")["status"] == "under_treatment"
    again = api.call("POST", f"/pets/{pet_id}/adoption-review")
    assert again.status_code == 409  # under_treatment: not adoptable

    ready_id = api.make_available({"name": "Nala", "species": "cat", "ageMonths": 40, "weightKg": 3.9})
    adoption = api.call("POST", f"/pets/{ready_id}/adoption-review")
    assert adoption.json()["parsedDecision"] == {
        "chosenEmit": "emit.adoption.ready",
        "rationale": "Rule-based fallback: weight, profile and health data are complete.",
    }

    notices = [
        record
        for record in api.logs()
        if record["msg"] == "⚠️ OPENAI_API_KEY is not set: AI agents use the deterministic rule-based fallback"
    ]
    assert len(notices) == 1, notices  # once per runner process, though every agent used it
    assert notices[0]["level"] == "warn"


# ---------------------------------------------------------------- the same JSON in every language

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
EPOCH_MS = 10**12  # any integer this large is a timestamp in milliseconds


def normalize(transcript: Any, lang: str) -> Any:
    """The transcript with ids numbered by first appearance, timestamps and the language prefix masked."""
    ids: dict[str, str] = {}
    prefix = re.compile(rf"(?<![\w.]){lang}\.")

    def number(match: re.Match[str]) -> str:
        return ids.setdefault(match.group(0), f"<id{len(ids) + 1}>")

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: walk(item) for key, item in value.items()}
        if isinstance(value, list):
            return [walk(item) for item in value]
        if isinstance(value, int) and not isinstance(value, bool) and value >= EPOCH_MS:
            return "<timestamp>"
        if isinstance(value, str):
            return prefix.sub("<lang>.", UUID.sub(number, value))
        return value

    return walk(transcript)


def test_every_language_answers_the_same_json(pet_server: MotiaServer, fake_openai: FakeOpenAI) -> None:
    missing = [lang for lang in LANGS if not language_present(lang)]
    if missing:
        pytest.skip(f"needs all three languages; missing: {', '.join(missing)}")
    transcripts: dict[str, Any] = {}
    for lang in LANGS:
        api = PetApi(pet_server, lang, fake_openai)
        for scenario in SCENARIOS:
            api.note(f"--- {scenario.__name__}", None)
            scenario(api)
        transcripts[lang] = normalize(api.transcript, lang)
    assert transcripts["js"] == transcripts["ts"]
    assert transcripts["py"] == transcripts["ts"]


def test_creation_stream_can_be_watched_live_over_sse(pet_server: MotiaServer, lang: str) -> None:
    """What the README shows: `curl -N .../__motia/sse/petCreation/<trace id of the POST>`."""
    created = pet_server.client.post(f"/{lang}/pets", json={"name": "Sky", "species": "bird", "ageMonths": 5})
    assert created.status_code == 201, created.text
    trace_id = created.headers["x-trace-id"]
    seen: set[str] = set()
    with pet_server.client.stream("GET", f"/__motia/sse/petCreation/{trace_id}", timeout=30) as events:
        assert events.headers["content-type"].startswith("text/event-stream")
        for line in events.iter_lines():
            if not line.startswith("data:"):
                continue
            message = json.loads(line.removeprefix("data:"))
            data = message["event"]["data"]
            seen.update(item["id"] for item in (data if isinstance(data, list) else [data]))
            if {"created", "completed", "in_quarantine"} <= seen:
                break
    assert {"created", "completed", "in_quarantine"} <= seen
