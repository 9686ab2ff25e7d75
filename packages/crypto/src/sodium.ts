import sodiumModule from 'libsodium-wrappers-sumo'

// libsodium ships as WebAssembly that is instantiated asynchronously. Rather than make every
// signing or sealing call async, the package is initialised once with cryptoReady() and the
// libsodium-backed functions (keys, sign, seal, secretbox, kdf) stay synchronous; they call
// sodium() which fails loudly if initialisation was forgotten. Hashing, randomness and
// self-encryption use Node's native crypto and need no initialisation.

let readiness: Promise<void> | undefined
let ready = false

/**
 * Initialises libsodium. Await it once before calling any function documented as needing it;
 * calling it again is cheap and returns the same promise.
 */
export function cryptoReady (): Promise<void> {
  readiness ??= sodiumModule.ready.then(() => { ready = true })
  return readiness
}

/** True once cryptoReady() has completed. */
export function isCryptoReady (): boolean {
  return ready
}

/** The initialised libsodium module, or a plain Error naming the function that was called too early. */
export function sodium (caller: string): typeof sodiumModule {
  if (!ready) {
    throw new Error(`${caller}: libsodium is not initialised; await cryptoReady() first`)
  }
  return sodiumModule
}
