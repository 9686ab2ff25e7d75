/** MutableData type tags with a meaning fixed by SPEC §2; apps choose any other tag. */
export const TYPE_TAG_SESSION_PACKET = 0
export const TYPE_TAG_NFS_DIRECTORY = 15000
export const TYPE_TAG_PUBLIC_ID = 15001
export const TYPE_TAG_WEB_SERVICE = 15002

/** An account's public profile: its signing and encryption keys, signed (docs/protocol.md, sharing). */
export const TYPE_TAG_PROFILE = 1002
/** An account's inbox: anyone may insert an item sealed to the owner; only the owner updates or deletes. */
export const TYPE_TAG_INBOX = 1003
/** A share's key envelopes: read-gated, served by its Data-Managers only as its gate entry allows. */
export const TYPE_TAG_SHARE_ENVELOPE = 1004
/** An account's share log: append-only, its permissions frozen at creation. */
export const TYPE_TAG_SHARE_LOG = 1005

/** Tags 1–10000 are reserved for the system. */
export const RESERVED_TYPE_TAGS = Object.freeze({ first: 1, last: 10000 })

/** Tags are unsigned integers below 2^53 (they must survive JSON and JavaScript numbers). */
export const MAX_TYPE_TAG = Number.MAX_SAFE_INTEGER

export function isReservedTypeTag (tag: number): boolean {
  return tag >= RESERVED_TYPE_TAGS.first && tag <= RESERVED_TYPE_TAGS.last
}

export function isValidTypeTag (tag: unknown): tag is number {
  return typeof tag === 'number' && Number.isSafeInteger(tag) && tag >= 0
}
