import { afterEach, describe, expect, it } from 'vitest'
import { messageBytes } from '../../src/peer/transport/native-channel.js'
import { offerAsDtlsClient } from '../../src/peer/transport/dtls-role.js'
import type { Transport } from '../../src/peer/transport/transport.js'
import { createSimplePeer, nativeChannelOfPeer, waitConnected, webrtcTransport, type SimplePeer } from '../../src/peer/transport/webrtc-transport.js'

const peers: SimplePeer[] = []
const transports: Transport[] = []
afterEach(() => {
  for (const t of transports.splice(0)) t.close()
  for (const p of peers.splice(0)) p.destroy()
})

async function connectedPeers (): Promise<[SimplePeer, SimplePeer]> {
  const a = createSimplePeer({ initiator: true, trickle: true })
  const b = createSimplePeer({ trickle: true })
  peers.push(a, b)
  a.on('signal', (signal) => { if (!b.destroyed) b.signal(offerAsDtlsClient(signal)) })
  b.on('signal', (signal) => { if (!a.destroyed) a.signal(signal) })
  await Promise.all([waitConnected(a, 10_000), waitConnected(b, 10_000)])
  return [a, b]
}

describe('the native data channel under the polyfill', () => {
  it('is found on both sides: the one the offerer made and the one the answerer received', async () => {
    const [a, b] = await connectedPeers()
    const label = (a._channel as unknown as { label: string }).label
    expect(nativeChannelOfPeer(a)?.getLabel()).toBe(label)
    expect(nativeChannelOfPeer(b)?.getLabel()).toBe(label)
  })

  it('carries the transport\'s frames both ways, and the polyfill no longer dispatches them', async () => {
    const [a, b] = await connectedPeers()
    const [ta, tb] = [webrtcTransport(a, { remoteLabel: 'b' }), webrtcTransport(b, { remoteLabel: 'a' })]
    transports.push(ta, tb)
    let polyfillEvents = 0
    const polyfillChannel = b._channel as unknown as EventTarget
    polyfillChannel.addEventListener('message', () => { polyfillEvents++ })
    const atB = new Promise<Uint8Array>((resolve) => tb.onFrame(resolve))
    const atA = new Promise<Uint8Array>((resolve) => ta.onFrame(resolve))
    await ta.send(Uint8Array.of(1, 2, 3))
    // a frame bigger than the pause threshold's share: sends keep their order through the native queue
    await tb.send(new Uint8Array(64 * 1024).fill(7))
    expect([...await atB]).toEqual([1, 2, 3])
    const big = await atA
    expect(big.byteLength).toBe(64 * 1024)
    expect(big.every((v) => v === 7)).toBe(true)
    expect(polyfillEvents).toBe(0)
  })
})

describe('messageBytes', () => {
  it('gives a binary message\'s bytes as a plain Uint8Array view, without copying', () => {
    const backing = Buffer.from([9, 1, 2, 3, 9])
    const bytes = messageBytes(backing.subarray(1, 4))
    expect(Buffer.isBuffer(bytes)).toBe(false)
    expect([...bytes]).toEqual([1, 2, 3])
    backing[2] = 42
    expect(bytes[1]).toBe(42)
    // Uint8Array#slice copies (Buffer#slice would not): decoders rely on that
    expect(bytes.slice(0, 1).buffer).not.toBe(backing.buffer)
  })

  it('takes an ArrayBuffer as is and a text message as its UTF-8 bytes', () => {
    const buffer = new Uint8Array([5, 6]).buffer
    expect([...messageBytes(buffer)]).toEqual([5, 6])
    expect([...messageBytes('hé')]).toEqual([0x68, 0xc3, 0xa9])
  })
})
