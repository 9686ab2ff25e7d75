import { SafeMeshError } from '@safemesh/protocol'
import type { Dispatcher } from '../dispatcher.js'
import type { SafeMeshNode } from '../node.js'

/**
 * Wires the node's personas to the dispatcher. Reads of ImmutableData are
 * answered from the local store; the Maid-Manager and Data-Manager personas
 * hang their requests here too.
 */
export function registerPersonas (node: SafeMeshNode, dispatcher: Dispatcher): void {
  dispatcher.on('GetIData', async (request) => {
    const value = await node.store.getChunk(request.name)
    if (value == null) throw new SafeMeshError('NoSuchData', 'no ImmutableData of that name here')
    return { type: 'GetIData', value }
  })
}
