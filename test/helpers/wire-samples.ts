import { randomBytes } from 'node:crypto'
import { GasError } from '../../src/errors.js'
import type { Message } from '../../src/peer/wire/messages.js'

/** Wire messages of every kind for codec tests: round trips, truncations, fuzzing */
export const hex = (n: number, fill?: number): string => (fill === undefined ? randomBytes(n) : Buffer.alloc(n, fill)).toString('hex')
export const id1 = hex(32, 0x11)
export const id2 = hex(32, 0x22)
export const V2 = { version: 2, capabilities: ['done', 'end-of-refs'], certificate: null }
export const certificate = { team: 'team-1', member: { name: 'Aiko', publicKey: id1, roles: ['artist'] }, signature: hex(64) }

/** the GasError code `fn` throws, undefined when it returns */
export function codeOf (fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    if (err instanceof GasError) return err.code
    throw err
  }
  return undefined
}

export const samples: Message[] = [
  { type: 'HELLO', ...V2, peerId: hex(32), name: 'Aiko — art', publicKey: hex(32), teamId: 'team-1', nonce: hex(32), signature: hex(64) },
  { type: 'HELLO', ...V2, peerId: hex(32), name: '', publicKey: hex(32), teamId: null, nonce: hex(32), signature: null },
  { type: 'REFS', refs: [{ name: 'main', id: id1 }, { name: 'builds/win64/1.2.3', id: id2 }] },
  { type: 'HELLO', version: 7, capabilities: ['done', 'future-thing'], peerId: hex(32), name: 'b', publicKey: hex(32), teamId: 'team-1', nonce: hex(32), signature: hex(64), certificate },
  { type: 'HELLO', ...V2, peerId: hex(32), name: 'c', publicKey: hex(32), teamId: 'team-1', nonce: hex(32), signature: hex(64), certificate: { ...certificate, issuer: { ...certificate, member: { name: 'admin', publicKey: id2, roles: ['admin'] } } } },
  { type: 'REFS', refs: [] },
  { type: 'DONE' },
  { type: 'END_OF_REFS' },
  { type: 'BUSY', ahead: 2 },
  { type: 'GOODBYE', code: 'E_AUTH', message: 'mallory presented no membership certificate of team orcs: not a member' },
  { type: 'WANT', ids: [id1, id2], mode: 'block', priority: 7 },
  { type: 'WANT', ids: [id1], mode: 'have', priority: 255 },
  { type: 'HAVE', ids: [id1] },
  { type: 'DONT_HAVE', ids: [id1, id2] },
  { type: 'DONT_HAVE_REASON', reason: 'access-denied', ids: [id1, id2] },
  { type: 'CANCEL', ids: [] },
  { type: 'BLOCK', id: id1, objectType: 3, encoding: 1, rawLength: 1000, totalLength: 100, offset: 40, bytes: randomBytes(60) },
  { type: 'BLOCK', id: id2, objectType: 0, encoding: 0, rawLength: 0, totalLength: 0, offset: 0, bytes: new Uint8Array(0) },
  {
    type: 'BATCH',
    blocks: [
      { type: 'BLOCK', id: id1, objectType: 1, encoding: 0, rawLength: 90, totalLength: 90, offset: 70, bytes: randomBytes(20) },
      { type: 'BLOCK', id: id2, objectType: 0, encoding: 1, rawLength: 5000, totalLength: 300, offset: 0, bytes: randomBytes(30) },
      { type: 'BLOCK', id: hex(32), objectType: 2, encoding: 0, rawLength: 0, totalLength: 0, offset: 0, bytes: new Uint8Array(0) }
    ]
  },
  { type: 'BATCH', blocks: [{ type: 'BLOCK', id: id1, objectType: 0, encoding: 0, rawLength: 1, totalLength: 1, offset: 0, bytes: Uint8Array.of(7) }] }
]
