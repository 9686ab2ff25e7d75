/**
 * Seed 002's sharing REST API, on the console origin, for the account logged in through
 * `POST /api/session` (cookie or `Authorization: Bearer`): every call needs the session, and the
 * POST passes the console's same-origin guard. Each call runs what the CLI's share commands run.
 * Documented by openapi.json (served at `/openapi.json`).
 */
import type { Router } from '../router.js'
import type { GatewayState } from '../state.js'
import { listData } from './list-data.js'
import { serveOpenApi } from './openapi.js'
import { readData } from './read-data.js'
import { shareData } from './share-data.js'
import { verifyData } from './verify-data.js'

export function registerRestRoutes (router: Router, _state: GatewayState): void {
  router.add('POST', '/share_data', shareData, { session: true })
  // Before /data/:hash, which "list" would otherwise match.
  router.add('GET', '/data/list', listData, { session: true })
  router.add('GET', '/data/:hash', readData, { session: true })
  router.add('GET', '/verify_data/:hash', verifyData, { session: true })
  router.add('GET', '/openapi.json', serveOpenApi)
}
