/** The rest routes (being written: issue 16). */
import type { Router } from '../router.js'
import type { GatewayState } from '../state.js'

export function registerRestRoutes (_router: Router, _state: GatewayState): void {}
