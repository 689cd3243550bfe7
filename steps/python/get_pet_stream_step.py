# steps/python/get_pet_stream_step.py
config = {
    "type": "api",
    "name": "PyGetPetStream",
    "description": "Read the petCreation stream of one request: every update its trace produced, in order",
    "path": "/py/streams/:traceId",
    "method": "GET",
    "emits": [],
    "flows": ["PyPetManagement"],
}


async def handler(req, context):
    stream_id = req["pathParams"]["traceId"]
    updates = await context.streams.petCreation.get_group(stream_id)
    return {"status": 200, "body": {"streamId": stream_id, "updates": updates}}
