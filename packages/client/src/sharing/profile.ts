/**
 * An account's profile (tag 1002): what others need to share with it, published where anyone can
 * find it from the account's ID (`profileName`). Owned by the account with no permissions, one
 * entry:
 *
 *     "profile" → encode({v: 1, sign, encrypt, signature})
 *
 * where `signature` is the signing key's over "safemesh/profile-signature/v1" ‖ sign ‖ encrypt. A
 * reader accepts it only when the MutableData is owned by exactly the ID it looked up and the
 * signature holds, so nobody but the account can say which encryption key is its own.
 */
import { sign, verify, type ClientKeys } from '@safemesh/crypto'
import {
  SafeMeshError, TYPE_TAG_PROFILE, bytes, bytesEqual, decodeWith, encodeWith, entryKeyId, isSafeMeshError, literal, newMutableData, object,
  publicKeySchema, type MutableData, type XorName
} from '@safemesh/protocol'
import type { RequestOptions } from '../requests/request-context.js'
import type { MDataAddress } from '../client.js'
import type { DirectoryRequests } from '../nfs/directory.js'
import { labelled, profileName } from './names.js'

export const PROFILE_ENTRY_KEY = new TextEncoder().encode('profile')
const SIGNATURE_LABEL = 'safemesh/profile-signature/v1'

/** An account's public keys, as its profile gives them. */
export interface Profile {
  /** The ID: the signing key. */
  sign: Uint8Array
  /** The X25519 key envelopes and inbox items are sealed to. */
  encrypt: Uint8Array
}

const profileSchema = object({ v: literal(1), sign: publicKeySchema, encrypt: publicKeySchema, signature: bytes({ length: 64 }) })

export function profileAddress (id: Uint8Array): MDataAddress {
  return { name: profileName(id), tag: TYPE_TAG_PROFILE }
}

/** The profile entry's content, signed by `keys`. */
export function encodeProfile (keys: ClientKeys): Uint8Array {
  const signature = sign(labelled(SIGNATURE_LABEL, keys.sign.publicKey, keys.encrypt.publicKey), keys.sign.secretKey)
  return encodeWith(profileSchema, { v: 1, sign: keys.sign.publicKey, encrypt: keys.encrypt.publicKey, signature })
}

/** The profile MutableData of `keys`' account. */
export function newProfile (keys: ClientKeys): MutableData {
  return newMutableData({
    name: profileName(keys.sign.publicKey),
    tag: TYPE_TAG_PROFILE,
    owners: [keys.sign.publicKey],
    entries: [{ key: PROFILE_ENTRY_KEY, content: encodeProfile(keys) }]
  })
}

/** The keys of `id` from its profile MutableData; `InvalidRequest` when it is not that account's own, signed profile. */
export function verifyProfile (md: MutableData, id: Uint8Array): Profile {
  const bad = (why: string): SafeMeshError => new SafeMeshError('InvalidRequest', `the profile of ${Buffer.from(id).toString('hex')} is not valid: ${why}`)
  if (md.tag !== TYPE_TAG_PROFILE || !bytesEqual(md.name, profileName(id))) throw bad('it is not at its name')
  if (md.owners.length !== 1 || !bytesEqual(md.owners[0] as Uint8Array, id)) throw bad('it is not owned by the account')
  const entry = md.entries.get(entryKeyId(PROFILE_ENTRY_KEY))
  if (entry === undefined || entry.content.length === 0) throw bad('it has no profile entry')
  let profile
  try {
    profile = decodeWith(profileSchema, entry.content)
  } catch {
    throw bad('its entry does not decode')
  }
  if (!bytesEqual(profile.sign, id)) throw bad('it names another key')
  if (!verify(profile.signature, labelled(SIGNATURE_LABEL, profile.sign, profile.encrypt), id)) throw bad('its signature does not hold')
  return { sign: profile.sign, encrypt: profile.encrypt }
}

/** Reads and verifies the profile of `id`: `NoSuchData` when the account has published none. */
export async function readProfile (requests: Pick<DirectoryRequests, 'getMData'>, id: Uint8Array, options: RequestOptions = {}): Promise<Profile> {
  let md: MutableData
  try {
    md = await requests.getMData(profileAddress(id), options)
  } catch (err) {
    if (isSafeMeshError(err) && err.code === 'NoSuchData') {
      throw new SafeMeshError('NoSuchData', `${Buffer.from(id).toString('hex')} has no profile: not an account, or one that has not run \`safemesh id\` yet`)
    }
    throw err
  }
  return verifyProfile(md, id)
}

/** Publishes the profile unless it is there already (a valid one: anything else at its name is refused). */
export async function ensureProfile (requests: Pick<DirectoryRequests, 'getMData' | 'putMData'>, keys: ClientKeys, options: RequestOptions = {}): Promise<XorName> {
  const md = newProfile(keys)
  await ensureData(requests, md, (found) => { verifyProfile(found, keys.sign.publicKey) }, options)
  return md.name
}

/**
 * Stores `md` unless it exists; what exists must pass `check` (which throws when it is not ours:
 * someone took the name first). Read first: a refused PutMData costs the network more than a read.
 */
export async function ensureData (requests: Pick<DirectoryRequests, 'getMData' | 'putMData'>, md: MutableData, check: (found: MutableData) => void, options: RequestOptions): Promise<void> {
  const address = { name: md.name, tag: md.tag }
  try {
    check(await requests.getMData(address, options))
    return
  } catch (err) {
    if (!(isSafeMeshError(err) && err.code === 'NoSuchData')) throw err
  }
  try {
    await requests.putMData(md, options)
  } catch (err) {
    if (!(isSafeMeshError(err) && err.code === 'DataExists')) throw err
    check(await requests.getMData(address, options))
  }
}
