import { connect, createServer, type Server, type Socket } from 'node:net'
import { GasError } from '../src/errors.js'
import { TransportBase, checkFrame, peerLost, type Transport } from '../src/peer/transport/transport.js'

/**
 * Frames over a TCP socket (<length u32><frame>): lets a sync run across processes on one machine
 * (the kill-and-resume scenario) without WebRTC. Backpressure is the socket's: send() waits for
 * 'drain' when the kernel buffer is full.
 */

/** why: a frame is at most MAX_FRAME; a larger length means the stream is garbage */
const MAX_LENGTH = 64 * 1024

class SocketTransport extends TransportBase {
  readonly #socket: Socket
  #pending: Buffer = Buffer.alloc(0)

  constructor (socket: Socket, remoteLabel: string) {
    super(remoteLabel)
    this.#socket = socket
    socket.setNoDelay(true)
    socket.on('data', (data: Buffer) => this.#onData(data))
    socket.on('close', () => this.finish(peerLost(this.remoteLabel, 'socket closed')))
    socket.on('error', () => { /* 'close' follows */ })
  }

  async send (frame: Uint8Array): Promise<void> {
    if (this.closed) throw peerLost(this.remoteLabel, 'transport closed')
    checkFrame(frame)
    const header = Buffer.alloc(4)
    header.writeUInt32BE(frame.byteLength)
    this.#socket.write(header)
    if (this.#socket.write(frame)) return
    await new Promise<void>((resolve, reject) => {
      const onDrain = (): void => { this.#socket.off('close', onClose); resolve() }
      const onClose = (): void => { this.#socket.off('drain', onDrain); reject(peerLost(this.remoteLabel, 'socket closed')) }
      this.#socket.once('drain', onDrain)
      this.#socket.once('close', onClose)
    })
  }

  close (): void {
    if (!this.finish()) return
    this.#socket.end()
  }

  #onData (data: Buffer): void {
    let buf = this.#pending.length === 0 ? data : Buffer.concat([this.#pending, data])
    while (buf.length >= 4) {
      const length = buf.readUInt32BE(0)
      if (length > MAX_LENGTH) {
        this.finish(GasError.frameLength(`socket frame of ${length} bytes`))
        this.#socket.destroy()
        return
      }
      if (buf.length < 4 + length) break
      this.deliver(buf.subarray(4, 4 + length))
      buf = buf.subarray(4 + length)
    }
    this.#pending = Buffer.from(buf)
  }
}

export function socketTransport (socket: Socket, remoteLabel: string): Transport {
  return new SocketTransport(socket, remoteLabel)
}

export async function connectSocket (port: number, remoteLabel = `tcp:${port}`): Promise<Transport> {
  const socket = connect({ port, host: '127.0.0.1' })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  return socketTransport(socket, remoteLabel)
}

/** Listens on 127.0.0.1 (a free port); `onTransport` gets each connection. */
export async function listenSocket (onTransport: (t: Transport) => void): Promise<{ server: Server, port: number }> {
  let n = 0
  const server = createServer((socket) => onTransport(socketTransport(socket, `tcp-client-${++n}`)))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return { server, port: address.port }
}
