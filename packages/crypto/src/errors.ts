/**
 * Why an operation of this package failed, as a stable machine-readable code.
 *
 * - `DecryptionFailed`: an authentication tag did not verify (wrong key, or the bytes were altered).
 * - `InvalidKey`: key material has the wrong length or is internally inconsistent.
 * - `IntegrityFailed`: content does not hash to the name or pre-hash that was expected of it.
 * - `InvalidDataMap`: a data map is malformed, non-canonical or self-inconsistent.
 * - `InvalidInput`: an argument is out of range (e.g. a size hint that the stream contradicts).
 */
export type CryptoErrorCode =
  | 'DecryptionFailed'
  | 'InvalidKey'
  | 'IntegrityFailed'
  | 'InvalidDataMap'
  | 'InvalidInput'

/**
 * The one error type this package throws for bad data or bad arguments. Callers branch on `code`
 * (never on the message, which is for people). Programming errors such as calling a libsodium-backed
 * function before `cryptoReady()` throw a plain `Error` instead, because no caller should handle them.
 */
export class CryptoError extends Error {
  override readonly name = 'CryptoError'
  readonly code: CryptoErrorCode

  constructor (code: CryptoErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}

/** True when `error` is a CryptoError, optionally with the given code. */
export function isCryptoError (error: unknown, code?: CryptoErrorCode): error is CryptoError {
  return error instanceof CryptoError && (code === undefined || error.code === code)
}
