import { describe, expect, it } from 'vitest'
import { NetworkFileError, parseNetworkFile } from '../src/index.js'

const bootstrap = ['/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN']

describe('network.json', () => {
  it('reads the network salt (64 hex digits, lowercased); it is optional', () => {
    expect(parseNetworkFile({ bootstrap, salt: 'AB'.repeat(32) })).toEqual({ bootstrap, salt: 'ab'.repeat(32) })
    expect(parseNetworkFile({ bootstrap, groupSize: 8 })).toEqual({ bootstrap, groupSize: 8 })
  })

  it('refuses a salt that is not 32 bytes of hex', () => {
    for (const salt of ['ab'.repeat(31), 'ab'.repeat(33), 'zz'.repeat(32), 42, null, ['ab']]) {
      expect(() => parseNetworkFile({ bootstrap, salt }, 'net.json')).toThrow(NetworkFileError)
      expect(() => parseNetworkFile({ bootstrap, salt }, 'net.json')).toThrow('net.json: "salt" must be 32 bytes as 64 hex digits')
    }
  })
})
