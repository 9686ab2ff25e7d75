import { isSafeMeshError, type ErrorCode } from '@safemesh/protocol'

/** The SPEC error code a request was refused with, or 'resolved'; anything else is rethrown. */
export async function codeOf (promise: Promise<unknown>): Promise<ErrorCode | 'resolved'> {
  try {
    await promise
    return 'resolved'
  } catch (err) {
    if (isSafeMeshError(err)) return err.code
    throw err
  }
}
