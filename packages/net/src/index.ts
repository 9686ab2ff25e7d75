/**
 * Networking that SafeMesh nodes and clients share: the libp2p host (TCP + Noise + Yamux, a
 * Kademlia DHT under SafeMesh's protocol id), request/response messaging over long-lived streams,
 * the routing view that tracks which peers are nodes and who is closest to a name, and the
 * `network.json` file that tells a client where a network is.
 *
 * @example
 * ```ts
 * import { createHost, loadNetworkFile, Messenger, MESSAGING_PROTOCOL } from '@safemesh/net'
 * import { pino } from 'pino'
 *
 * const network = await loadNetworkFile('.testnet/network.json')
 * const host = await createHost({ role: 'client', bootstrap: network.bootstrap })
 * const messenger = new Messenger(host, { protocol: MESSAGING_PROTOCOL, maxMessageSize: 1 << 20, log: pino() })
 * await messenger.start()
 * ```
 *
 * @packageDocumentation
 */
export { createHost, KAD_PROTOCOL, MESSAGING_PROTOCOL, PING_INTERVAL, PING_TIMEOUT, type Host, type HostOptions, type HostRole, type HostServices } from './host.js'
export { Messenger, type MessengerOptions, type RequestContext, type RequestHandler, type SendOptions } from './messaging/messenger.js'
export { Slots } from './messaging/slots.js'
export { DEFAULT_SENDER_LIMITS, type SenderLimits } from './messaging/sender-quotas.js'
export { RoutingView, type MembershipChange, type RoutingViewEvents, type RoutingViewOptions } from './routing/routing-view.js'
export { loadNetworkFile, parseNetworkFile, paramsOf, NetworkFileError, type NetworkFile } from './network-file.js'
export { askForQuorum, askUntil } from './messaging/group-ask.js'
