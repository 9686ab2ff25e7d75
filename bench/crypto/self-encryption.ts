// Self-encryption throughput next to the raw primitives it is built from, so the backend choices
// in packages/crypto/src/self-encryption/chunk-cipher.ts stay visible and checkable:
//   npm run bench:crypto
// Every figure is the median of 3 runs over 64 MiB of random data, processed in 1 MiB messages.

import { createCipheriv, createDecipheriv, createHash, randomFillSync } from 'node:crypto'
import sodium from 'libsodium-wrappers-sumo'
import { cryptoReady, selfDecrypt, selfEncrypt } from '@safemesh/crypto'
import { xorPadInPlace } from '@safemesh/crypto/internals'
import { mbPerSecond, medianMs, MiB } from './measure.js'

const TOTAL = 64 * MiB
const RUNS = 3
const data = randomFillSync(new Uint8Array(TOTAL))
const blocks = Array.from({ length: TOTAL / MiB }, (_, i) => data.subarray(i * MiB, (i + 1) * MiB))
const key = randomFillSync(new Uint8Array(32))
const nonce12 = randomFillSync(new Uint8Array(12))
const nonce24 = randomFillSync(new Uint8Array(24))

type Row = [what: string, mbps: number, note: string]
const rows: Row[] = []
async function measure (what: string, note: string, run: () => unknown): Promise<void> {
  rows.push([what, mbPerSecond(TOTAL, await medianMs(RUNS, run)), note])
}

type NativeAead = 'aes-256-gcm' | 'chacha20-poly1305'
// One call per algorithm: @types/node types each AEAD's options through its own overload.
const cipherOf = (algorithm: NativeAead) => algorithm === 'aes-256-gcm'
  ? createCipheriv(algorithm, key, nonce12, { authTagLength: 16 })
  : createCipheriv(algorithm, key, nonce12, { authTagLength: 16 })
const decipherOf = (algorithm: NativeAead) => algorithm === 'aes-256-gcm'
  ? createDecipheriv(algorithm, key, nonce12, { authTagLength: 16 })
  : createDecipheriv(algorithm, key, nonce12, { authTagLength: 16 })

function nativeAead (algorithm: NativeAead): { encrypt: () => void, decrypt: () => void } {
  const sealed = blocks.map((block) => {
    const cipher = cipherOf(algorithm)
    return { body: Buffer.concat([cipher.update(block), cipher.final()]), tag: cipher.getAuthTag() }
  })
  return {
    encrypt: () => {
      for (const block of blocks) {
        const cipher = cipherOf(algorithm)
        cipher.update(block)
        cipher.final()
        cipher.getAuthTag()
      }
    },
    decrypt: () => {
      for (const { body, tag } of sealed) {
        const decipher = decipherOf(algorithm)
        decipher.setAuthTag(tag)
        decipher.update(body)
        decipher.final()
      }
    }
  }
}

await cryptoReady()
await sodium.ready

// Self-encryption end to end: chunks kept in a Map, as an uploader's queue would hold them briefly.
const store = new Map<number, Uint8Array>()
let dataMap: Awaited<ReturnType<typeof selfEncrypt>>['dataMap'] | undefined
await measure('self-encryption: encrypt', 'SHA3 pre-hash + AES-256-GCM + pad + SHA3 name', async () => {
  store.clear()
  const result = await selfEncrypt(blocks, { onChunk: ({ index, content }) => { store.set(index, content) } })
  dataMap = result.dataMap
})
await measure('self-encryption: decrypt', 'SHA3 name check + AES-256-GCM + SHA3 pre-hash check', async () => {
  if (dataMap === undefined) throw new Error('encrypt first')
  let bytes = 0
  for await (const piece of selfDecrypt(dataMap, async (_name, index) => store.get(index) ?? new Uint8Array())) bytes += piece.length
  if (bytes !== TOTAL) throw new Error(`decrypted ${bytes} bytes`)
})
store.clear()

await measure('SHA3-256 (node:crypto)', 'used: 2 passes per byte', () => {
  for (const block of blocks) createHash('sha3-256').update(block).digest()
})
const aes = nativeAead('aes-256-gcm')
await measure('AES-256-GCM encrypt (node:crypto)', 'used', aes.encrypt)
await measure('AES-256-GCM decrypt (node:crypto)', 'used', aes.decrypt)
const chacha = nativeAead('chacha20-poly1305')
await measure('ChaCha20-Poly1305 encrypt (node:crypto)', 'rejected: slower here', chacha.encrypt)
await measure('ChaCha20-Poly1305 decrypt (node:crypto)', 'rejected: slower here', chacha.decrypt)
const xsealed = blocks.map((block) => sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(block, null, null, nonce24, key))
await measure('XChaCha20-Poly1305 encrypt (libsodium WASM)', 'rejected for chunks; used by secretbox.ts', () => {
  for (const block of blocks) sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(block, null, null, nonce24, key)
})
await measure('XChaCha20-Poly1305 decrypt (libsodium WASM)', 'rejected for chunks', () => {
  for (const box of xsealed) sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, box, null, nonce24, key)
})
await measure('XSalsa20-Poly1305 secretbox (libsodium WASM)', 'rejected', () => {
  for (const block of blocks) sodium.crypto_secretbox_easy(block, nonce24, key)
})
const pad = randomFillSync(new Uint8Array(64))
const scratch = new Uint8Array(MiB)
await measure('64-byte XOR pad (JS, word-wise)', 'used', () => {
  for (let i = 0; i < blocks.length; i++) xorPadInPlace(scratch, pad)
})

// What the primitives alone would allow (two SHA3 passes + AEAD + pad per byte); the gap to the
// measured self-encryption figure is the cost of chunking, copies and allocation.
const rate = (what: string): number => rows.find(([w]) => w.startsWith(what))?.[1] ?? Number.NaN
for (const direction of ['encrypt', 'decrypt'] as const) {
  const bound = 1 / (2 / rate('SHA3-256') + 1 / rate(`AES-256-GCM ${direction}`) + 1 / rate('64-byte XOR pad'))
  rows.push([`bound from primitives: ${direction}`, bound, '1 / (2/SHA3 + 1/AEAD + 1/pad)'])
}

const width = Math.max(...rows.map(([what]) => what.length))
console.log(`Self-encryption benchmark: ${TOTAL / MiB} MiB of random data, 1 MiB chunks, median of ${RUNS} runs (Node ${process.version})`)
for (const [what, mbps, note] of rows) {
  console.log(`  ${what.padEnd(width)}  ${mbps.toFixed(0).padStart(6)} MB/s   ${note}`)
}
