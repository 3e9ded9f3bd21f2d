import { PeerConnection, type DataChannel, type DataChannelInitConfig, type RtcConfig } from 'node-datachannel'

/**
 * The native node-datachannel objects behind the polyfill's RTCPeerConnection and RTCDataChannel.
 *
 * why: the polyfill hands every received message through an EventTarget (a MessageEvent and a
 * dispatch per message, both peers' main threads) and keeps its native channel private. Once a
 * channel is open, the transport takes messages, sends and the buffered-amount signal from the
 * native channel itself, like the raw bench does; signalling, ICE and closing stay with the
 * polyfill and simple-peer. The polyfill takes an existing native PeerConnection in its config
 * (`peerConnection`), so a subclass that notes each channel it makes or receives is enough.
 */

/** The slice of node-datachannel's native DataChannel the transport uses. */
export interface NativeChannel {
  getLabel: () => string
  sendMessageBinary: (data: Uint8Array) => boolean
  bufferedAmount: () => number
  setBufferedAmountLowThreshold: (bytes: number) => void
  onBufferedAmountLow: (cb: () => void) => void
  onMessage: (cb: (msg: string | Buffer | ArrayBuffer) => void) => void
}

/** What the polyfill reads of an RTCIceServer (the DOM type is not in this project's lib). */
interface IceServerLike { urls: string | string[], username?: string, credential?: string }

class NotingPeerConnection extends PeerConnection {
  /** every channel of this connection, by label (a channel dropped from here could be garbage-collected mid-transfer) */
  readonly channels = new Map<string, NativeChannel>()

  override createDataChannel (label: string, config?: DataChannelInitConfig): DataChannel {
    const channel = super.createDataChannel(label, config)
    this.channels.set(label, channel)
    return channel
  }

  override onDataChannel (cb: (dc: DataChannel) => void): void {
    super.onDataChannel((channel) => {
      this.channels.set(channel.getLabel(), channel)
      cb(channel)
    })
  }
}

/**
 * A native PeerConnection for the polyfill's `config.peerConnection`, made from an
 * RTCConfiguration exactly as the polyfill makes its own (TURN credentials go into the URL).
 */
export function notingPeerConnection (config: Record<string, unknown> = {}): PeerConnection {
  const servers = (config.iceServers ?? []) as IceServerLike[]
  const iceServers = servers.flatMap((server) => (Array.isArray(server.urls) ? server.urls : [server.urls]).map((url) => {
    if (server.username === undefined || server.username === '' || server.credential === undefined || server.credential === '') return url
    const [protocol, rest] = url.split(/:(.*)/)
    return `${protocol}:${server.username}:${server.credential}@${rest}`
  }))
  const identity = typeof config.peerIdentity === 'string' ? config.peerIdentity : `peer-${Math.random().toString(36).slice(2, 9)}`
  return new NotingPeerConnection(identity, { ...config, iceServers } as RtcConfig)
}

/** The native channel `label` of a connection made with notingPeerConnection, or undefined. */
export function nativeChannelOf (pc: unknown, label: string): NativeChannel | undefined {
  return pc instanceof NotingPeerConnection ? pc.channels.get(label) : undefined
}

/** A native message as bytes: a view of a Buffer (not the Buffer: Buffer#slice shares memory where Uint8Array#slice copies). */
export function messageBytes (msg: string | Buffer | ArrayBuffer): Uint8Array {
  if (typeof msg === 'string') return new TextEncoder().encode(msg)
  if (msg instanceof ArrayBuffer) return new Uint8Array(msg)
  return new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength)
}
