/**
 * Valid messages of every type of the node protocol, with random contents, and the ways the
 * fuzzer damages them: at the value level (a field dropped, replaced, grown or nested; re-encoded
 * canonically, so it passes the codec and reaches the schema or the handler) and at the byte level
 * (flips, cuts, splices, which mostly stop at the scan or the codec).
 */
import { randomBytes, randomInt } from 'node:crypto'
import {
  chargeOf, decode, encode, encodeMessage, forwardOf, newMutableData, type CodecValue, type Mutation, type WireMessage, type XorName
} from '@safemesh/protocol'

type MessageType = WireMessage['type']

const bytes = (n: number): Uint8Array => new Uint8Array(randomBytes(n))
const name = (): XorName => bytes(32)
const key = (): Uint8Array => bytes(32)
const pick = <T>(items: readonly T[]): T => items[randomInt(items.length)] as T
const small = (): number => pick([0, 1, 2, 3, 1000, 2 ** 32, Number.MAX_SAFE_INTEGER])
const tag = (): number => pick([0, 15000, 20000, 1000, 2 ** 53 - 1])

/** Random valid messages of one type, given the keys the fuzzer may use as itself (`self`) and as known accounts. */
export interface CorpusKeys {
  /** The fuzzer's own public key: as requester and owner it passes the first checks. */
  readonly self: Uint8Array
  /** Its account name. */
  readonly account: XorName
}

function mutableData (keys: CorpusKeys): ReturnType<typeof newMutableData> {
  const entries = Array.from({ length: randomInt(4) }, (_, i) => ({ key: new Uint8Array([i, ...bytes(randomInt(8))]), content: bytes(randomInt(64)) }))
  return newMutableData({ name: name(), tag: tag(), owners: [pick([keys.self, key()])], entries })
}

function mutation (keys: CorpusKeys): Mutation {
  const base = { account: pick([keys.account, name()]), requester: pick([keys.self, key()]), messageId: bytes(32) }
  const md = { name: name(), tag: tag() }
  switch (randomInt(9)) {
    case 0: return { type: 'PutIData', ...base, name: name(), size: small() }
    case 1: return { type: 'PutMData', ...base, data: mutableData(keys) }
    case 2: return { type: 'MutateMDataEntries', ...base, ...md, actions: [{ key: bytes(4), action: pick([{ kind: 'Insert' as const, content: bytes(8) }, { kind: 'Delete' as const, version: small() }]) }] }
    case 3: return { type: 'SetMDataUserPermissions', ...base, ...md, user: { kind: 'Key', key: key() }, permissions: { Insert: true }, version: small() }
    case 4: return { type: 'DelMDataUserPermissions', ...base, ...md, user: { kind: 'Anyone' }, version: small() }
    case 5: return { type: 'ChangeMDataOwner', ...base, ...md, newOwners: [key()], version: small() }
    case 6: return { type: 'InsAuthKey', ...base, key: key(), version: small() }
    case 7: return { type: 'DelAuthKey', ...base, key: key(), version: small() }
    default: return { type: 'TransferCredit', ...base, to: name(), amount: small(), ...(randomInt(2) === 0 ? { memo: name() } : {}) }
  }
}

const proposal = (): { requestId: Uint8Array, signature: Uint8Array } => ({ requestId: bytes(32), signature: bytes(64) })

/** One valid message of `type`. */
function validMessage (type: MessageType, keys: CorpusKeys): WireMessage {
  const md = { name: name(), tag: tag() }
  const toAccount = { account: pick([keys.account, name()]), requester: pick([keys.self, key()]) }
  switch (type) {
    case 'GetIData': return { type, name: name() }
    case 'GetMData': case 'GetMDataShell': case 'GetMDataVersion': case 'ListMDataEntries': case 'ListMDataKeys':
    case 'ListMDataValues': case 'ListMDataPermissions':
      return { type, ...md }
    case 'GetMDataValue': return { type, ...md, key: bytes(randomInt(16)) }
    case 'ListMDataUserPermissions': return { type, ...md, user: { kind: 'Key', key: key() } }
    case 'GetShareEnvelope': return { type, ...md, ...(randomInt(2) === 0 ? { payment: bytes(32) } : {}) }
    case 'GetAccountInfo': case 'ListAuthKeysAndVersion': case 'ListCredits': return { type, ...toAccount }
    case 'PutIData': case 'PutMData': case 'MutateMDataEntries': case 'SetMDataUserPermissions': case 'DelMDataUserPermissions':
    case 'ChangeMDataOwner': case 'InsAuthKey': case 'DelAuthKey': case 'TransferCredit': {
      let m = mutation(keys)
      while (m.type !== type) m = mutation(keys)
      return m
    }
    case 'OfferChunk': case 'PushChunk': return { type, value: bytes(randomInt(4096)) }
    case 'Forward': {
      const forward = forwardOf(mutation(keys), keys.self)
      return { type, ...forward, ...(randomInt(2) === 0 ? { digest: bytes(32) } : {}) }
    }
    case 'GetForwarded': return { type, digest: bytes(32) }
    case 'Commit': return { type, ...md, requestId: bytes(32), seq: small(), round: small(), sequencer: key(), signature: bytes(64), digest: bytes(32), vote: bytes(64) }
    case 'Propose': return { type, ...md, requestId: bytes(32), seq: small(), round: small(), sequencer: pick([keys.self, key()]), signature: bytes(64) }
    case 'Prepare': return { type, ...md, seq: small(), round: small() }
    case 'GetReplica': case 'GetReplicaDigest': return { type, ...md }
    case 'PushMData': return { type, data: mutableData(keys), seq: small(), certificate: { seq: small(), round: small(), sequencer: key(), requestId: bytes(32), digest: bytes(32), votes: [{ voter: key(), signature: bytes(64) }] } }
    case 'PushAccount': return { type, account: name(), record: { owner: key(), mutationsDone: small(), authKeys: [key()], authKeysVersion: small() } }
    case 'GetAccount': return { type, account: pick([keys.account, name()]) }
    case 'Suspect': return { type, ...md, sequencer: key() }
    case 'Applied': return { type, charge: chargeOf(mutation(keys), bytes(32)) }
    case 'Holdings': return { type, chunks: [name()], mdata: [{ ...md, seq: small() }], accounts: [{ account: name(), mutationsDone: small() }] }
    case 'Equivocation': return { type, ...md, seq: small(), round: small(), sequencer: key(), first: proposal(), second: proposal() }
    case 'GetPayment': return { type, payee: name(), payer: name(), messageId: bytes(32) }
  }
}

const ODD_VALUES: readonly CodecValue[] = [null, true, false, 0, -1, Number.MAX_SAFE_INTEGER, '', 'x'.repeat(300), new Uint8Array(0), new Uint8Array(33), [], {}, [[[[]]]], { type: 'GetIData' }]

/** A copy of `value` with one random node of its tree changed: dropped, replaced, grown or wrapped. */
function damageValue (value: CodecValue, depth = 0): CodecValue {
  if (Array.isArray(value) && value.length > 0 && randomInt(3) > 0) {
    const copy = [...(value as CodecValue[])]
    const at = randomInt(copy.length)
    switch (randomInt(4)) {
      case 0: copy.splice(at, 1); break
      case 1: copy.push(...Array.from({ length: randomInt(1, 64) }, () => copy[at] as CodecValue)); break
      default: copy[at] = damageValue(copy[at] as CodecValue, depth + 1)
    }
    return copy
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array) && !Array.isArray(value) && depth < 8) {
    const fields = Object.keys(value)
    const copy: Record<string, CodecValue> = { ...(value as Record<string, CodecValue>) }
    const field = pick(fields)
    switch (randomInt(5)) {
      case 0: delete copy[field]; break
      case 1: copy[`extra${randomInt(3)}`] = pick(ODD_VALUES); break
      case 2: copy[field] = pick(ODD_VALUES); break
      default: copy[field] = damageValue(copy[field] as CodecValue, depth + 1)
    }
    return copy
  }
  if (value instanceof Uint8Array) return pick([value.subarray(0, randomInt(value.length + 1)), bytes(value.length + randomInt(1, 40)), new Uint8Array(value.length)])
  if (typeof value === 'number') return pick([value + 1, Math.max(0, value - 1), 0, Number.MAX_SAFE_INTEGER, -value - 1])
  return pick(ODD_VALUES)
}

function damageBytes (input: Uint8Array): Uint8Array {
  const out = new Uint8Array(input)
  switch (randomInt(4)) {
    case 0: for (let i = 0; i < 1 + randomInt(4); i++) { const at = randomInt(out.length); out[at] = (out[at] as number) ^ (1 << randomInt(8)) } return out
    case 1: return out.subarray(0, randomInt(out.length))
    case 2: { const at = randomInt(out.length); return new Uint8Array([...out.subarray(0, at), ...bytes(randomInt(1, 16)), ...out.subarray(at)]) }
    default: { const at = randomInt(out.length); return new Uint8Array([...out.subarray(0, at), ...out.subarray(at + randomInt(1, 8))]) }
  }
}

export type Damage = 'none' | 'value' | 'bytes'

/** The bytes of one message of `type`: valid, damaged as a value (still canonical CBOR), or damaged as bytes. */
export function fuzzFrame (type: MessageType, keys: CorpusKeys, damage: Damage): Uint8Array {
  const valid = encodeMessage(validMessage(type, keys))
  if (damage === 'none') return valid
  if (damage === 'bytes') return damageBytes(valid)
  try {
    return encode(damageValue(decode(valid)))
  } catch {
    // A damaged value the codec cannot hold (a lone surrogate, say): the valid one instead.
    return valid
  }
}
