// The one way a test client asks a server for something itself (not through a page it drives):
// Node's own fetch waits 300 s for the headers and as long as it takes for the body, then says only
// "fetch failed", so a server that hangs shows as a silent CI stall. Plain JavaScript with no
// imports: the browser clients' scenario (bundled into a page by browser-driver.mjs) uses it too.

/** How long a client's own request (``timedFetch``) waits for its whole answer. */
export const FETCH_MS = 30000

/** Statuses whose answer has no body (the Response constructor refuses one). */
const BODILESS = new Set([204, 205, 304])

/** ``fetch(url, init)``, its answer read whole within ``timeout`` ms: failed after that time without
 * the headers, or with a body that stopped coming, naming its method and URL, as it fails for any
 * other reason. The answer is a Response whose body is already here: ``.json()`` and ``.text()``
 * cannot stall. */
export async function timedFetch(url, init = {}, timeout = FETCH_MS) {
  const asked = `${init.method ?? 'GET'} ${url}`
  let answer
  try {
    answer = await fetch(url, { ...init, signal: AbortSignal.timeout(timeout) })
    const body = await answer.arrayBuffer()
    const { status, statusText, headers } = answer
    return new Response(BODILESS.has(status) ? null : body, { status, statusText, headers })
  } catch (error) {
    const seconds = timeout / 1000
    const reason =
      error?.name !== 'TimeoutError'
        ? String(error?.cause ?? error)
        : answer
          ? `answered ${answer.status}, then its body stopped: not whole in ${seconds} s`
          : `no answer in ${seconds} s`
    throw new Error(`the driver's ${asked}: ${reason}`)
  }
}
