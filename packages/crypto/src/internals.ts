/**
 * Building blocks behind the public API, for the benches that measure them; not a stable API.
 *
 * @packageDocumentation
 */
export { xorPadInPlace } from './self-encryption/xor-pad.js'
