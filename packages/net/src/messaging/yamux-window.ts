import { yamux } from '@chainsafe/libp2p-yamux'
import { StreamState } from '@chainsafe/libp2p-yamux/stream'
import type { YamuxStream } from '@chainsafe/libp2p-yamux/stream'

/** The parts of a yamux stream's receive window read here (private in the typings). */
interface ReceiveWindow {
  state: StreamState
  recvWindow: number
  recvWindowCapacity: number
  sendWindowUpdate: () => void
}

/** The muxer's private stream factory, wrapped per connection. */
interface StreamFactory {
  _newStream: (...args: unknown[]) => YamuxStream
}

type MuxerFactory = ReturnType<ReturnType<typeof yamux>>

/**
 * Yamux that sends a window update once half the receive window is consumed, not after every data
 * frame (hashicorp/yamux's rule; figures in docs/decisions.md). Only the streams of the hosts built
 * with it change: the library's classes are left alone for the rest of the process.
 */
export function windowBatchingYamux (): ReturnType<typeof yamux> {
  const make = yamux()
  return () => {
    const factory: MuxerFactory = make()
    const createStreamMuxer = factory.createStreamMuxer.bind(factory)
    factory.createStreamMuxer = (maConn) => {
      const muxer = createStreamMuxer(maConn)
      const streams = muxer as unknown as StreamFactory
      const newStream = streams._newStream.bind(muxer)
      streams._newStream = (...args) => batchWindowUpdates(newStream(...args))
      return muxer
    }
    return factory
  }
}

function batchWindowUpdates (stream: YamuxStream): YamuxStream {
  const window = stream as unknown as ReceiveWindow
  const sendWindowUpdate = window.sendWindowUpdate.bind(stream)
  window.sendWindowUpdate = () => {
    // Streams still opening (SYN/ACK to send) or paused keep the library's behaviour.
    const settled = window.state === StreamState.Established || window.state === StreamState.SYNSent
    if (settled && window.recvWindowCapacity > window.recvWindow / 2) return
    sendWindowUpdate()
  }
  return stream
}
