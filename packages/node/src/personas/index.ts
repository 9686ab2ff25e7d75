import { DataManager } from './data-manager/data-manager.js'
import { MaidManager } from './maid-manager/maid-manager.js'
import { Replicator } from './replicator.js'
import { AntiEntropy } from './anti-entropy.js'
import type { PersonaContext } from './context.js'
import type { Dispatcher } from '../dispatcher.js'

export interface Personas {
  maidManager: MaidManager
  dataManager: DataManager
  replicator: Replicator
  antiEntropy: AntiEntropy
  stop: () => void
}

/** Creates the node's personas on one shared context and wires them to the dispatcher. */
export function registerPersonas (context: PersonaContext, dispatcher: Dispatcher): Personas {
  const maidManager = new MaidManager(context)
  const dataManager = new DataManager(context, {
    bindAppKey: async (change) => await maidManager.bindAppKey(change),
    receiveCredit: async (transfer) => await maidManager.receiveCredit(transfer)
  })
  const replicator = new Replicator(context, {
    replicas: dataManager.replicas,
    accounts: maidManager.accounts,
    replicaHandOver: dataManager.handOver,
    accountHandOver: maidManager.handOver
  })
  const antiEntropy = new AntiEntropy(context, dataManager.replicas, maidManager.accounts)
  maidManager.register(dispatcher)
  antiEntropy.register(dispatcher)
  dataManager.register(dispatcher)
  replicator.register(dispatcher)
  return {
    maidManager,
    dataManager,
    replicator,
    antiEntropy,
    stop: () => {
      antiEntropy.stop()
      replicator.stop()
      dataManager.stop()
      maidManager.stop()
    }
  }
}

export type { PersonaContext } from './context.js'
