import { GasError } from '../../errors.js'
import { BLOCK_HEADER_BYTES } from './block-fragments.js'
import { FrameReader, FrameWriter, ID_BYTES, isHexId } from './frame.js'
import { GOODBYE, HELLO, REFS } from './json-messages.js'
import { LARGE_FRAME, MAX_FRAME } from '../transport/transport.js'

export { BLOCK_FRAGMENT_BYTES, BLOCK_HEADER_BYTES, BlockAssembler, MAX_PENDING_BLOCK_BYTES, fragmentBlock } from './block-fragments.js'
export type { AssembledObject } from './block-fragments.js'
export { MAX_GOODBYE_BYTES, MAX_HELLO_BYTES, MAX_REFS, MAX_REF_NAME_BYTES, chunkRefs } from './json-messages.js'

/**
 * The wire protocol: every frame is
 *   <frame version u8 = 1><message id u8><payload>
 * Integers are big-endian. Object ids are 32 raw bytes on the wire, 64-char lower-case hex here.
 * Decoders read exactly the frame: short or trailing bytes throw E_FRAME_LENGTH.
 *
 * How it grows (see README "Protocol"): the frame version changes only if the framing itself
 * does, and a frame of another version is refused (E_PROTOCOL_VERSION). Everything else grows
 * inside version 1 frames: HELLO carries the protocol `version` and a `capabilities` list; new
 * messages get new ids and are sent only to peers that list their capability; a message id we do
 * not know is counted and skipped (`isKnownMessageId`), never fatal.
 */
export const FRAME_VERSION = 1
/**
 * The protocol revision in HELLO. 1: the first release (no version field; "done" was an empty
 * CANCEL, "end of refs" an empty REFS, no certificate). 2: HELLO carries version, capabilities
 * and the member's certificate, signatures bind both nonces; DONE, END_OF_REFS and GOODBYE.
 */
export const PROTOCOL_VERSION = 2
/** What this build understands beyond version 1; a peer sends a newer message only to a peer listing it. */
export const CAPABILITIES = ['done', 'end-of-refs', 'goodbye', 'dont-have-reason', 'large-frames', 'busy'] as const
export type Capability = typeof CAPABILITIES[number]
export const FRAME_HEADER_BYTES = 2

/** why: ids lists must fit one frame: header 2 + mode/priority 2 + count 2 + 32 per id */
export const MAX_IDS_PER_MESSAGE = Math.floor((MAX_FRAME - FRAME_HEADER_BYTES - 4) / ID_BYTES)

export type ObjectIdHex = string

/** A member's certificate as it travels in HELLO; src/auth checks it (the peer layer only carries it). */
export interface HelloCertificate {
  team: string
  member: { name: string, publicKey: string, roles: string[] }
  signature: string
  /** the admin's own certificate (signed by the team root key) when an admin signed this one */
  issuer?: HelloCertificate
}

export interface HelloMessage {
  type: 'HELLO'
  /** protocol revision (PROTOCOL_VERSION); 1 when the peer's HELLO has none */
  version: number
  /** optional features the peer understands (CAPABILITIES of its build) */
  capabilities: string[]
  peerId: string
  name: string
  /** Ed25519 public key, 32 bytes hex */
  publicKey: string
  teamId: string | null
  /** challenge for the remote to sign, 32 bytes hex */
  nonce: string
  /** signature over the remote's nonce (and, from version 2, its own), 64 bytes hex; null before the challenge is known */
  signature: string | null
  /** the member's certificate, in the signed HELLO (version 2) */
  certificate: HelloCertificate | null
  /** the member's transfer windows (README "Transfer windows"), so the other side can plan when both are open; absent: no limits said */
  schedule?: HelloSchedule
}
/** Windows as their text (`Mon-Fri 22:00-07:00 Asia/Tokyo 20MB/s`) and the limits in bytes/s; the receiver parses them again and ignores what does not parse. */
export interface HelloSchedule { windows: string[], limit?: number, outsideLimit?: number }
export interface RefsMessage { type: 'REFS', refs: Array<{ name: string, id: ObjectIdHex }> }
export type WantMode = 'have' | 'block'
export interface WantMessage { type: 'WANT', ids: ObjectIdHex[], mode: WantMode, priority: number }
export interface HaveMessage { type: 'HAVE', ids: ObjectIdHex[] }
export interface DontHaveMessage { type: 'DONT_HAVE', ids: ObjectIdHex[] }
export interface CancelMessage { type: 'CANCEL', ids: ObjectIdHex[] }
/** DONT_HAVE with why (capability `dont-have-reason`; other peers get a plain DONT_HAVE). A reason this build does not know reads as 'unknown' and means what DONT_HAVE means. */
export interface DontHaveReasonMessage { type: 'DONT_HAVE_REASON', reason: DontHaveReason, ids: ObjectIdHex[] }
export type DontHaveReason = typeof DONT_HAVE_REASONS[number] | 'unknown'
export interface BlockMessage {
  type: 'BLOCK'
  id: ObjectIdHex
  objectType: number
  /** 0 raw, 1 zstd */
  encoding: number
  /** length of the decoded object (= totalLength when raw): the receiver stores the zstd bytes without decoding them to learn it; the store's verification decodes once */
  rawLength: number
  /** length of the whole (encoded) object; fragments carry `offset` into it */
  totalLength: number
  offset: number
  /** a view into the received frame on decode; copy it to keep it past the frame */
  bytes: Uint8Array
}
/** BLOCK fragments of one or more objects sharing one frame: the tail of one object and the head of the next */
export interface BatchMessage { type: 'BATCH', blocks: BlockMessage[] }
/** BATCH with u32 entry lengths, for frames up to LARGE_FRAME (capability `large-frames`, stream transports only) */
export interface LargeBatchMessage { type: 'LARGE_BATCH', blocks: BlockMessage[] }
/** "I want nothing more from you" (capability `done`; version 1 peers get an empty CANCEL) */
export interface DoneMessage { type: 'DONE' }
/** "my advertisement is complete" (capability `end-of-refs`; version 1 peers get an empty REFS) */
export interface EndOfRefsMessage { type: 'END_OF_REFS' }
/** why the sender ends the connection (capability `goodbye`): a refusal reaches the refused side as a reason, not as a lost peer */
export interface GoodbyeMessage { type: 'GOODBYE', code: string, message: string }
/** "I take your versions after `ahead` other members' (capability `busy`): a serve's member waits its turn rather than leave */
export interface BusyMessage { type: 'BUSY', ahead: number }
export type Message = HelloMessage | RefsMessage | WantMessage | HaveMessage | DontHaveMessage | DontHaveReasonMessage | CancelMessage | BlockMessage | BatchMessage | LargeBatchMessage | DoneMessage | EndOfRefsMessage | GoodbyeMessage | BusyMessage
export type MessageType = Message['type']

export const BLOCK_ENCODING_RAW = 0
export const BLOCK_ENCODING_ZSTD = 1

export interface Codec<T> {
  readonly id: number
  /** payload size in bytes; validates the message (E_BAD_ARGUMENT) */
  preencode: (msg: T) => number
  encode: (msg: T, w: FrameWriter) => void
  decode: (r: FrameReader) => T
}

// ---- id lists ------------------------------------------------------------------------------

function checkIds (ids: unknown, what: string): void {
  if (!Array.isArray(ids)) throw GasError.badArgument(`${what} ids must be an array`)
  if (ids.length > MAX_IDS_PER_MESSAGE) throw GasError.badArgument(`${what} carries ${ids.length} ids, more than ${MAX_IDS_PER_MESSAGE} per frame; split it`)
  for (const id of ids) if (!isHexId(id)) throw GasError.badArgument(`${what} id ${String(id)} must be 64 lower-case hex chars`)
}

function writeIds (ids: string[], w: FrameWriter): void {
  w.u16(ids.length)
  for (const id of ids) w.id(id)
}

function readIds (r: FrameReader, what: string): string[] {
  const count = r.u16(`${what} count`)
  if (count * ID_BYTES !== r.remaining) throw GasError.frameLength(`${what} count ${count} needs ${count * ID_BYTES} bytes, ${r.remaining} follow`)
  const ids: string[] = new Array(count)
  for (let i = 0; i < count; i++) ids[i] = r.id()
  return ids
}

function idListCodec<T extends 'HAVE' | 'DONT_HAVE' | 'CANCEL'> (type: T, id: number): Codec<{ type: T, ids: string[] }> {
  return {
    id,
    preencode (msg) {
      checkIds(msg.ids, type)
      return 2 + msg.ids.length * ID_BYTES
    },
    encode (msg, w) { writeIds(msg.ids, w) },
    decode (r) { return { type, ids: readIds(r, type) } }
  }
}

/** Reasons by wire byte (index + 1; 0 is never sent). Append only: the bytes are API. */
export const DONT_HAVE_REASONS = ['access-denied'] as const

/** DONT_HAVE_REASON: <reason u8><count u16><id 32>×count */
const DONT_HAVE_REASON: Codec<DontHaveReasonMessage> = {
  id: 12,
  preencode (msg) {
    checkIds(msg.ids, 'DONT_HAVE_REASON')
    if (!(DONT_HAVE_REASONS as readonly string[]).includes(msg.reason)) throw GasError.badArgument(`DONT_HAVE_REASON reason must be one of ${DONT_HAVE_REASONS.join(', ')}, not ${String(msg.reason)}`)
    return 3 + msg.ids.length * ID_BYTES
  },
  encode (msg, w) {
    w.u8((DONT_HAVE_REASONS as readonly string[]).indexOf(msg.reason) + 1)
    writeIds(msg.ids, w)
  },
  decode (r) {
    const reasonByte = r.u8('DONT_HAVE_REASON reason')
    // why: a newer peer may give reasons we do not know; the ids are still not coming from it
    const reason = DONT_HAVE_REASONS[reasonByte - 1] ?? 'unknown'
    return { type: 'DONT_HAVE_REASON', reason, ids: readIds(r, 'DONT_HAVE_REASON') }
  }
}

const WANT_MODES: WantMode[] = ['have', 'block']

/** WANT: <mode u8: 0 have, 1 block><priority u8><count u16><id 32>×count */
const WANT: Codec<WantMessage> = {
  id: 3,
  preencode (msg) {
    checkIds(msg.ids, 'WANT')
    if (!WANT_MODES.includes(msg.mode)) throw GasError.badArgument(`WANT mode must be 'have' or 'block', not ${String(msg.mode)}`)
    if (!Number.isInteger(msg.priority) || msg.priority < 0 || msg.priority > 255) throw GasError.badArgument('WANT priority must be an integer 0..255')
    return 4 + msg.ids.length * ID_BYTES
  },
  encode (msg, w) {
    w.u8(WANT_MODES.indexOf(msg.mode))
    w.u8(msg.priority)
    writeIds(msg.ids, w)
  },
  decode (r) {
    const modeByte = r.u8('WANT mode')
    const mode = WANT_MODES[modeByte]
    if (mode === undefined) throw GasError.protocol(`WANT mode ${modeByte} is unknown`, { mode: modeByte })
    const priority = r.u8('WANT priority')
    return { type: 'WANT', ids: readIds(r, 'WANT'), mode, priority }
  }
}

// ---- BLOCK ---------------------------------------------------------------------------------

function isU32 (n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffffffff
}

/** BLOCK: <id 32><objectType u8><encoding u8: 0 raw, 1 zstd><rawLength u32><totalLength u32><offset u32><bytes…> (offset + bytes ≤ totalLength; raw: rawLength = totalLength) */
const BLOCK: Codec<BlockMessage> = {
  id: 6,
  preencode (msg) {
    if (!isHexId(msg.id)) throw GasError.badArgument('BLOCK id must be 64 lower-case hex chars')
    if (!Number.isInteger(msg.objectType) || msg.objectType < 0 || msg.objectType > 255) throw GasError.badArgument('BLOCK objectType must be 0..255')
    if (msg.encoding !== BLOCK_ENCODING_RAW && msg.encoding !== BLOCK_ENCODING_ZSTD) throw GasError.badArgument('BLOCK encoding must be 0 (raw) or 1 (zstd)')
    if (!isU32(msg.rawLength) || !isU32(msg.totalLength) || !isU32(msg.offset)) throw GasError.badArgument('BLOCK rawLength, totalLength and offset must be u32')
    if (!(msg.bytes instanceof Uint8Array)) throw GasError.badArgument('BLOCK bytes must be a Uint8Array')
    checkFragment(msg.encoding, msg.rawLength, msg.totalLength, msg.offset, msg.bytes.byteLength, GasError.badArgument)
    return BLOCK_HEADER_BYTES - FRAME_HEADER_BYTES + msg.bytes.byteLength
  },
  encode (msg, w) {
    w.id(msg.id)
    w.u8(msg.objectType)
    w.u8(msg.encoding)
    w.u32(msg.rawLength)
    w.u32(msg.totalLength)
    w.u32(msg.offset)
    w.raw(msg.bytes)
  },
  decode (r) {
    const id = r.id('BLOCK id')
    const objectType = r.u8('BLOCK objectType')
    const encoding = r.u8('BLOCK encoding')
    if (encoding !== BLOCK_ENCODING_RAW && encoding !== BLOCK_ENCODING_ZSTD) throw GasError.protocol(`BLOCK encoding ${encoding} is unknown`, { encoding })
    const rawLength = r.u32('BLOCK rawLength')
    const totalLength = r.u32('BLOCK totalLength')
    const offset = r.u32('BLOCK offset')
    const bytes = r.rest()
    checkFragment(encoding, rawLength, totalLength, offset, bytes.byteLength, GasError.frameLength)
    return { type: 'BLOCK', id, objectType, encoding, rawLength, totalLength, offset, bytes }
  }
}

function checkFragment (encoding: number, rawLength: number, totalLength: number, offset: number, length: number, fail: (why: string) => GasError): void {
  if (encoding === BLOCK_ENCODING_RAW && rawLength !== totalLength) throw fail(`raw BLOCK has rawLength ${rawLength} but totalLength ${totalLength}`)
  if (offset + length > totalLength) throw fail(`BLOCK fragment ${offset}+${length} runs past totalLength ${totalLength}`)
  // why: an empty fragment of a non-empty object advances nothing; only a 0-byte object is sent empty
  if (length === 0 && !(totalLength === 0 && offset === 0)) throw fail('BLOCK fragment is empty')
}

// ---- BATCH ---------------------------------------------------------------------------------

/** <count u16> after the frame header */
export const BATCH_HEADER_BYTES = FRAME_HEADER_BYTES + 2
/** each entry: <message id u8><length u16> and BLOCK's own header (id, type, encoding, lengths, offset) */
export const BATCH_ENTRY_HEADER_BYTES = 3 + BLOCK_HEADER_BYTES - FRAME_HEADER_BYTES
/**
 * why: a frame of tiny objects could hold ~1,300 entries; a decoded BATCH is an array of views, so
 * the cap bounds what one frame makes us allocate. A sender packing more starts a new frame.
 */
export const MAX_BATCH_ENTRIES = 1024

/** LARGE_BATCH entries: <message id u8><length u32> and BLOCK's own header */
export const LARGE_BATCH_ENTRY_HEADER_BYTES = BATCH_ENTRY_HEADER_BYTES + 2

/**
 * BATCH: <count u16>(<message id u8 = 6 (BLOCK)><length u16><BLOCK payload: length bytes>)×count
 * (1 ≤ count ≤ MAX_BATCH_ENTRIES). Fills frames: the data channel is limited by messages per
 * second, and an object of 64.8 KiB (the average chunk) would otherwise take two frames. Only
 * BLOCK may be batched (anything else is E_PROTOCOL); each entry decodes exactly as a BLOCK.
 * LARGE_BATCH: the same with <length u32>, so a whole chunk (up to 256 KiB) is one entry of a
 * LARGE_FRAME frame.
 */
function batchCodec<T extends 'BATCH' | 'LARGE_BATCH'> (type: T, id: number, lengthBytes: 2 | 4): Codec<{ type: T, blocks: BlockMessage[] }> {
  const maxEntry = lengthBytes === 2 ? 0xffff : 0xffffffff
  return {
    id,
    preencode (msg) {
      if (!Array.isArray(msg.blocks) || msg.blocks.length === 0) throw GasError.badArgument(`${type} blocks must be a non-empty array`)
      if (msg.blocks.length > MAX_BATCH_ENTRIES) throw GasError.badArgument(`${type} carries ${msg.blocks.length} blocks, more than ${MAX_BATCH_ENTRIES}`)
      let size = BATCH_HEADER_BYTES - FRAME_HEADER_BYTES
      for (const block of msg.blocks) {
        if (block?.type !== 'BLOCK') throw GasError.badArgument(`${type} carries only BLOCK messages`)
        const length = BLOCK.preencode(block)
        // why: any entry that fits a frame fits its length field; this only guards oversized input
        if (length > maxEntry) throw GasError.frameLength(`${type} entry of ${length} bytes does not fit a frame`)
        size += 1 + lengthBytes + length
      }
      return size
    },
    encode (msg, w) {
      w.u16(msg.blocks.length)
      for (const block of msg.blocks) {
        w.u8(BLOCK.id)
        const length = BLOCK_HEADER_BYTES - FRAME_HEADER_BYTES + block.bytes.byteLength
        if (lengthBytes === 2) w.u16(length)
        else w.u32(length)
        BLOCK.encode(block, w)
      }
    },
    decode (r) {
      const count = r.u16(`${type} count`)
      if (count === 0) throw GasError.protocol(`${type} carries no blocks`)
      if (count > MAX_BATCH_ENTRIES) throw GasError.frameLength(`${type} count ${count} exceeds ${MAX_BATCH_ENTRIES}`)
      const blocks: BlockMessage[] = new Array(count)
      for (let i = 0; i < count; i++) {
        const messageId = r.u8(`${type} entry message id`)
        if (messageId !== BLOCK.id) throw GasError.protocol(`${type} entry ${i} is message id ${messageId}; only BLOCK (${BLOCK.id}) may be batched`, { messageId })
        const length = lengthBytes === 2 ? r.u16(`${type} entry length`) : r.u32(`${type} entry length`)
        const entry = new FrameReader(r.raw(length, `${type} entry`))
        blocks[i] = BLOCK.decode(entry)
        entry.end()
      }
      return { type, blocks }
    }
  }
}

const BATCH = batchCodec('BATCH', 8, 2)

function emptyCodec<T extends 'DONE' | 'END_OF_REFS'> (type: T, id: number): Codec<{ type: T }> {
  return {
    id,
    preencode: () => 0,
    encode () {},
    decode: () => ({ type })
  }
}

/** BUSY: <ahead u16> */
const BUSY: Codec<BusyMessage> = {
  id: 14,
  preencode (msg) {
    if (!Number.isInteger(msg.ahead) || msg.ahead < 0 || msg.ahead > 0xffff) throw GasError.badArgument(`BUSY ahead must be an integer 0..65535, got ${String(msg.ahead)}`)
    return 2
  },
  encode (msg, w) { w.u16(msg.ahead) },
  decode: (r) => ({ type: 'BUSY', ahead: r.u16('BUSY ahead') })
}

/** The wire table. Ids are API: never renumber a row, add new ones at the end. */
export const MESSAGES = {
  HELLO,
  REFS,
  WANT,
  HAVE: idListCodec('HAVE', 4), // HAVE: <count u16><id 32>×count
  DONT_HAVE: idListCodec('DONT_HAVE', 5), // DONT_HAVE: <count u16><id 32>×count
  BLOCK,
  CANCEL: idListCodec('CANCEL', 7), // CANCEL: <count u16><id 32>×count
  BATCH,
  DONE: emptyCodec('DONE', 9), // DONE: no payload
  END_OF_REFS: emptyCodec('END_OF_REFS', 10), // END_OF_REFS: no payload
  GOODBYE,
  DONT_HAVE_REASON,
  LARGE_BATCH: batchCodec('LARGE_BATCH', 13, 4),
  BUSY
} as const satisfies { [K in MessageType]: Codec<Extract<Message, { type: K }>> }

const BY_ID = new Map<number, Codec<Message>>(
  Object.values(MESSAGES).map(codec => [codec.id, codec as unknown as Codec<Message>])
)

/**
 * `into`: a scratch buffer of `maxFrame` bytes to encode into (the frame is a view of it), for
 * transports that copy on send. `maxFrame`: LARGE_FRAME only towards a peer that said 'large-frames'.
 */
export function encodeMessage (msg: Message, into?: Uint8Array, maxFrame = MAX_FRAME): Uint8Array {
  const codec = MESSAGES[msg.type] as unknown as Codec<Message> | undefined
  if (codec === undefined) throw GasError.badArgument(`unknown message type ${String((msg as { type: unknown }).type)}`)
  const size = FRAME_HEADER_BYTES + codec.preencode(msg)
  if (size > maxFrame) throw GasError.frameLength(`${msg.type} frame of ${size} bytes exceeds ${maxFrame === MAX_FRAME ? 'MAX_FRAME' : 'the frame limit'} (${maxFrame})`)
  const w = new FrameWriter(size, into)
  w.u8(FRAME_VERSION)
  w.u8(codec.id)
  codec.encode(msg, w)
  return w.bytes
}

/** Whether this build has a row for the frame's message id; a frame it does not know is skipped by the session. */
export function isKnownMessageId (messageId: number): boolean {
  return BY_ID.has(messageId)
}

/**
 * Decodes one frame. An unknown message id throws E_PROTOCOL: callers that can skip it check
 * `isKnownMessageId` first. Frames up to LARGE_FRAME decode; each transport refuses what it does
 * not carry (WebRTC and memory: MAX_FRAME) before a frame gets here.
 */
export function decodeMessage (frame: Uint8Array): Message {
  if (frame.byteLength > LARGE_FRAME) throw GasError.frameLength(`frame of ${frame.byteLength} bytes exceeds LARGE_FRAME (${LARGE_FRAME})`)
  const r = new FrameReader(frame)
  const version = r.u8('frame version')
  if (version !== FRAME_VERSION) throw new GasError('E_PROTOCOL_VERSION', `peer frames messages in format version ${version}, this build reads version ${FRAME_VERSION}; upgrade gas on the older side`, { frameVersion: version })
  const messageId = r.u8('message id')
  const codec = BY_ID.get(messageId)
  if (codec === undefined) throw GasError.protocol(`unknown message id ${messageId}`, { messageId })
  const msg = codec.decode(r)
  r.end()
  return msg
}
