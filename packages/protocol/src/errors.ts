/**
 * The error codes of SPEC §3: stable names that users see, so they are part of the protocol.
 * Every failure that crosses a package boundary is a {@link SafeMeshError} carrying one of them.
 */
export const ERROR_CODES = [
  'AccessDenied',
  'NoSuchAccount',
  'AccountExists',
  'NoSuchData',
  'DataExists',
  'DataTooLarge',
  'NoSuchEntry',
  'EntryExists',
  'TooManyEntries',
  'InvalidEntryActions',
  'NoSuchKey',
  'InvalidOwners',
  'InvalidSuccessor',
  'InvalidOperation',
  'LowBalance',
  'NetworkFull',
  'InvalidRequest',
  'Timeout',
  'NoQuorum',
  'InvalidCredentials',
  // Issue 15: a time-limited share read after its expiry, by the Data-Managers' clocks (docs/protocol.md).
  'Expired'
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

const ERROR_CODE_SET: ReadonlySet<string> = new Set(ERROR_CODES)

export function isErrorCode (value: unknown): value is ErrorCode {
  return typeof value === 'string' && ERROR_CODE_SET.has(value)
}

/** The per-key failures that an entry batch can collect into `InvalidEntryActions` (SPEC §2). */
export type EntryErrorCode = 'EntryExists' | 'NoSuchEntry' | 'InvalidSuccessor'

/**
 * One key's failure inside `InvalidEntryActions`. `version` is the entry's current version for
 * `EntryExists` and `InvalidSuccessor` (so the client can retry with current + 1); absent for
 * `NoSuchEntry`.
 */
export interface EntryError {
  readonly code: EntryErrorCode
  readonly version?: number
}

export interface EntryExistsDetails { readonly version: number }
export interface InvalidSuccessorDetails { readonly current: number }
export interface InvalidEntryActionsDetails {
  readonly errors: ReadonlyArray<{ readonly key: Uint8Array, readonly error: EntryError }>
}

/** The groups a node may be asked to act for. */
export type GroupRole = 'account' | 'data'

/**
 * `InvalidRequest` from a node that is not in the group the request is for, as it sees the network
 * (an addition to SPEC §3, docs/protocol.md): the sender's view is at fault, not the request.
 */
export interface MisroutedDetails { readonly misrouted: GroupRole }

/** The data SPEC attaches to some codes; every other code carries none. */
export type ErrorDetails = EntryExistsDetails | InvalidSuccessorDetails | InvalidEntryActionsDetails | MisroutedDetails

export class SafeMeshError extends Error {
  override readonly name = 'SafeMeshError'
  readonly code: ErrorCode
  readonly details?: ErrorDetails

  constructor (code: ErrorCode, message?: string, details?: ErrorDetails) {
    super(message ?? defaultMessage(code, details))
    this.code = code
    if (details !== undefined) this.details = details
  }
}

export function isSafeMeshError (e: unknown): e is SafeMeshError {
  return e instanceof SafeMeshError
}

/** `EntryExists(current)` for a single-entry operation. */
export function entryExists (version: number, message?: string): SafeMeshError {
  return new SafeMeshError('EntryExists', message, { version })
}

/** `InvalidSuccessor(current)`: the given version was not `current + 1`. */
export function invalidSuccessor (current: number, message?: string): SafeMeshError {
  return new SafeMeshError('InvalidSuccessor', message, { current })
}

export function invalidEntryActions (errors: InvalidEntryActionsDetails['errors'], message?: string): SafeMeshError {
  return new SafeMeshError('InvalidEntryActions', message, { errors })
}

/** Shorthand for the most common failure: a malformed or oversized input. */
export function invalidRequest (message: string): SafeMeshError {
  return new SafeMeshError('InvalidRequest', message)
}

function defaultMessage (code: ErrorCode, details: ErrorDetails | undefined): string {
  if (details === undefined) return code
  if ('version' in details) return `${code} (current version ${details.version})`
  if ('current' in details) return `${code} (current version ${details.current})`
  if ('misrouted' in details) return `${code} (not one of the ${GROUP_NAMES[details.misrouted]})`
  return `${code} (${details.errors.length} invalid ${details.errors.length === 1 ? 'key' : 'keys'})`
}

const GROUP_NAMES: Readonly<Record<GroupRole, string>> = { account: 'account\'s Maid-Managers', data: 'data\'s Data-Managers' }

/**
 * What a node answers a request meant for a group it is not in, as it sees the network. The
 * request is not at fault: the sender's view of the network is, and it should refresh and retry.
 */
export function misroutedError (role: GroupRole): SafeMeshError {
  return new SafeMeshError('InvalidRequest', `this node is not one of the ${GROUP_NAMES[role]}`, { misrouted: role })
}

/** Whether `err` is a node's `misroutedError`. */
export function isMisrouted (err: SafeMeshError): boolean {
  return err.code === 'InvalidRequest' && err.details !== undefined && 'misrouted' in err.details
}
