/**
 * Accounts (SPEC §1, §4): the account's name, the record its Maid-Managers keep, and how a
 * successful mutation changes that record. Pure, so every Maid-Manager applies the same change and
 * the replicas of one account stay byte-identical.
 */
import { SafeMeshError } from './errors.js'
import { sha3_256 } from './hash.js'
import { bytesEqual, xorNameEquals, type XorName } from './xorname.js'
import type { AccountRecord, Mutation } from './messages/node-messages.js'
import type { RequestOf } from './messages/request.js'
import type { Charge } from './messages/forwarding.js'
import { TYPE_TAG_SESSION_PACKET } from './data/type-tags.js'

/** Account name = SHA3-256(owner's Ed25519 public key) (SPEC §1). */
export function accountNameOf (ownerKey: Uint8Array): XorName {
  return sha3_256(ownerKey)
}

/** A new account's record, as its opening (the session packet's PutMData) leaves it: one op done. */
export function openedAccount (owner: Uint8Array): AccountRecord {
  return { owner, mutationsDone: 1, authKeys: [], authKeysVersion: 0 }
}

/** Whether `mutation` opens an account: the PutMData of a session packet (tag 0). */
export function isAccountOpening (mutation: Mutation): mutation is RequestOf<'PutMData'> {
  return mutation.type === 'PutMData' && mutation.data.tag === TYPE_TAG_SESSION_PACKET
}

/**
 * The name whose close group executes a mutation: the data's name, or for an app key's
 * InsAuthKey / DelAuthKey the key's own account name, whose Maid-Managers bind the key to the
 * account that authorised it (docs/protocol.md).
 */
export function executorNameOf (mutation: Mutation): XorName {
  switch (mutation.type) {
    case 'PutMData': return mutation.data.name
    case 'InsAuthKey':
    case 'DelAuthKey': return accountNameOf(mutation.key)
    case 'TransferCredit': return mutation.to
    default: return mutation.name
  }
}

/** InsAuthKey / DelAuthKey on a record (SPEC §4): versioned, NoSuchKey for an absent key. */
export function changeAuthKeys (record: AccountRecord, request: Pick<RequestOf<'InsAuthKey'> | RequestOf<'DelAuthKey'>, 'type' | 'key' | 'version'>): AccountRecord {
  if (request.version !== record.authKeysVersion + 1) {
    throw new SafeMeshError('InvalidSuccessor', `the auth-key version is ${record.authKeysVersion}`, { current: record.authKeysVersion })
  }
  const present = record.authKeys.some(k => bytesEqual(k, request.key))
  if (request.type === 'InsAuthKey') {
    if (present) throw new SafeMeshError('InvalidOperation', 'that key is already authorised')
    if (bytesEqual(request.key, record.owner)) throw new SafeMeshError('InvalidOperation', 'the owner\'s key cannot be its own app')
    return { ...record, authKeys: [...record.authKeys, request.key], authKeysVersion: request.version }
  }
  if (!present) throw new SafeMeshError('NoSuchKey', 'that key is not authorised')
  return { ...record, authKeys: record.authKeys.filter(k => !bytesEqual(k, request.key)), authKeysVersion: request.version }
}

/**
 * The record after a mutation succeeded, from its {@link Charge}: one op charged and, for an
 * auth-key change, the keys changed; a transfer adds its amount to the credits sent instead of an
 * op. An account opening gives the new account's record.
 */
export function chargedRecord (record: AccountRecord | undefined, charge: Charge): AccountRecord {
  assertChargeShape(charge)
  if (record == null) {
    if (charge.opens == null) throw new SafeMeshError('NoSuchAccount', 'no such account')
    return openedAccount(charge.opens)
  }
  if (charge.type === 'TransferCredit') return withCredits(record, creditsReceived(record), creditsSent(record) + (charge.amount ?? 0))
  const changed = (charge.type === 'InsAuthKey' || charge.type === 'DelAuthKey') && charge.authKey != null
    ? changeAuthKeys(record, { type: charge.type, ...charge.authKey })
    : record
  return { ...changed, mutationsDone: changed.mutationsDone + 1 }
}

/**
 * The record kept under an app key's own account name once the key is authorised for `account`:
 * the key never opens an account of its own, and is bound to that one account for good.
 */
export function appKeyBinding (key: Uint8Array, account: XorName): AccountRecord {
  return { owner: key, mutationsDone: 0, authKeys: [], authKeysVersion: 0, appOf: account }
}

/** A charge's amount is there exactly when it charges a transfer, and a transfer moves at least one credit. */
export function assertChargeShape (charge: Pick<Charge, 'type' | 'amount'>): void {
  if (charge.type === 'TransferCredit' ? charge.amount == null || charge.amount < 1 : charge.amount != null) {
    throw new SafeMeshError('InvalidRequest', 'a charge carries an amount of at least 1 exactly when it charges a transfer')
  }
}

/**
 * A TransferCredit's own checks (after allowance and message id, as SPEC §4 orders them): only the
 * owner, acting itself, moves credit; at least one credit; never to the same account.
 */
export function assertTransfer (request: Pick<RequestOf<'TransferCredit'>, 'account' | 'requester' | 'to' | 'amount'>, owner: Uint8Array): void {
  if (!bytesEqual(request.requester, owner)) throw new SafeMeshError('AccessDenied', 'only the owner, acting itself, may transfer credit')
  if (request.amount < 1) throw new SafeMeshError('InvalidRequest', 'a transfer moves at least one credit')
  if (xorNameEquals(request.to, request.account)) throw new SafeMeshError('InvalidRequest', 'an account cannot transfer credit to itself')
}

/** What a mutation costs its account on success: one op, or for a transfer exactly its amount (no op fee). */
export function costOf (mutation: Mutation): number {
  return mutation.type === 'TransferCredit' ? mutation.amount : 1
}

export function creditsReceived (record: AccountRecord): number {
  return record.creditsReceived ?? 0
}

export function creditsSent (record: AccountRecord): number {
  return record.creditsSent ?? 0
}

/**
 * allowance + credits received − credits sent − mutations done. Transfers move it between accounts
 * and never change its sum over them; it goes below 0 only when a flood of concurrent mutations
 * overdrew it at the very end (docs/protocol.md, "Charging the group agrees on"): a debt later
 * credits pay first.
 */
export function accountBalance (record: AccountRecord, allowance: number): number {
  return allowance + creditsReceived(record) - creditsSent(record) - record.mutationsDone
}

/** What the account has to spend, in ops or credits: its balance, never below 0. */
export function availableCredit (record: AccountRecord, allowance: number): number {
  return Math.max(0, accountBalance(record, allowance))
}

/** The record with these credit sums, each field present only above 0, so replicas encode alike. */
export function withCredits (record: AccountRecord, received: number, sent: number): AccountRecord {
  const { creditsReceived: _received, creditsSent: _sent, ...rest } = record
  return { ...rest, ...(received > 0 ? { creditsReceived: received } : {}), ...(sent > 0 ? { creditsSent: sent } : {}) }
}

/** The recipient's record once it received `amount` credits. */
export function creditedRecord (record: AccountRecord, amount: number): AccountRecord {
  return withCredits(record, creditsReceived(record) + amount, creditsSent(record))
}

/**
 * How far an account's record has come: every op, credit sent and credit received adds to it, so a
 * member whose record lacks something has less (anti-entropy compares it).
 */
export function accountProgress (record: AccountRecord): number {
  return record.mutationsDone + creditsReceived(record) + creditsSent(record)
}
