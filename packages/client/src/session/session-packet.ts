/**
 * Accounts and login (SPEC §8, docs/protocol.md "Login").
 *
 * - master = Argon2id(input = label ‖ len ‖ NFC(secret) ‖ len ‖ NFC(password), salt from the
 *   network's salt): ONE memory-hard derivation over both, so neither can be confirmed or guessed alone.
 * - location = SHA3-256(label_location ‖ master): where the session packet lives (a MutableData of
 *   tag 0); key = SHA3-256(label_key ‖ master): what the `Login` entry is encrypted with.
 * - The packet is owned by the account's signing key and holds `Login` = encryptSymmetric(
 *   encode({v: 1, keys: encodeClientKeys(keys), root}), key): the account's client keys and the
 *   name of its root container (SPEC §9: `auth/containers.ts`).
 *   It may also hold `Apps`, the app registry (`app-registry.ts`).
 *
 * A wrong secret and a wrong password both point at a location with no packet, so both give
 * `InvalidCredentials` with the same message: a login attempt tells nobody which one was wrong.
 */
import { decryptSymmetric, decodeClientKeys, deriveKey, encodeClientKeys, encryptSymmetric, sha3_256, type ClientKeys, type DeriveKeyOptions } from '@safemesh/crypto'
import {
  SafeMeshError, TYPE_TAG_SESSION_PACKET, bytes, concatBytes, decodeWith, encodeWith, literal, newMutableData, object, xorNameSchema,
  type MutableData, type XorName
} from '@safemesh/protocol'

export const SESSION_PACKET_TAG = TYPE_TAG_SESSION_PACKET
export const LOGIN_ENTRY_KEY = new TextEncoder().encode('Login')

const utf8 = new TextEncoder()
const INPUT_LABEL = utf8.encode('safemesh/login/v2/input')
const SALT_LABEL = utf8.encode('safemesh/login/v2/network-salt')
const LOCATION_LABEL = utf8.encode('safemesh/login/v2/location')
const KEY_LABEL = utf8.encode('safemesh/login/v2/key')
const INVALID_CREDENTIALS_MESSAGE = 'wrong secret or password'

const NETWORK_SALT_BYTES = 32
/** The salt of a network that publishes none (an old network.json): shared by all such networks, hence the warning. */
export const FALLBACK_NETWORK_SALT = sha3_256(utf8.encode('safemesh/login/v2/fallback-network-salt'))

/** The one error a failed login gives, whatever was wrong. */
export function invalidCredentials (): SafeMeshError {
  return new SafeMeshError('InvalidCredentials', INVALID_CREDENTIALS_MESSAGE)
}

/** A network salt from network.json's hex form or bytes; `InvalidRequest` unless it is 32 bytes. */
export function networkSaltFrom (salt: string | Uint8Array): Uint8Array {
  const bytes = typeof salt !== 'string' ? salt : /^([0-9a-fA-F]{2})*$/.test(salt) ? new Uint8Array(Buffer.from(salt, 'hex')) : undefined
  if (bytes?.length !== NETWORK_SALT_BYTES) {
    throw new SafeMeshError('InvalidRequest', `the network salt must be ${NETWORK_SALT_BYTES} bytes (${NETWORK_SALT_BYTES * 2} hex digits, network.json's "salt")`)
  }
  return bytes
}

export interface SessionSecrets {
  /** The session packet's name. */
  location: XorName
  /** Encrypts the `Login` entry. */
  key: Uint8Array
}

/** Derives where the session packet is and what opens it (one Argon2id). Needs cryptoReady(); ~0.65 s with the defaults (~1.4 s as a process's first). */
export function deriveSessionSecrets (secret: string, password: string, networkSalt: Uint8Array, kdf: DeriveKeyOptions = {}): SessionSecrets {
  const input = loginInput(secret, password)
  const master = deriveKey(input, concatBytes(...[SALT_LABEL, networkSaltFrom(networkSalt)]), kdf)
  input.fill(0)
  const secrets = { location: keyedHash(LOCATION_LABEL, master), key: keyedHash(KEY_LABEL, master) }
  master.fill(0)
  return secrets
}

/** SHA3-256(label ‖ master): distinct labels give independent values of the one master (SHA3 has no length extension). */
function keyedHash (label: Uint8Array, key: Uint8Array): Uint8Array {
  const data = concatBytes(...[label, key])
  const out = sha3_256(data)
  data.fill(0)
  return out
}

/** label ‖ u32 length ‖ secret ‖ u32 length ‖ password (UTF-8 of NFC): no two pairs give the same input. */
function loginInput (secret: string, password: string): Uint8Array {
  const parts = [secret, password].map(text => utf8.encode(text.normalize('NFC')))
  const input = concatBytes(...[INPUT_LABEL, ...parts.flatMap(part => [u32(part.length), part])])
  for (const part of parts) part.fill(0)
  return input
}

function u32 (n: number): Uint8Array {
  const out = new Uint8Array(4)
  new DataView(out.buffer).setUint32(0, n)
  return out
}

/** What the `Login` entry holds. */
export interface LoginRecord {
  keys: ClientKeys
  /** The account's root container (SPEC §9). */
  root: XorName
}

const loginSchema = object({ v: literal(1), keys: bytes(), root: xorNameSchema })

function sealLogin (record: LoginRecord, key: Uint8Array): Uint8Array {
  return encryptSymmetric(encodeWith(loginSchema, { v: 1, keys: encodeClientKeys(record.keys), root: record.root }), key)
}

/** Opens a `Login` entry; anything wrong with it is `InvalidCredentials`. */
export function openLogin (box: Uint8Array, key: Uint8Array): LoginRecord {
  try {
    const login = decodeWith(loginSchema, decryptSymmetric(box, key))
    return { keys: decodeClientKeys(login.keys), root: login.root }
  } catch {
    throw invalidCredentials()
  }
}

/** A new account's session packet: tag 0, owned by the account's signing key, holding `Login`. */
export function newSessionPacket (secrets: SessionSecrets, record: LoginRecord): MutableData {
  return newMutableData({
    name: secrets.location,
    tag: SESSION_PACKET_TAG,
    owners: [record.keys.sign.publicKey],
    entries: [{ key: LOGIN_ENTRY_KEY, content: sealLogin(record, secrets.key) }]
  })
}
