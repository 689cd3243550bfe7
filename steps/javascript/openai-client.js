// steps/javascript/openai-client.js
// The one place the app talks to OpenAI, through the official SDK. Without OPENAI_API_KEY there is no
// client and the agents use their rule-based fallbacks (announced once per runner process).
const OpenAI = require('openai')

const DEFAULT_MODEL = 'gpt-4o-mini'

let client
let fallbackAnnounced = false

/** The SDK client, or null when OPENAI_API_KEY is not set. Honours OPENAI_BASE_URL. */
function openAiClient() {
  if (client === undefined) {
    const apiKey = process.env.OPENAI_API_KEY
    client = apiKey
      ? new OpenAI({ apiKey, baseURL: process.env.OPENAI_BASE_URL || undefined, timeout: 20_000, maxRetries: 1 })
      : null
  }
  return client
}

function modelName() {
  return process.env.OPENAI_MODEL || DEFAULT_MODEL
}

/** Logs, once per process, that the agents run on their rule-based fallback. */
function announceFallback(logger) {
  if (fallbackAnnounced) return
  fallbackAnnounced = true
  logger.warn('⚠️ OPENAI_API_KEY is not set: AI agents use the deterministic rule-based fallback')
}

/** One chat completion in JSON mode; resolves to the parsed JSON the model answered. */
async function chatJson(openai, system, user, temperature) {
  const completion = await openai.chat.completions.create({
    model: modelName(),
    temperature,
    response_format: { type: 'json_object' },
    messages: [
      { role: 'system', content: system },
      { role: 'user', content: user },
    ],
  })
  const content = completion.choices[0]?.message?.content
  if (!content) throw new Error('the model returned no content')
  try {
    return JSON.parse(content)
  } catch {
    throw new Error(`the model did not answer JSON: ${content.slice(0, 200)}`)
  }
}

module.exports = { DEFAULT_MODEL, openAiClient, modelName, announceFallback, chatJson }
