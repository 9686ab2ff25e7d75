/** `/api/account`: the logged-in account's mutations and its apps, for the page's account panel. */
import { sendJson } from '../http.js'
import type { Router } from '../router.js'
import type { GatewayState } from '../state.js'

export function registerAccountRoutes (router: Router, state: GatewayState): void {
  router.add('GET', '/api/account', async (ctx) => {
    const session = ctx.session()
    const owner = ctx.owner()
    const signal = AbortSignal.any([state.closing, AbortSignal.timeout(60_000)])
    const [info, apps] = await Promise.all([owner.getAccountInfo({ signal }), owner.listApps({ signal })])
    sendJson(ctx.res, 200, {
      account: session?.account,
      mutationsDone: info.mutationsDone,
      mutationsAvailable: info.mutationsAvailable,
      creditsReceived: info.creditsReceived,
      creditsSent: info.creditsSent,
      apps: apps.map(a => ({ app: a.app, key: a.key, authorised: a.authorised, containers: a.containers.map(c => ({ name: c.name, access: [...c.access] })) }))
    })
  }, { session: true })
}
