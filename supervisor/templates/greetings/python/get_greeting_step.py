config = {
    "type": "api",
    "name": "GetGreeting",
    "description": "Reads the greeting written for a name",
    "path": "/greetings/:name",
    "method": "GET",
    "emits": [],
    "flows": ["greetings"],
}


async def handler(req, context):
    name = req["pathParams"]["name"]
    greeting = await context.state.get("greetings", name)
    if greeting is None:
        return {"status": 404, "body": {"message": f"No greeting for {name} yet"}}
    return {"status": 200, "body": greeting}
