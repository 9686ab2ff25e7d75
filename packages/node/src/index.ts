/**
 * A SafeMesh network node: one libp2p peer that acts as Maid-Manager for the accounts and
 * Data-Manager for the data whose close group it is in, stores in LevelDB, and serves `/metrics`,
 * `/status` and `/close-group` on loopback. The `safemesh-node` binary runs one; a program can
 * embed one with `SafeMeshNode.start`.
 *
 * @example
 * ```ts
 * import { SafeMeshNode, createLogger } from '@safemesh/node'
 * import { networkParams } from '@safemesh/protocol'
 *
 * const node = await SafeMeshNode.start({
 *   dataDir: './node-data',
 *   listen: ['/ip4/127.0.0.1/tcp/0'],
 *   bootstrap: [],
 *   params: networkParams({}),
 *   log: createLogger('info')
 * })
 * await node.stop()
 * ```
 *
 * @packageDocumentation
 */
export { SafeMeshNode, NODE_INFO_FILE, type NodeConfig, type NodeStatus } from './node.js'
export { createLogger, LOG_LEVELS, type Logger } from './observability/logger.js'
