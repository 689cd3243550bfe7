from datetime import datetime, timezone

from pydantic import BaseModel, Field


class GreetingRequest(BaseModel):
    name: str = Field(min_length=1)


class Accepted(BaseModel):
    name: str
    traceId: str


config = {
    "type": "api",
    "name": "RequestGreeting",
    "description": "Takes a name and hands it to the event step that writes its greeting",
    "path": "/greetings",
    "method": "POST",
    "bodySchema": GreetingRequest,
    "responseSchema": {202: Accepted},
    "emits": ["greeting.requested"],
    "flows": ["greetings"],
}


async def handler(req, context):
    name = GreetingRequest.model_validate(req["body"]).name
    context.logger.info("Greeting requested", {"name": name})
    requested_at = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    await context.emit({"topic": "greeting.requested", "data": {"name": name, "requestedAt": requested_at}})
    return {"status": 202, "body": {"name": name, "traceId": context.trace_id}}
