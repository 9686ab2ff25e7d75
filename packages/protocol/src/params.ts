/**
 * Network parameters (SPEC §1, §2, §4). Every node of one network runs with the same values, so
 * they are plain data that nodes can exchange and compare.
 */
export interface NetworkParams {
  /** G: the number of nodes in a close group. */
  readonly groupSize: number
  /** Q: how many members of a group must agree; floor(G/2) + 1. */
  readonly quorum: number
  /** Mutations an account may do. */
  readonly accountAllowance: number
  /** The largest encoded message accepted on the wire. */
  readonly maxMessageSize: number
  readonly maxImmutableDataSize: number
  readonly maxMutableDataEntries: number
  /** Limit on a MutableData's serialised size ({@link mutableDataSize}). */
  readonly maxMutableDataSize: number
}

const KiB = 1024
const MiB = 1024 * KiB

export const MAX_IMMUTABLE_DATA_SIZE = MiB + 10 * KiB
export const MAX_MUTABLE_DATA_ENTRIES = 1000
export const MAX_MUTABLE_DATA_SIZE = MiB

/** The smallest group SPEC allows (a small test network). */
export const MIN_GROUP_SIZE = 3

export function quorumOf (groupSize: number): number {
  return Math.floor(groupSize / 2) + 1
}

export const DEFAULT_NETWORK_PARAMS: NetworkParams = Object.freeze({
  groupSize: 8,
  quorum: quorumOf(8),
  accountAllowance: 1000,
  // Room for the largest payloads (a whole MutableData or a chunk), the envelope and an error
  // listing every key of a big batch.
  maxMessageSize: 2 * MiB + 64 * KiB,
  maxImmutableDataSize: MAX_IMMUTABLE_DATA_SIZE,
  maxMutableDataEntries: MAX_MUTABLE_DATA_ENTRIES,
  maxMutableDataSize: MAX_MUTABLE_DATA_SIZE
})

/**
 * Network parameters with some defaults overridden. The quorum follows the group size unless given;
 * a given quorum must still be a strict majority, so two quorums of one group always share a member.
 * Throws RangeError (a configuration mistake, not a network refusal).
 */
export function networkParams (overrides: Partial<NetworkParams> = {}): NetworkParams {
  const groupSize = overrides.groupSize ?? DEFAULT_NETWORK_PARAMS.groupSize
  const params: NetworkParams = {
    ...DEFAULT_NETWORK_PARAMS,
    ...overrides,
    groupSize,
    quorum: overrides.quorum ?? quorumOf(groupSize)
  }
  for (const [field, value] of Object.entries(params)) {
    if (!Number.isSafeInteger(value) || (value as number) < 1) {
      throw new RangeError(`network parameter ${field} must be a positive integer, got ${String(value)}`)
    }
  }
  if (groupSize < MIN_GROUP_SIZE) {
    throw new RangeError(`group size must be at least ${MIN_GROUP_SIZE}, got ${groupSize}`)
  }
  if (params.quorum <= groupSize / 2 || params.quorum > groupSize) {
    throw new RangeError(`quorum must be a majority of the group (${quorumOf(groupSize)}..${groupSize}), got ${params.quorum}`)
  }
  return Object.freeze(params)
}
