/**
 * Parsing what people type (SPEC §10): names and keys as hex, tags and versions as integers,
 * keys and values as UTF-8 text, users as `anyone` or a key, actions like `insert,update,-delete`.
 * Every mistake is a UsageError (exit 2), before anything is sent.
 */
import { ACTIONS, ANYONE, MAX_TYPE_TAG, keyUser, type Action, type PermissionSet, type User, type XorName } from '@safemesh/protocol'
import { UsageError } from './usage-error.js'

const HEX_32 = /^[0-9a-fA-F]{64}$/

export function parseName (text: string, what = 'NAME'): XorName {
  if (!HEX_32.test(text)) throw new UsageError(`${what} must be 64 hexadecimal characters, got ${JSON.stringify(text)}`)
  return new Uint8Array(Buffer.from(text, 'hex'))
}

export function parseKeyHex (text: string, what = 'KEY'): Uint8Array {
  if (!HEX_32.test(text)) throw new UsageError(`${what} must be a public key of 64 hexadecimal characters, got ${JSON.stringify(text)}`)
  return new Uint8Array(Buffer.from(text, 'hex'))
}

export function parseInteger (text: string, what: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN
  if (!Number.isSafeInteger(n) || n < 0 || n > max) throw new UsageError(`${what} must be an integer from 0 to ${max}, got ${JSON.stringify(text)}`)
  return n
}

export function parseTag (text: string): number {
  return parseInteger(text, 'TAG', MAX_TYPE_TAG)
}

export function parseVersion (text: string): number {
  return parseInteger(text, 'the version')
}

export function parseUser (text: string): User {
  if (text.toLowerCase() === 'anyone') return ANYONE
  return keyUser(parseKeyHex(text, 'the user'))
}

export function utf8 (text: string): Uint8Array {
  return new TextEncoder().encode(text)
}

const ACTION_NAMES: ReadonlyMap<string, Action> = new Map([
  ['insert', 'Insert'], ['update', 'Update'], ['delete', 'Delete'],
  ['manage-permissions', 'ManagePermissions'], ['managepermissions', 'ManagePermissions'], ['manage_permissions', 'ManagePermissions'], ['manage', 'ManagePermissions']
])

/** `insert,update,-delete`: listed actions are allowed, `-` denies, the rest stay unset. */
export function parseActions (text: string): PermissionSet {
  const set: { -readonly [A in Action]?: boolean } = {}
  const items = text.split(',').map(s => s.trim()).filter(s => s.length > 0)
  if (items.length === 0) throw new UsageError('ACTIONS must name at least one of insert, update, delete, manage-permissions (prefix - to deny)')
  for (const item of items) {
    const deny = item.startsWith('-')
    const action = ACTION_NAMES.get((deny ? item.slice(1) : item).toLowerCase())
    if (action === undefined) throw new UsageError(`unknown action ${JSON.stringify(item)} (one of insert, update, delete, manage-permissions; prefix - to deny)`)
    if (set[action] !== undefined) throw new UsageError(`action ${JSON.stringify(item)} given twice`)
    set[action] = !deny
  }
  return set
}

/** The display name of an action. */
function actionName (action: Action): string {
  return action === 'ManagePermissions' ? 'manage-permissions' : action.toLowerCase()
}

/** A permission set as `{allow: [...], deny: [...]}`. */
export function describePermissions (set: PermissionSet): { allow: string[], deny: string[] } {
  return {
    allow: ACTIONS.filter(a => set[a] === true).map(actionName),
    deny: ACTIONS.filter(a => set[a] === false).map(actionName)
  }
}

export function describeUser (user: User): string {
  return user.kind === 'Anyone' ? 'anyone' : Buffer.from(user.key).toString('hex')
}

/** Bytes shown to people: text when they are valid UTF-8, else hex (the field name says which). */
export function textOrHex (bytes: Uint8Array, field: string): Record<string, string> {
  try {
    return { [field]: new TextDecoder('utf-8', { fatal: true }).decode(bytes) }
  } catch {
    return { [`${field}Hex`]: Buffer.from(bytes).toString('hex') }
  }
}
