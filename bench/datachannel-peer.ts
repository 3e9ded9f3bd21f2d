import nodeDataChannel from 'node-datachannel'
import { createHash } from 'node:crypto'
import { closeSync, openSync, readSync, writeSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { MAX_FRAME } from '../src/peer/transport/transport.js'
import { LOOPBACK_RTC_CONFIG, PAUSE_BUFFERED_BYTES, RESUME_BUFFERED_BYTES } from '../src/peer/transport/webrtc-transport.js'

/**
 * One end of a raw node-datachannel transfer in a process of its own, for the between-processes
 * baseline of the WebRTC sync figure. The parent relays signalling lines between the two ends.
 *
 *   node dist/bench/datachannel-peer.js send|receive <bytes> raw|store <file>
 *
 * raw: 64 KiB messages of one buffer, nothing else. store: the least a verifying store adds to the
 * wire, and nothing of our protocol: the sender reads each message from <file>, the receiver
 * hashes it (SHA-256) and appends it to <file> in 2 MiB writes.
 * Prints JSON lines: signalling, then {"start": ms} (sender) or {"end": ms} (receiver), on the
 * shared clock performance.timeOrigin + performance.now().
 */
const [role, bytesArg, mode, file] = process.argv.slice(2)
const bytes = Number(bytesArg)
const now = (): number => performance.timeOrigin + performance.now()
const say = (msg: unknown): void => { process.stdout.write(JSON.stringify(msg) + '\n') }
const WRITE_BATCH = 2 * 1024 * 1024

const peer = new nodeDataChannel.PeerConnection(role, { iceServers: [], bindAddress: LOOPBACK_RTC_CONFIG.bindAddress })
// why: libdatachannel throws ("remote candidate without ICE transport") for a remote candidate
// that comes before its ICE transport exists, and on the answering side that is only certain
// once the answer has been made: candidates wait until both descriptions are there
let described = { local: false, remote: false }
const early: Array<{ candidate: string, mid: string }> = []
function addCandidates (): void {
  if (described.local && described.remote) for (const c of early.splice(0)) peer.addRemoteCandidate(c.candidate, c.mid)
}
peer.onLocalDescription((sdp, type) => {
  say({ sdp, type })
  described = { ...described, local: true }
  addCandidates()
})
peer.onLocalCandidate((candidate, mid) => say({ candidate, mid }))
createInterface({ input: process.stdin }).on('line', (line) => {
  const msg = JSON.parse(line) as { sdp?: string, type?: string, candidate?: string, mid?: string }
  if (msg.sdp !== undefined) {
    peer.setRemoteDescription(msg.sdp, msg.type as nodeDataChannel.DescriptionType)
    described = { ...described, remote: true }
  } else if (msg.candidate !== undefined) {
    early.push({ candidate: msg.candidate, mid: msg.mid ?? '0' })
  }
  addCandidates()
})

if (role === 'receive') {
  // why: a DataChannel only referenced by its callbacks is garbage-collected mid-transfer
  const channels: nodeDataChannel.DataChannel[] = []
  peer.onDataChannel((channel) => {
    channels.push(channel)
    const fd = mode === 'store' ? openSync(file, 'w') : -1
    const batch = Buffer.allocUnsafe(WRITE_BATCH)
    let used = 0
    let written = 0
    let got = 0
    channel.onMessage((msg) => {
      const data = msg as Buffer
      got += data.byteLength
      if (fd >= 0) {
        createHash('sha256').update(data).digest()
        if (used + data.byteLength > WRITE_BATCH) {
          written += writeSync(fd, batch, 0, used, written)
          used = 0
        }
        used += data.copy(batch, used)
      }
      if (got < bytes) return
      if (fd >= 0) {
        writeSync(fd, batch, 0, used, written)
        closeSync(fd)
      }
      say({ end: now(), channels: channels.length })
    })
  })
} else {
  const channel = peer.createDataChannel('bench')
  channel.onOpen(() => { void send() })
  async function send (): Promise<void> {
    channel.setBufferedAmountLowThreshold(RESUME_BUFFERED_BYTES)
    let resume: (() => void) | undefined
    channel.onBufferedAmountLow(() => { resume?.(); resume = undefined })
    const fd = mode === 'store' ? openSync(file, 'r') : -1
    const message = Buffer.alloc(MAX_FRAME, 0x5a)
    say({ start: now() })
    for (let sent = 0; sent < bytes; sent += message.byteLength) {
      if (fd >= 0) readSync(fd, message, 0, message.byteLength, sent)
      channel.sendMessageBinary(message)
      if (channel.bufferedAmount() > PAUSE_BUFFERED_BYTES) await new Promise<void>((resolve) => { resume = resolve })
    }
  }
}
