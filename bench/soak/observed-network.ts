/**
 * The client library's network seam (`Transport`, packages/client/src/network/transport.ts),
 * wrapped so that the soak sees what the library does not report: the message id of every
 * mutation and what each Maid-Manager answered to it (`MutationLedger`), and which chunks an
 * operation offered (a file's chunk names, with no need to decode its data map).
 *
 * Everything passes through unchanged; the wrapper only watches.
 */
import type { SigningKeyPair } from '@safemesh/crypto'
import type { Network } from '@safemesh/client'
import type { ConnectTransportOptions, NodeRef, SendOptions, Transport } from '@safemesh/client'
import {
  MUTATION_REQUEST_TYPES, decodeMessage, decodeReply, immutableDataName, xorNameToHex,
  type Mutation, type NetworkParams, type WireMessage, type XorName
} from '@safemesh/protocol'
import { answerOf, type MutationLedger } from './mutation-ledger.js'

/** What one client operation (a putFile, a createMData…) sent. */
export class OperationScope {
  /** Names of the chunks offered to Data-Managers (hex). */
  readonly offered = new Set<string>()
  /** Message ids of the mutations sent (hex). */
  readonly messageIds = new Set<string>()
}

const MUTATIONS: ReadonlySet<string> = new Set(MUTATION_REQUEST_TYPES)

/** A Network whose transports are observed; one per client. */
export class ObservedNetwork implements Network {
  private readonly inner: Network
  private readonly ledger: MutationLedger
  /** Every transport this network gave, the latest last. */
  readonly transports: ObservedTransport[] = []

  constructor (inner: Network, ledger: MutationLedger) {
    this.inner = inner
    this.ledger = ledger
  }

  async connect (identity: SigningKeyPair | undefined, options?: ConnectTransportOptions): Promise<Transport> {
    const transport = new ObservedTransport(await this.inner.connect(identity, options), this.ledger)
    this.transports.push(transport)
    return transport
  }
}

export class ObservedTransport implements Transport {
  private readonly inner: Transport
  private readonly ledger: MutationLedger
  /** Request bodies are encoded once and sent to every member: decoded once too. */
  private readonly decoded = new WeakMap<Uint8Array, Observed>()
  /** Where what is sent is also recorded, while one operation runs. */
  scope?: OperationScope
  readonly refresh?: () => Promise<void>

  constructor (inner: Transport, ledger: MutationLedger) {
    this.inner = inner
    this.ledger = ledger
    if (inner.refresh != null) this.refresh = async () => { await inner.refresh?.() }
  }

  get params (): NetworkParams {
    return this.inner.params
  }

  get publicKey (): Uint8Array {
    return this.inner.publicKey
  }

  closeGroup (name: XorName): NodeRef[] {
    return this.inner.closeGroup(name)
  }

  async send (node: NodeRef, body: Uint8Array, options?: SendOptions): Promise<Uint8Array> {
    const observed = this.observe(body)
    if (observed.offered !== undefined) this.scope?.offered.add(observed.offered)
    const mutation = observed.mutation
    if (mutation === undefined) return await this.inner.send(node, body, options)
    const record = this.ledger.sent(mutation)
    this.scope?.messageIds.add(record.messageId)
    let reply: Uint8Array
    try {
      reply = await this.inner.send(node, body, options)
    } catch (error) {
      this.ledger.answered(record, node.id, answerOf({ error }))
      throw error
    }
    let success = false
    try {
      success = decodeReply(reply).type === mutation.type
    } catch {}
    this.ledger.answered(record, node.id, answerOf({ reply: success }))
    return reply
  }

  async close (): Promise<void> {
    await this.inner.close()
  }

  private observe (body: Uint8Array): Observed {
    let observed = this.decoded.get(body)
    if (observed === undefined) {
      observed = classify(body)
      this.decoded.set(body, observed)
    }
    return observed
  }
}

interface Observed {
  mutation?: Mutation
  /** The name of an offered chunk (hex). */
  offered?: string
}

function classify (body: Uint8Array): Observed {
  let message: WireMessage
  try {
    message = decodeMessage(body)
  } catch {
    return {}
  }
  if (message.type === 'OfferChunk') return { offered: xorNameToHex(immutableDataName(message.value)) }
  if (MUTATIONS.has(message.type)) return { mutation: message as Mutation }
  return {}
}
