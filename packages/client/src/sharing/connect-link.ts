/** A client that runs as a link's key: what reads `link:<link>/…` (`fs`), since the gate names that key. */
import { cryptoReady } from '@safemesh/crypto'
import { MeshClient, type ClientOptions, type SafeMeshClient } from '../client.js'
import { decodeLink, linkKeys } from './link.js'

/** Joins the network as the link's key (no account: reads only); `client.fs.list(\`link:${link}\`)` then reads the share. */
export async function connectLink (link: string, options: ClientOptions): Promise<SafeMeshClient> {
  await cryptoReady()
  return await MeshClient.connect({ ...options, keys: linkKeys(decodeLink(link).seed) })
}
