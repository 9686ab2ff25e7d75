/** A mistake in how the command was called (exit code 2), as opposed to a refusal or a failure. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}
