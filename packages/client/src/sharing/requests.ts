/** The client requests sharing needs (a SafeMeshClient). */
import type { MutableDataEntry, ReceivedCredit, XorName } from '@safemesh/protocol'
import type { DirectoryRequests } from '../nfs/directory.js'
import type { RequestOptions } from '../requests/request-context.js'
import type { MDataAddress } from '../client.js'

/** What the Data-Managers of a read-gated MutableData answer `GetShareEnvelope` with. */
export interface ShareEnvelopeReply {
  /** The gate entry's content. */
  gate: Uint8Array
  /** The requester's own envelope (absent when it has none, or a tombstone). */
  envelope?: Uint8Array
}

export interface SharingRequests extends DirectoryRequests {
  listMDataEntries (md: MDataAddress, options?: RequestOptions): Promise<MutableDataEntry[]>
  getShareEnvelope (name: XorName, tag: number, payment?: Uint8Array, options?: RequestOptions): Promise<ShareEnvelopeReply>
}

/** What a reader of a paid share needs: paying the sharer (Part B's credit transfer). */
export interface PayingRequests {
  transferCredit (to: XorName, amount: number, options?: RequestOptions & { memo?: XorName, messageId?: Uint8Array }): Promise<{ messageId: Uint8Array }>
}

export interface CreditRequests {
  listCredits (options?: RequestOptions): Promise<ReceivedCredit[]>
}
