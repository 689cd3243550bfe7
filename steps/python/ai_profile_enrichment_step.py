# steps/python/ai_profile_enrichment_step.py
import json

from services.openai_client import ModelAnswerError, announce_fallback, chat_json, openai_client
from services.pet_store import js_head, js_trim, pet_store

# The profile fields, in the order their progress is streamed, with the words the messages use.
PROFILE_FIELDS = [
    ("bio", "bio"),
    ("breedGuess", "breed guess"),
    ("temperamentTags", "temperament tags"),
    ("adopterHints", "adopter hints"),
]

# The fallback's breed guess by species (any other species: "Mixed Breed").
FALLBACK_BREEDS = {"dog": "Mixed Breed", "cat": "Domestic Shorthair"}

PROFILE_SYSTEM_PROMPT = (
    "You are a pet adoption specialist who creates compelling, accurate pet profiles. "
    "Always respond with valid JSON only."
)

config = {
    "type": "event",
    "name": "PyAiProfileEnrichment",
    "description": "AI agent: writes the adoption profile of a new pet and streams its progress",
    "subscribes": ["py.pet.created"],
    "emits": [],
    "flows": ["PyPetManagement"],
}


async def handler(input_data, context):
    logger, streams, trace_id = context.logger, context.streams, context.trace_id
    pet_id, name = input_data.get("petId"), input_data.get("name")
    logger.info(
        "🤖 AI Profile Enrichment started",
        {"petId": pet_id, "name": name, "species": input_data.get("species")},
    )
    await streams.petCreation.set(
        trace_id, "enrichment_started", {"message": f"AI enrichment started for {name}", "petId": pet_id}
    )

    store = pet_store(context.state)
    pet = await store.get(pet_id)
    if not pet:
        logger.error("❌ AI Profile Enrichment failed - pet not found", {"petId": pet_id})
        return
    profile, source = await generate_profile(pet, logger)
    if not await store.update(pet_id, lambda _pet: {"profile": profile}):
        logger.error("❌ AI Profile Enrichment failed - pet not found", {"petId": pet_id})
        return
    logger.info(
        "✅ AI Profile Enrichment completed",
        {
            "petId": pet_id,
            "source": source,
            "profile": {**profile, "bio": f"{js_head(profile['bio'], 50)}..."},
        },
    )

    for field, words in PROFILE_FIELDS:
        await streams.petCreation.set(
            trace_id, f"progress_{field}", {"message": f"Generated {words} for {name}", "petId": pet_id}
        )
    await streams.petCreation.set(
        trace_id,
        "completed",
        {
            "message": (
                f"AI enrichment completed for {name}"
                if source == "openai"
                else f"AI enrichment completed with fallback profile for {name}"
            ),
            "petId": pet_id,
            "profile": profile,
        },
    )


async def generate_profile(pet, logger):
    """The profile and its source (``openai`` or ``fallback``)."""
    openai = openai_client()
    if openai is None:
        announce_fallback(logger)
        return fallback_profile(pet), "fallback"
    try:
        answer = await chat_json(openai, PROFILE_SYSTEM_PROMPT, profile_prompt(pet), 0.7)
        return as_profile(answer), "openai"
    except Exception as error:
        logger.warn(
            "⚠️ AI profile generation failed, using fallback profile",
            {"petId": pet["id"], "error": str(error)},
        )
        return fallback_profile(pet), "fallback"


def profile_prompt(pet):
    details = {
        "name": pet["name"],
        "species": pet["species"],
        "ageMonths": pet["ageMonths"],
        "weightKg": pet["weightKg"],
        "symptoms": pet["symptoms"],
    }
    return "\n".join(
        [
            "Generate a pet profile for adoption purposes.",
            "Pet details (JSON):",
            json.dumps(details, indent=2, ensure_ascii=False),
            "Respond with a JSON object with these fields:",
            "- bio: a warm, engaging 2-3 sentence description that would appeal to potential adopters",
            "- breedGuess: your best guess at the breed or breed mix (specific but realistic)",
            '- temperamentTags: an array of 3-5 personality traits (e.g. "friendly", "energetic", "calm")',
            "- adopterHints: practical advice for potential adopters "
            "(family type, living situation, care needs)",
            "Keep it positive, realistic, and adoption-focused.",
        ]
    )


def _is_text(item):
    return isinstance(item, str) and js_trim(item) != ""


def as_profile(answer):
    """The model's answer as a profile, or an error saying what is wrong with it."""
    value = answer if isinstance(answer, dict) else {}
    bio, breed_guess = value.get("bio"), value.get("breedGuess")
    temperament_tags, adopter_hints = value.get("temperamentTags"), value.get("adopterHints")
    if not _is_text(bio) or not _is_text(breed_guess) or not _is_text(adopter_hints):
        raise ModelAnswerError("the profile needs non-empty bio, breedGuess and adopterHints strings")
    if (
        not isinstance(temperament_tags, list)
        or not temperament_tags
        or not all(map(_is_text, temperament_tags))
    ):
        raise ModelAnswerError("the profile needs temperamentTags as a non-empty array of strings")
    return {
        "bio": bio,
        "breedGuess": breed_guess,
        "temperamentTags": temperament_tags,
        "adopterHints": adopter_hints,
    }


def fallback_profile(pet):
    species = pet["species"]
    return {
        "bio": (
            f"{pet['name']} is a lovely {species} with a unique personality, "
            "ready to find their forever home."
        ),
        "breedGuess": FALLBACK_BREEDS.get(species, "Mixed Breed"),
        "temperamentTags": ["friendly", "adaptable"],
        "adopterHints": f"{pet['name']} is looking for a patient and loving family.",
    }
