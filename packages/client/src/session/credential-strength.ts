/**
 * The strength rule for a new account's secret and password (docs/protocol.md "Login"): each must
 * score at least MIN_CREDENTIAL_SCORE with zxcvbn (`@zxcvbn-ts/core`, common-password and keyboard
 * dictionaries), the other credential counting as a known word. Checked at account creation only:
 * a login with older, weaker credentials still works.
 */
import { ZxcvbnFactory } from '@zxcvbn-ts/core'
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common'
import { SafeMeshError } from '@safemesh/protocol'

/** zxcvbn's score 3: at least 10^8 guesses each, so both together are ~10^16 Argon2id derivations. */
export const MIN_CREDENTIAL_SCORE = 3

export interface CredentialStrength {
  /** zxcvbn's 0–4. */
  score: number
  /** log10 of zxcvbn's estimate of the guesses needed. */
  guessesLog10: number
  /** Why it is weak, in words (when zxcvbn says). */
  warning?: string
}

let estimator: ZxcvbnFactory | undefined

/** Building the dictionaries takes ~50 ms: only when an account is created. */
function zxcvbn (): ZxcvbnFactory {
  estimator ??= new ZxcvbnFactory({ dictionary: { ...dictionary }, graphs: adjacencyGraphs })
  return estimator
}

// zxcvbn-ts gives translation keys; language-common has no texts, so these are ours.
const WARNINGS: Readonly<Record<string, string>> = {
  straightRow: 'it is a straight row of keys',
  keyPattern: 'it is a short keyboard pattern',
  simpleRepeat: 'it repeats one character',
  extendedRepeat: 'it repeats a group of characters',
  sequences: 'it is a common sequence like "abc" or "123"',
  recentYears: 'it is or contains a recent year',
  dates: 'it is or contains a date',
  topTen: 'it is one of the ten most used passwords',
  topHundred: 'it is one of the hundred most used passwords',
  common: 'it is a commonly used password',
  similarToCommon: 'it is similar to a commonly used password',
  wordByItself: 'it is a single word',
  namesByThemselves: 'it is a name',
  commonNames: 'it is a common name',
  pwned: 'it appeared in a data breach'
}

/** zxcvbn's estimate for `value`; `known` (the secret, for the password) counts as words the attacker knows. */
export function credentialStrength (value: string, known?: { name: string, value: string }): CredentialStrength {
  const result = zxcvbn().check(value.normalize('NFC'), known !== undefined ? [known.value.normalize('NFC')] : [])
  const key = result.feedback.warning
  const warning = key === null ? undefined : key === 'userInputs' ? `it contains the ${known?.name ?? 'other credential'}` : WARNINGS[key] ?? key
  return { score: result.score, guessesLog10: result.guessesLog10, ...(warning !== undefined ? { warning } : {}) }
}

/**
 * Refuses a weak secret or password for a new account with `InvalidRequest`, saying which one, why
 * and what to do. The secret alone, then the password given the secret: both must be hard to guess.
 */
export function checkNewCredentials (secret: string, password: string): void {
  if (secret.length === 0 || password.length === 0) throw new SafeMeshError('InvalidRequest', 'the secret and the password must not be empty')
  refuseWeak('secret', credentialStrength(secret), 'the password')
  refuseWeak('password', credentialStrength(password, { name: 'secret', value: secret }), 'the secret')
}

function refuseWeak (which: string, strength: CredentialStrength, other: string): void {
  if (strength.score >= MIN_CREDENTIAL_SCORE) return
  const why = strength.warning !== undefined ? `: ${strength.warning}` : ''
  throw new SafeMeshError('InvalidRequest',
    `the ${which} is too weak${why} (zxcvbn rates it ${strength.score} of 4, about 10^${Math.floor(strength.guessesLog10)} guesses; ` +
    `a new account needs ${MIN_CREDENTIAL_SCORE} or more, about 10^8 guesses, for the secret and for the password). ` +
    `Choose a longer ${which}, unlike ${other}: four or more uncommon words, or 12 or more random characters.`)
}
