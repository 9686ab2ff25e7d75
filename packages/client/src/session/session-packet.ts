/**
 * Accounts and login (SPEC §8).
 *
 * - location = Argon2id(secret, salt "safemesh/session-packet/location/v1"): where the session
 *   packet lives (a MutableData of tag 0). Whoever does not know the secret cannot find it.
 * - key = Argon2id(password, salt = secret): what the `Login` entry is encrypted with, so the
 *   password alone, or the secret alone, opens nothing.
 * - The packet is owned by the account's signing key and holds `Login` = encryptSymmetric(
 *   encode({v: 1, keys: encodeClientKeys(keys), root}), key): the account's client keys and the
 *   name of its root container (SPEC §9: `auth/containers.ts`).
 *   It may also hold `Apps`, the app registry (`app-registry.ts`).
 *
 * A wrong secret (no packet there) and a wrong password (the box does not open) both give
 * `InvalidCredentials` with the same message, so a login attempt tells nobody which one was wrong.
 */
import { decryptSymmetric, decodeClientKeys, deriveKey, encodeClientKeys, encryptSymmetric, type ClientKeys, type DeriveKeyOptions } from '@safemesh/crypto'
import {
  SafeMeshError, TYPE_TAG_SESSION_PACKET, bytes, decodeWith, encodeWith, literal, newMutableData, object, xorNameSchema,
  type MutableData, type XorName
} from '@safemesh/protocol'

export const SESSION_PACKET_TAG = TYPE_TAG_SESSION_PACKET
export const LOGIN_ENTRY_KEY = new TextEncoder().encode('Login')

const LOCATION_SALT = new TextEncoder().encode('safemesh/session-packet/location/v1')
const INVALID_CREDENTIALS_MESSAGE = 'wrong secret or password'

/** The one error a failed login gives, whatever was wrong. */
export function invalidCredentials (): SafeMeshError {
  return new SafeMeshError('InvalidCredentials', INVALID_CREDENTIALS_MESSAGE)
}

export interface SessionSecrets {
  /** The session packet's name. */
  location: XorName
  /** Encrypts the `Login` entry. */
  key: Uint8Array
}

/** Derives where the session packet is and what opens it. Needs cryptoReady(); ~0.3 s each with the defaults. */
export function deriveSessionSecrets (secret: string, password: string, kdf: DeriveKeyOptions = {}): SessionSecrets {
  return {
    location: deriveKey(secret, LOCATION_SALT, kdf),
    key: deriveKey(password, new TextEncoder().encode(secret.normalize('NFC')), kdf)
  }
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
