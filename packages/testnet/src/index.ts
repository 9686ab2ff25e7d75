/**
 * Local SafeMesh testnets: separate `safemesh-node` processes on loopback, each with its own data
 * directory and log, and the `network.json` a client joins with. Private to this repository: the
 * tests, benches, the soak and `npm start` drive it; a program embedding a node uses `@safemesh/node`.
 *
 * @example
 * ```ts
 * import { Testnet } from '@safemesh/testnet'
 *
 * const testnet = new Testnet({ dir: '/tmp/net', groupSize: 8 })
 * await testnet.up(12)
 * console.log(testnet.networkFile)
 * await testnet.down()
 * ```
 *
 * @packageDocumentation
 */
export { Testnet, NODE_BIN, isAlive, type TestnetOptions, type NodeRecord, type NodeView } from './testnet.js'
export { cpuSecondsOfNodes } from './process-stats.js'
