export const config = {
  type: 'api',
  name: 'GetGreeting',
  description: 'Reads the greeting written for a name',
  path: '/greetings/:name',
  method: 'GET',
  emits: [],
  flows: ['greetings'],
}

export const handler = async (req, { state }) => {
  const { name } = req.pathParams
  const greeting = await state.get('greetings', name)
  if (!greeting) {
    return { status: 404, body: { message: `No greeting for ${name} yet` } }
  }
  return { status: 200, body: greeting }
}
