/** `/api/nodes` (the testnet's nodes, for the page's live table) and `/api/close-group/:name`. */
import { HttpError, sendJson } from '../http.js'
import type { Router } from '../router.js'
import type { GatewayState } from '../state.js'
import { nameTarget } from './name-target.js'
import { NodeMonitor } from './node-monitor.js'

/** A typed name longer than this is not a name anyone means. */
const MAX_NAME_TEXT = 1024

export function registerNodeRoutes (router: Router, state: GatewayState): void {
  const monitor = new NodeMonitor(state.testnetDir)

  router.add('GET', '/api/nodes', async (ctx) => {
    sendJson(ctx.res, 200, await monitor.snapshot())
  })

  router.add('GET', '/api/close-group/:name', async (ctx) => {
    const text = ctx.params['name'] ?? ''
    if (text.length === 0 || text.length > MAX_NAME_TEXT) throw new HttpError(400, 'InvalidRequest', `a name is 1 to ${MAX_NAME_TEXT} characters`)
    const target = nameTarget(text)
    const answer = await monitor.closeGroup(target.hex)
    sendJson(ctx.res, 200, { name: text, ...target, ...answer })
  })
}
