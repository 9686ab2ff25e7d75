// Peak memory of streaming self-encryption: encrypts a generated 1 GiB stream, storing chunks in a
// temporary directory, then decrypts it back from there and checks the plaintext's SHA3-256.
// Neither side ever holds the file: memory is bounded by a few chunks. Prints the process's peak
// RSS (target: under 200 MB).   npm run bench:crypto-memory
// Size can be changed with SAFEMESH_BENCH_MIB (default 1024).

import { createCipheriv, createHash } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { selfDecrypt, selfEncrypt } from '@safemesh/crypto'
import { mbPerSecond, MiB, peakRssMb } from './measure.js'

const totalMiB = Number(process.env['SAFEMESH_BENCH_MIB'] ?? 1024)
const total = totalMiB * MiB

/** A reproducible pseudo-random stream (ChaCha20 keystream) in uneven pieces, hashed as it goes. */
async function * generated (size: number, hash: ReturnType<typeof createHash>): AsyncGenerator<Uint8Array> {
  const keystream = createCipheriv('chacha20', Buffer.alloc(32, 7), Buffer.alloc(16))
  const zeros = Buffer.alloc(MiB + 4099)
  const pieceSizes = [MiB + 4099, 65_536, 17, 300_001]
  for (let produced = 0, i = 0; produced < size; i++) {
    const length = Math.min(pieceSizes[i % pieceSizes.length] ?? MiB, size - produced)
    const piece = keystream.update(zeros.subarray(0, length))
    hash.update(piece)
    produced += length
    yield piece
  }
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const dir = await mkdtemp(join(tmpdir(), 'safemesh-peak-memory-'))
try {
  console.log(`Peak-memory run: ${totalMiB} MiB stream, chunks stored in ${dir} (Node ${process.version})`)
  console.log(`  baseline peak RSS: ${peakRssMb().toFixed(0)} MB`)

  const sourceHash = createHash('sha3-256')
  let started = performance.now()
  const { dataMap, size } = await selfEncrypt(generated(total, sourceHash), {
    onChunk: async ({ name, content }) => { await writeFile(join(dir, hex(name)), content) }
  })
  const encryptMs = performance.now() - started
  const chunkCount = dataMap.kind === 'chunks' ? dataMap.chunks.length : 0
  console.log(`  encrypted ${size} bytes into ${chunkCount} chunks in ${(encryptMs / 1000).toFixed(1)} s (${mbPerSecond(size, encryptMs).toFixed(0)} MB/s incl. disk writes); peak RSS so far: ${peakRssMb().toFixed(0)} MB`)

  const plainHash = createHash('sha3-256')
  started = performance.now()
  let decrypted = 0
  const fetchChunk = async (name: Uint8Array): Promise<Uint8Array> => await readFile(join(dir, hex(name)))
  for await (const piece of selfDecrypt(dataMap, fetchChunk, { concurrency: 4 })) {
    plainHash.update(piece)
    decrypted += piece.length
  }
  const decryptMs = performance.now() - started
  const same = plainHash.digest('hex') === sourceHash.digest('hex') && decrypted === total
  console.log(`  decrypted ${decrypted} bytes in ${(decryptMs / 1000).toFixed(1)} s (${mbPerSecond(decrypted, decryptMs).toFixed(0)} MB/s incl. disk reads); plaintext SHA3-256 matches: ${same}`)
  const peak = peakRssMb()
  console.log(`  peak RSS (process.resourceUsage().maxRSS): ${peak.toFixed(0)} MB — target < 200 MB: ${peak < 200 ? 'ok' : 'EXCEEDED'}`)
  if (!same || peak >= 200) process.exitCode = 1
} finally {
  await rm(dir, { recursive: true, force: true })
}
