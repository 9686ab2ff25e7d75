/**
 * @safemesh/gateway — safe:// sites over HTTP, the testnet's page with app approvals, and seed
 * 002's sharing REST API, on one loopback server (`safemesh gateway`).
 *
 * @packageDocumentation
 */
export { startGateway, type Gateway, type GatewayOptions } from './gateway.js'
