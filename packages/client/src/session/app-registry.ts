/**
 * The app registry: which apps an account has authorised, with their keys, so that `app list` can
 * name them and `app revoke` can find their key, and so that authorising an app again gives the
 * same credentials instead of a second key.
 *
 * It lives in the session packet as the entry `Apps` = encryptSymmetric(encode({v: 1, apps:
 * [{app, keys}]}), the account's symmetric key). The session packet is owned by the account key
 * and grants no permissions, so only the owner acting itself can change it (never an app); it is
 * encrypted, so reading it (anyone may read any MutableData) reveals nothing. The account's
 * symmetric key, not the password-derived one, protects it, so a future password change only
 * re-encrypts `Login`. What each app may use is in the access container (`auth/access-container.ts`),
 * which the owner writes with the app keys kept here.
 */
import { decodeClientKeys, decryptSymmetric, encodeClientKeys, encryptSymmetric, type ClientKeys } from '@safemesh/crypto'
import { SafeMeshError, array, bytes, decodeWith, encodeWith, literal, object, string } from '@safemesh/protocol'

export const APPS_ENTRY_KEY = new TextEncoder().encode('Apps')

/** An authorised app as the owner records it. */
export interface AppRecord {
  app: string
  keys: ClientKeys
}

export const MAX_APP_ID_LENGTH = 256
const MAX_APPS = 1000

const registrySchema = object({
  v: literal(1),
  apps: array(object({ app: string(MAX_APP_ID_LENGTH), keys: bytes() }), MAX_APPS)
})

/** An app id is what a person types: 1–256 characters, no control characters. */
export function checkAppId (app: string): string {
  // eslint-disable-next-line no-control-regex
  if (app.length === 0 || app.length > MAX_APP_ID_LENGTH || /[\u0000-\u001f\u007f]/.test(app)) {
    throw new SafeMeshError('InvalidRequest', `an app id is 1 to ${MAX_APP_ID_LENGTH} characters without control characters`)
  }
  return app
}

export function sealAppRegistry (apps: readonly AppRecord[], symmetricKey: Uint8Array): Uint8Array {
  const sorted = [...apps].sort((a, b) => (a.app < b.app ? -1 : a.app > b.app ? 1 : 0))
  return encryptSymmetric(encodeWith(registrySchema, { v: 1, apps: sorted.map(a => ({ app: a.app, keys: encodeClientKeys(a.keys) })) }), symmetricKey)
}

export function openAppRegistry (box: Uint8Array, symmetricKey: Uint8Array): AppRecord[] {
  // An empty entry is a deleted registry (a tombstone).
  if (box.length === 0) return []
  let decoded
  try {
    decoded = decodeWith(registrySchema, decryptSymmetric(box, symmetricKey))
  } catch (err) {
    throw new SafeMeshError('InvalidRequest', `the app registry cannot be read: ${(err as Error).message}`)
  }
  return decoded.apps.map(a => ({ app: a.app, keys: decodeClientKeys(a.keys) }))
}
