import { StreamState, YamuxStream } from '@chainsafe/libp2p-yamux/stream'

/** The parts of a yamux stream's receive window that the patch below reads (private in the typings). */
interface ReceiveWindow {
  state: StreamState
  recvWindow: number
  recvWindowCapacity: number
}

let installed = false

/**
 * Makes yamux send a window update once half the receive window is consumed, not after every data
 * frame (hashicorp/yamux's rule; figures in docs/decisions.md). Patches the library's prototype for
 * the whole process, so only node hosts install it.
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
