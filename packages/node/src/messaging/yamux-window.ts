import { StreamState, YamuxStream } from '@chainsafe/libp2p-yamux/stream'

/** The parts of a yamux stream's receive window that the patch below reads (private in the typings). */
interface ReceiveWindow {
  state: StreamState
  recvWindow: number
  recvWindowCapacity: number
}

let installed = false

/**
 * Makes yamux acknowledge received data the way the reference implementation
 * (hashicorp/yamux) does: a window update once at least half of the receive
 * window has been consumed, not after every data frame.
 *
 * @chainsafe/libp2p-yamux 8.0.1 answers every data frame with a window update,
 * so each SafeMesh message (one small frame) cost two frames, two Noise
 * encryptions and two socket writes each way; profiles of a 16-node testnet
 * put `sendWindowUpdate` at ~10 % of all node CPU during mutations. The sender
 * still always has at least half a window to write into, so throughput is
 * unchanged. Streams that are opening (SYN/ACK still to send) or paused keep
 * the library's behaviour.
 */
export function installYamuxWindowBatching (): void {
  if (installed) return
  installed = true
  const prototype = YamuxStream.prototype as unknown as { sendWindowUpdate: (this: ReceiveWindow) => void }
  const sendWindowUpdate = prototype.sendWindowUpdate
  prototype.sendWindowUpdate = function (this: ReceiveWindow): void {
    const settled = this.state === StreamState.Established || this.state === StreamState.SYNSent
    if (settled && this.recvWindowCapacity > this.recvWindow / 2) return
    sendWindowUpdate.call(this)
  }
}
