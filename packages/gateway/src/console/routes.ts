/**
 * The console (issue 16): the page, the testnet's nodes and close groups, the logged-in account,
 * and app approval. All on the console origin only (origins.ts); login is session-routes.ts.
 */
import type { Router } from '../router.js'
import type { GatewayState } from '../state.js'
import { registerAccountRoutes } from './account-routes.js'
import { registerAppRequestRoutes } from './app-request-routes.js'
import { registerNodeRoutes } from './node-routes.js'
import { registerStaticRoutes } from './static.js'

export function registerConsoleRoutes (router: Router, state: GatewayState): void {
  registerStaticRoutes(router)
  registerNodeRoutes(router, state)
  registerAccountRoutes(router, state)
  registerAppRequestRoutes(router, state)
}
