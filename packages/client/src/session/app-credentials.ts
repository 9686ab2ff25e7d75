/**
 * What `app auth` hands an app (SPEC §10 `$SAFEMESH_APP`): everything it needs to act for the
 * account, as one copy-pasteable string:
 *
 *     safemesh-app-1.<base64url(encode({app, owner, keys, access?}))>
 *
 * `keys` are the app's own client keys (its signing key is the authorised auth key); `owner` is the
 * owner's signing public key, whose SHA3-256 is the account (the app's Maid-Managers) and which is
 * the owner of every MutableData the app creates (SPEC §4: PutMData must name the account's owner);
 * `access` is the account's access container, where the app finds its containers (SPEC §9;
 * credentials issued before containers lack it and give the app none).
 * The string is a secret, like a password.
 */
import { decodeClientKeys, encodeClientKeys, type ClientKeys } from '@safemesh/crypto'
import { SafeMeshError, bytes, decodeWith, encodeWith, object, optional, publicKeySchema, string, xorNameSchema, type XorName } from '@safemesh/protocol'
import { MAX_APP_ID_LENGTH, checkAppId } from './app-registry.js'

export interface AppCredentials {
  app: string
  /** The owner's signing public key. */
  owner: Uint8Array
  keys: ClientKeys
  /** The access container's name. */
  access?: XorName
}

const PREFIX = 'safemesh-app-1.'
const credentialsSchema = object({ app: string(MAX_APP_ID_LENGTH), owner: publicKeySchema, keys: bytes(), access: optional(xorNameSchema) })

export function encodeAppCredentials (credentials: AppCredentials): string {
  const encoded = encodeWith(credentialsSchema, { app: credentials.app, owner: credentials.owner, keys: encodeClientKeys(credentials.keys), ...(credentials.access !== undefined ? { access: credentials.access } : {}) })
  return PREFIX + Buffer.from(encoded).toString('base64url')
}

/** Parses credentials from `encodeAppCredentials`; anything malformed is `InvalidCredentials`. */
export function decodeAppCredentials (text: string): AppCredentials {
  const trimmed = text.trim()
  const malformed = (): SafeMeshError => new SafeMeshError('InvalidCredentials', 'malformed app credentials')
  if (!trimmed.startsWith(PREFIX)) throw malformed()
  try {
    const decoded = decodeWith(credentialsSchema, new Uint8Array(Buffer.from(trimmed.slice(PREFIX.length), 'base64url')))
    return { app: checkAppId(decoded.app), owner: decoded.owner, keys: decodeClientKeys(decoded.keys), ...(decoded.access !== undefined ? { access: decoded.access } : {}) }
  } catch {
    throw malformed()
  }
}
