import nodeDataChannel from 'node-datachannel'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { MAX_FRAME } from '../src/peer/transport/transport.js'
import { LOOPBACK_RTC_CONFIG, PAUSE_BUFFERED_BYTES, RESUME_BUFFERED_BYTES, connectPair } from '../src/peer/transport/webrtc-transport.js'
import { formatFigure, type Figure } from './figure.js'

/**
 * Data-channel throughput on 127.0.0.1: node-datachannel driven directly (the ceiling) against
 * our webrtcTransport (simple-peer + node-datachannel's polyfill on the same library), same message size
 * (64 KiB) and the same flow control (pause above 4 MiB buffered, resume at 1 MiB).
 */

const MB = 1e6

/** MB/s through one node-datachannel DataChannel, two PeerConnections in this process. */
export async function benchRawDataChannel (bytes: number): Promise<number> {
  const config = { iceServers: [], bindAddress: LOOPBACK_RTC_CONFIG.bindAddress }
  const offerer = new nodeDataChannel.PeerConnection('bench-offerer', config)
  const answerer = new nodeDataChannel.PeerConnection('bench-answerer', config)
  offerer.onLocalDescription((sdp, type) => answerer.setRemoteDescription(sdp, type))
  answerer.onLocalDescription((sdp, type) => offerer.setRemoteDescription(sdp, type))
  offerer.onLocalCandidate((candidate, mid) => answerer.addRemoteCandidate(candidate, mid))
  answerer.onLocalCandidate((candidate, mid) => offerer.addRemoteCandidate(candidate, mid))
  // why: a DataChannel only referenced by its callbacks is garbage-collected mid-transfer and goes silent
  let incoming: nodeDataChannel.DataChannel | undefined
  try {
    const received = new Promise<number>(done => {
      answerer.onDataChannel(channel => {
        incoming = channel
        let got = 0
        channel.onMessage(msg => {
          got += typeof msg === 'string' ? Buffer.byteLength(msg) : msg.byteLength
          if (got >= bytes) done(performance.now())
        })
      })
    })
    const channel = offerer.createDataChannel('bench')
    await new Promise<void>(open => channel.onOpen(open))
    channel.setBufferedAmountLowThreshold(RESUME_BUFFERED_BYTES)
    let resume: (() => void) | undefined
    channel.onBufferedAmountLow(() => { resume?.(); resume = undefined })
    const message = Buffer.alloc(MAX_FRAME, 0x5a)
    const start = performance.now()
    for (let sent = 0; sent < bytes; sent += message.byteLength) {
      channel.sendMessageBinary(message)
      if (channel.bufferedAmount() > PAUSE_BUFFERED_BYTES) await new Promise<void>(r => { resume = r })
    }
    const end = await received
    channel.close()
    incoming?.close()
    return bytes / MB / ((end - start) / 1000)
  } finally {
    offerer.close()
    answerer.close()
  }
}

/** MB/s through webrtcTransport (connectPair), 64 KiB frames. */
export async function benchTransport (bytes: number): Promise<number> {
  const [a, b] = await connectPair()
  try {
    let got = 0
    const received = new Promise<number>(done => b.onFrame(frame => {
      got += frame.byteLength
      if (got >= bytes) done(performance.now())
    }))
    const frame = new Uint8Array(MAX_FRAME).fill(0x5a)
    const start = performance.now()
    for (let sent = 0; sent < bytes; sent += frame.byteLength) await a.send(frame)
    const end = await received
    return bytes / MB / ((end - start) / 1000)
  } finally {
    a.close()
    b.close()
  }
}

/** Both figures; the transport must keep at least 80% of the raw channel's throughput. */
export async function datachannelFigures (bytes = 256 * 1024 * 1024): Promise<Figure[]> {
  const raw = await benchRawDataChannel(bytes)
  const transport = await benchTransport(bytes)
  return [
    { name: 'node-datachannel raw (1 channel, 64 KiB messages)', value: raw, unit: 'MB/s' },
    {
      name: 'webrtcTransport (simple-peer + polyfill)',
      value: transport,
      unit: 'MB/s',
      compare: { name: 'raw node-datachannel', value: raw, unit: 'MB/s' },
      floor: '>= 0.8x raw',
      pass: transport >= 0.8 * raw
    }
  ]
}

const invokedDirectly = process.argv[1] !== undefined && resolve(process.argv[1]).replace(/\.ts$/, '.js') === fileURLToPath(import.meta.url).replace(/\.ts$/, '.js')
if (invokedDirectly) {
  const mib = Number(process.argv[2] ?? 256)
  const figures = await datachannelFigures(mib * 1024 * 1024)
  for (const f of figures) console.log(formatFigure(f))
  // why: node-datachannel's native threads keep the process alive after the last connection
  nodeDataChannel.cleanup()
}
