import { GasError } from '../../errors.js'
import { canonicalJson } from '../../objects/canonical-json.js'
import { isHexId, utf8, type FrameReader, type FrameWriter } from './frame.js'
import type { Codec, GoodbyeMessage, HelloCertificate, HelloMessage, HelloSchedule, RefsMessage } from './messages.js'
import { MAX_FRAME } from '../transport/transport.js'

/**
 * HELLO and REFS: rare messages, so a length-prefixed canonical JSON body (readability wins over
 * size). Validation runs on both sides: E_BAD_ARGUMENT when we encode, E_PROTOCOL when a peer sent it.
 */

/** why: HELLO is identity, a signed challenge and a certificate (with its issuer's, ~1 KiB); anything bigger is not a HELLO worth parsing */
export const MAX_HELLO_BYTES = 4096
/** why: GOODBYE is an error code and one sentence for a person to read */
export const MAX_GOODBYE_BYTES = 1024
/** why: capabilities are short feature names; a peer listing more is not describing features */
export const MAX_CAPABILITIES = 64
/** why: a member has a few windows (weekday nights, weekends); more is not a schedule */
export const MAX_HELLO_WINDOWS = 16
/** why: one REFS advertises a workspace's branches/builds; more than this is a peer trying to make us allocate. A larger set is sent as several REFS (see `chunkRefs`). */
export const MAX_REFS = 10_000
/** why: ref names are paths like `builds/win64/1.2.3`; git itself caps a path component well below this */
export const MAX_REF_NAME_BYTES = 1024

type Fail = (why: string) => GasError

interface JsonCodecSpec<T> {
  id: number
  what: string
  /** width of the length prefix: u16 or u32 */
  lengthBytes: 2 | 4
  /** largest body accepted either way; undefined: whatever fits the frame */
  maxBytes?: number
  /** the body must end the frame exactly */
  exact: boolean
  check: (msg: T, fail: Fail) => void
  toJson: (msg: T) => unknown
  fromJson: (body: Record<string, unknown>, fail: Fail) => T
}

function parseJson (text: string, what: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw GasError.protocol(`${what} is not valid JSON`)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw GasError.protocol(`${what} must be a JSON object`)
  return value as Record<string, unknown>
}

/** A codec for `<len><canonical JSON>`; the JSON made by preencode is kept for encode, so it is built once. */
function jsonCodec<T extends object> (spec: JsonCodecSpec<T>): Codec<T> {
  const encoded = new WeakMap<object, Uint8Array>()
  const body = (msg: T): Uint8Array => utf8(canonicalJson(spec.toJson(msg)))
  const protocol: Fail = (why) => GasError.protocol(why)
  return {
    id: spec.id,
    preencode (msg) {
      spec.check(msg, GasError.badArgument)
      const json = body(msg)
      if (spec.maxBytes !== undefined && json.byteLength > spec.maxBytes) throw GasError.badArgument(`${spec.what} is ${json.byteLength} bytes, more than ${spec.maxBytes}`)
      encoded.set(msg, json)
      return spec.lengthBytes + json.byteLength
    },
    encode (msg: T, w: FrameWriter) {
      const json = encoded.get(msg) ?? body(msg)
      if (spec.lengthBytes === 2) w.u16(json.byteLength)
      else w.u32(json.byteLength)
      w.raw(json)
    },
    decode (r: FrameReader) {
      const len = spec.lengthBytes === 2 ? r.u16(`${spec.what} length`) : r.u32(`${spec.what} length`)
      if (spec.maxBytes !== undefined && len > spec.maxBytes) throw GasError.frameLength(`${spec.what} of ${len} bytes exceeds ${spec.maxBytes}`)
      if (spec.exact && len !== r.remaining) throw GasError.frameLength(`${spec.what} length ${len} but ${r.remaining} bytes follow`)
      const msg = spec.fromJson(parseJson(r.text(len, spec.what), spec.what), protocol)
      spec.check(msg, protocol)
      return msg
    }
  }
}

function checkCertificate (cert: unknown, fail: Fail, depth = 0): asserts cert is HelloCertificate {
  const c = (cert ?? {}) as Record<string, unknown>
  const member = (c.member ?? {}) as Record<string, unknown>
  if (typeof cert !== 'object' || cert === null || typeof c.team !== 'string' || !isHexId(c.signature, 64)) throw fail('HELLO certificate must hold team and a 64-byte hex signature')
  if (typeof member.name !== 'string' || !isHexId(member.publicKey) || !Array.isArray(member.roles) || !member.roles.every((r) => typeof r === 'string')) {
    throw fail('HELLO certificate member must hold name, a 32-byte hex publicKey and roles')
  }
  // why: an admin's certificate is signed by the root key itself, so a chain is never longer than one issuer
  if (c.issuer !== undefined) {
    if (depth > 0) throw fail('HELLO certificate issuer chain is longer than one')
    checkCertificate(c.issuer, fail, depth + 1)
  }
}

function checkHello (msg: HelloMessage, fail: Fail): void {
  if (!Number.isInteger(msg.version) || msg.version < 1) throw fail('HELLO version must be a positive integer')
  if (!Array.isArray(msg.capabilities) || msg.capabilities.length > MAX_CAPABILITIES || !msg.capabilities.every((c) => typeof c === 'string')) throw fail(`HELLO capabilities must be at most ${MAX_CAPABILITIES} strings`)
  if (msg.certificate !== null) checkCertificate(msg.certificate, fail)
  if (!isHexId(msg.peerId)) throw fail('HELLO peerId must be 32 bytes hex')
  if (typeof msg.name !== 'string') throw fail('HELLO name must be a string')
  if (!isHexId(msg.publicKey)) throw fail('HELLO publicKey must be 32 bytes hex')
  if (msg.teamId !== null && typeof msg.teamId !== 'string') throw fail('HELLO teamId must be a string or null')
  if (!isHexId(msg.nonce)) throw fail('HELLO nonce must be 32 bytes hex')
  if (msg.signature !== null && !isHexId(msg.signature, 64)) throw fail('HELLO signature must be 64 bytes hex or null')
  if (msg.schedule !== undefined) checkSchedule(msg.schedule, fail)
}

function checkSchedule (schedule: HelloSchedule, fail: Fail): void {
  const rate = (v: unknown): boolean => v === undefined || (typeof v === 'number' && v >= 0 && Number.isFinite(v))
  if (typeof schedule !== 'object' || schedule === null || !Array.isArray(schedule.windows) || schedule.windows.length > MAX_HELLO_WINDOWS ||
    !schedule.windows.every((w: unknown) => typeof w === 'string' && w.length <= 100) || !rate(schedule.limit) || !rate(schedule.outsideLimit)) {
    throw fail(`HELLO schedule must hold at most ${MAX_HELLO_WINDOWS} windows as text and limits as bytes/s`)
  }
}

/**
 * HELLO: <len u16><canonical JSON {capabilities, certificate, name, nonce, peerId, publicKey, [schedule], signature, teamId, version}> (len ≤ MAX_HELLO_BYTES).
 * Version 1 peers send no capabilities, certificate or version (read as [], null, 1) and ignore them when we send them.
 */
export const HELLO = jsonCodec<HelloMessage>({
  id: 1,
  what: 'HELLO',
  lengthBytes: 2,
  maxBytes: MAX_HELLO_BYTES,
  exact: false,
  check: checkHello,
  toJson: ({ version, capabilities, peerId, name, publicKey, teamId, nonce, signature, certificate, schedule }) => ({ version, capabilities, peerId, name, publicKey, teamId, nonce, signature, certificate, ...(schedule !== undefined ? { schedule } : {}) }),
  fromJson: (body) => ({
    type: 'HELLO',
    version: body.version === undefined ? 1 : body.version as number,
    capabilities: body.capabilities === undefined ? [] : body.capabilities as string[],
    certificate: body.certificate === undefined ? null : body.certificate as HelloCertificate,
    peerId: body.peerId as string,
    name: body.name as string,
    publicKey: body.publicKey as string,
    teamId: body.teamId as string | null,
    nonce: body.nonce as string,
    signature: body.signature as string | null,
    ...(body.schedule !== undefined ? { schedule: body.schedule as HelloSchedule } : {})
  })
})

function checkRefs (refs: unknown, fail: Fail): asserts refs is RefsMessage['refs'] {
  if (!Array.isArray(refs)) throw fail('REFS refs must be an array')
  if (refs.length > MAX_REFS) throw fail(`REFS carries ${refs.length} refs, more than ${MAX_REFS}`)
  for (const ref of refs as unknown[]) {
    const { name, id } = (ref ?? {}) as Record<string, unknown>
    if (typeof name !== 'string' || name === '' || utf8(name).byteLength > MAX_REF_NAME_BYTES) throw fail(`REFS ref name must be 1..${MAX_REF_NAME_BYTES} bytes`)
    if (!isHexId(id)) throw fail(`REFS ref ${name} id must be 32 bytes hex`)
  }
}

/** REFS: <len u32><canonical JSON {refs: [{id, name}…]}> (≤ MAX_REFS refs, must fit one frame) */
export const REFS = jsonCodec<RefsMessage>({
  id: 2,
  what: 'REFS',
  lengthBytes: 4,
  exact: true,
  check: (msg, fail) => checkRefs(msg.refs, fail),
  toJson: (msg) => ({ refs: msg.refs.map(({ name, id }) => ({ name, id })) }),
  fromJson: (body, fail) => {
    checkRefs(body.refs, fail)
    return { type: 'REFS', refs: body.refs.map(({ name, id }) => ({ name, id })) }
  }
})

/** Bytes a frame needs beyond the refs: frame header (2) + length (4) + `{"refs":[]}`. */
const REFS_OVERHEAD = 2 + 4 + utf8('{"refs":[]}').byteLength

/** Splits refs into REFS messages that each fit one frame. */
export function chunkRefs (refs: RefsMessage['refs']): RefsMessage[] {
  const out: RefsMessage[] = []
  let current: RefsMessage['refs'] = []
  let size = REFS_OVERHEAD
  for (const ref of refs) {
    const refSize = utf8(canonicalJson({ id: ref.id, name: ref.name })).byteLength + 1
    if (current.length > 0 && (size + refSize > MAX_FRAME || current.length >= MAX_REFS)) {
      out.push({ type: 'REFS', refs: current })
      current = []
      size = REFS_OVERHEAD
    }
    current.push({ name: ref.name, id: ref.id })
    size += refSize
  }
  if (current.length > 0 || out.length === 0) out.push({ type: 'REFS', refs: current })
  return out
}

/** GOODBYE: <len u16><canonical JSON {code, message}> (len ≤ MAX_GOODBYE_BYTES): why the sender ends the connection, e.g. it refused our membership */
export const GOODBYE = jsonCodec<GoodbyeMessage>({
  id: 11,
  what: 'GOODBYE',
  lengthBytes: 2,
  maxBytes: MAX_GOODBYE_BYTES,
  exact: true,
  check: (msg, fail) => {
    if (typeof msg.code !== 'string' || !/^E_[A-Z_]{1,40}$/.test(msg.code)) throw fail('GOODBYE code must look like E_SOMETHING')
    if (typeof msg.message !== 'string') throw fail('GOODBYE message must be a string')
  },
  toJson: ({ code, message }) => ({ code, message }),
  fromJson: (body) => ({ type: 'GOODBYE', code: body.code as string, message: body.message as string })
})
