/**
 * `/api/session`: log in (POST {secret, password}), who is logged in (GET), log out (DELETE).
 * Logins run one at a time: each costs an Argon2id derivation of 256 MiB.
 */
import { HttpError, sendJson } from './http.js'
import type { Router } from './router.js'
import { sessionCookie } from './session.js'
import type { GatewayState } from './state.js'

export function registerSessionRoutes (router: Router, state: GatewayState): void {
  let queue: Promise<unknown> = Promise.resolve()

  router.add('POST', '/api/session', async (ctx) => {
    const body = await ctx.body()
    const { secret, password, bearer } = (body ?? {}) as { secret?: unknown, password?: unknown, bearer?: unknown }
    if (typeof secret !== 'string' || typeof password !== 'string' || secret === '' || password === '') {
      throw new HttpError(400, 'InvalidRequest', 'give {"secret": …, "password": …}')
    }
    const turn = queue.then(async () => await state.sessions.login(secret, password, AbortSignal.any([state.closing, AbortSignal.timeout(120_000)])))
    queue = turn.catch(() => {})
    const session = await turn
    state.log.info({ account: session.account }, 'console login')
    // The token goes in the body only when a program asks for it (the page keeps the cookie alone).
    sendJson(ctx.res, 200, { account: session.account, ...(bearer === true ? { token: session.token } : {}) }, { 'set-cookie': sessionCookie(session.token) })
  })

  router.add('GET', '/api/session', async (ctx) => {
    const session = ctx.session()
    if (session === undefined) throw new HttpError(401, 'AccessDenied', 'not logged in')
    sendJson(ctx.res, 200, { account: session.account, since: new Date(session.createdAt).toISOString() })
  })

  router.add('DELETE', '/api/session', async (ctx) => {
    const session = ctx.session()
    if (session !== undefined) await state.sessions.logout(session)
    sendJson(ctx.res, 200, { loggedOut: session !== undefined }, { 'set-cookie': sessionCookie('') })
  })
}
