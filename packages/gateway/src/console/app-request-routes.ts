/**
 * App approval (issue 16). An app process posts its request (no session: it has no account) and
 * long-polls for the answer with the request's secret; the owner, logged in on the page, lists the
 * pending requests and approves (the gateway runs `authoriseApp` as the owner) or denies them. The
 * credentials go to the app's poll only, never to the page. Every POST/DELETE here passes the
 * gateway's same-origin guard, so no other site's page can create, approve or deny a request.
 */
import { checkAppRequest } from '@safemesh/client'
import { HttpError, sendJson } from '../http.js'
import type { RequestContext, Router } from '../router.js'
import type { GatewayState } from '../state.js'
import { AppRequests } from './app-requests.js'

/** One poll waits at most this long: below the usual proxy and client idle limits. */
const MAX_WAIT_S = 25
/** Authorising costs several network writes: generous, but not forever. */
const APPROVE_TIMEOUT_MS = 120_000

export function registerAppRequestRoutes (router: Router, state: GatewayState, requests = new AppRequests()): void {
  router.add('POST', '/api/app-requests', async (ctx) => {
    const request = checkAppRequest(await ctx.body())
    const ticket = requests.add(request, state.consoleOrigin)
    state.log.info({ app: request.app, id: ticket.id }, 'app request')
    sendJson(ctx.res, 201, ticket)
  })

  router.add('GET', '/api/app-requests', async (ctx) => {
    sendJson(ctx.res, 200, { requests: requests.pending() })
  }, { session: true })

  router.add('GET', '/api/app-requests/:id', async (ctx) => {
    // Collecting hands the answer out once: not to a request that gets no body.
    if (ctx.req.method !== 'GET') throw new HttpError(405, 'InvalidRequest', 'poll with GET')
    const id = ctx.params['id'] ?? ''
    const secret = ctx.url.searchParams.get('secret') ?? ''
    const wait = Number(ctx.url.searchParams.get('wait') ?? MAX_WAIT_S)
    if (!Number.isFinite(wait) || wait < 0) throw new HttpError(400, 'InvalidRequest', 'wait is a number of seconds')
    const answer = await requests.wait(id, secret, Math.min(wait, MAX_WAIT_S) * 1000, AbortSignal.any([state.closing, whileOpen(ctx)]))
    if (answer.status !== 'pending') state.log.info({ id, status: answer.status }, 'app request answer collected')
    sendJson(ctx.res, 200, answer)
  })

  router.add('DELETE', '/api/app-requests/:id', async (ctx) => {
    const { secret } = (await ctx.body() ?? {}) as { secret?: unknown }
    requests.withdraw(ctx.params['id'] ?? '', typeof secret === 'string' ? secret : '')
    sendJson(ctx.res, 200, { withdrawn: true })
  })

  router.add('POST', '/api/app-requests/:id/approve', async (ctx) => {
    const id = ctx.params['id'] ?? ''
    const owner = ctx.owner()
    const request = requests.beginApproval(id)
    let result
    try {
      result = await owner.authoriseApp(request.app, {
        containers: request.containers,
        ownContainer: request.ownContainer,
        signal: AbortSignal.any([state.closing, AbortSignal.timeout(APPROVE_TIMEOUT_MS)])
      })
    } catch (err) {
      requests.abandonApproval(id)
      throw err
    }
    requests.approve(id, result)
    state.log.info({ app: result.app, key: result.key, account: ctx.session()?.account }, 'app approved on the page')
    // The page learns what was granted, not the credentials: those are the app's alone.
    sendJson(ctx.res, 200, { id, status: 'approved', app: result.app, key: result.key, containers: result.containers })
  }, { session: true })

  router.add('POST', '/api/app-requests/:id/deny', async (ctx) => {
    const id = ctx.params['id'] ?? ''
    requests.deny(id)
    state.log.info({ id }, 'app request denied on the page')
    sendJson(ctx.res, 200, { id, status: 'denied' })
  }, { session: true })
}

/** Aborts when the client goes away before its answer is written: a long poll nobody waits for ends. */
function whileOpen (ctx: RequestContext): AbortSignal {
  const controller = new AbortController()
  ctx.res.once('close', () => { if (!ctx.res.writableFinished) controller.abort(new Error('the client went away')) })
  return controller.signal
}
