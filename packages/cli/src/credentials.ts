/**
 * Credentials (SPEC §10): `$SAFEMESH_SECRET` and `$SAFEMESH_PASSWORD`, asked for when missing and
 * a person is at a terminal, else a usage error (exit 2); `$SAFEMESH_APP` (what `app auth`
 * printed) makes a command act as that app.
 */
import type { CliIo } from './io.js'
import { canPrompt, promptHidden } from './prompt.js'
import { UsageError } from './usage-error.js'

export interface Credentials {
  secret: string
  password: string
}

export function appCredentialsOf (io: CliIo): string | undefined {
  const app = io.env['SAFEMESH_APP']
  return app !== undefined && app.trim().length > 0 ? app : undefined
}

/**
 * The owner's secret and password; `confirm` asks for a new password twice, after `check` (a new
 * account's strength rule) accepted both, so that a weak one is refused before it is typed again.
 */
export async function ownerCredentials (io: CliIo, options: { confirm?: boolean, check?: (secret: string, password: string) => void } = {}): Promise<Credentials> {
  let secret = io.env['SAFEMESH_SECRET']
  let password = io.env['SAFEMESH_PASSWORD']
  if (nonEmpty(secret) && nonEmpty(password)) return { secret, password }
  if (!canPrompt(io)) {
    throw new UsageError('set SAFEMESH_SECRET and SAFEMESH_PASSWORD (there is no terminal to ask on)')
  }
  if (!nonEmpty(secret)) secret = await promptHidden(io, 'Secret: ')
  if (!nonEmpty(password)) {
    password = await promptHidden(io, 'Password: ')
    if (nonEmpty(secret) && nonEmpty(password)) options.check?.(secret, password)
    if (options.confirm === true && await promptHidden(io, 'Password again: ') !== password) throw new UsageError('the passwords differ')
  }
  if (!nonEmpty(secret) || !nonEmpty(password)) throw new UsageError('the secret and the password must not be empty')
  return { secret, password }
}

function nonEmpty (value: string | undefined): value is string {
  return value !== undefined && value.length > 0
}
