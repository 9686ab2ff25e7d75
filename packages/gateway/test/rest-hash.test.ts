import { describe, expect, it } from 'vitest'
import { dataHash, dataPath, hashOfNote, hashOfPath, parseDataHash, sha256Hex, sha256OfStream } from '../src/rest/data-hash.js'

// sha256("hello world"), a known value.
const HELLO = 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9'

describe('data hashes', () => {
  it('are the sha256 of the plaintext, whole or streamed', async () => {
    const bytes = new TextEncoder().encode('hello world')
    expect(sha256Hex(bytes)).toBe(HELLO)
    expect(await sha256OfStream((async function * () { yield bytes.subarray(0, 4); yield bytes.subarray(4) })())).toBe(HELLO)
    expect(dataHash(HELLO)).toBe(`sha256:${HELLO}`)
  })

  it('parse as sha256:<hex> or <hex>, in any case, to lowercase hex', () => {
    expect(parseDataHash(`sha256:${HELLO}`)).toBe(HELLO)
    expect(parseDataHash(HELLO.toUpperCase())).toBe(HELLO)
    expect(parseDataHash(`SHA256:${HELLO}`)).toBe(HELLO)
    for (const bad of ['', 'sha256:', `sha256:${HELLO.slice(1)}`, `${HELLO}0`, `md5:${HELLO}`, `sha256:${'g'.repeat(64)}`, 'list']) {
      expect(() => parseDataHash(bad), bad).toThrow(expect.objectContaining({ status: 400, code: 'InvalidRequest' }))
    }
  })

  it('find a share by its content-addressed path or its note, and by nothing else', () => {
    expect(dataPath(HELLO)).toBe(`_documents/shared/${HELLO}`)
    expect(hashOfPath(dataPath(HELLO))).toBe(HELLO)
    for (const path of ['_documents/report.pdf', `_documents/shared/${HELLO}/x`, `_documents/other/${HELLO}`, `_documents/shared/${HELLO.toUpperCase()}`]) {
      expect(hashOfPath(path), path).toBeUndefined()
    }
    expect(hashOfNote(`sha256:${HELLO}`)).toBe(HELLO)
    expect(hashOfNote(`sha256:${HELLO} the quarterly figures`)).toBe(HELLO)
    for (const note of [undefined, '', 'my records', `see sha256:${HELLO}`, `sha256:${HELLO}x`]) expect(hashOfNote(note), String(note)).toBeUndefined()
  })
})
