from pydantic import BaseModel


class GreetingRequested(BaseModel):
    name: str
    requestedAt: str


config = {
    "type": "event",
    "name": "WriteGreeting",
    "description": "Writes the greeting of a name to state",
    "subscribes": ["greeting.requested"],
    "input": GreetingRequested,
    "emits": [],
    "flows": ["greetings"],
}


async def handler(input_data, context):
    request = GreetingRequested.model_validate(input_data)
    greeting = {
        "name": request.name,
        "message": f"Hello, {request.name}!",
        "requestedAt": request.requestedAt,
        "writtenBy": "python",
    }
    await context.state.set("greetings", request.name, greeting)
    context.logger.info("Greeting written", {"name": request.name})
