# steps/python/pet_creation.stream.py
from pydantic import BaseModel, ConfigDict
from pydantic.json_schema import SkipJsonSchema
from services.types import plain_json_schema


# One progress update of a pet's workflow. Items are grouped by the trace id of the request that started
# the work, and each producer writes its own item ids (listed in steps/README.md); besides the message, an
# item carries the pet id and, for some ids, more (the created record, the profile, the transition).
class PetCreationUpdate(BaseModel):
    model_config = ConfigDict(extra="allow", json_schema_extra=plain_json_schema)

    message: str
    petId: str | SkipJsonSchema[None] = None


config = {
    # Available as context.streams.petCreation in every step.
    "name": "petCreation",
    "schema": PetCreationUpdate,
    "baseConfig": {
        "storageType": "default",
    },
}
