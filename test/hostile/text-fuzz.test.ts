import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkInvite, type Invite } from '../../src/auth/invite.js'
import { issueCertificate, verifyCertificate } from '../../src/auth/member-certificate.js'
import { createIdentity } from '../../src/repo/identity.js'
import { checkSchedule } from '../../src/schedule/schedule.js'
import { isOpen, parseWindow } from '../../src/schedule/window.js'
import { parseRules, ruleMatches } from '../../src/sync/rules.js'
import { decodeMessage, encodeMessage, type HelloMessage } from '../../src/peer/wire/messages.js'
import { decodeOutcome, FUZZ_RUNS, hostileBytes, jsonMutants } from './fuzz.js'

const root = createIdentity('root')
const admin = createIdentity('admin')
const member = createIdentity('aiko')
const team = { id: 'f'.repeat(64), name: 'orcs', rootPublicKey: root.publicKey }
const adminCert = issueCertificate(root, team.id, { name: 'admin', publicKey: admin.publicKey, roles: ['admin'] })
const memberCert = issueCertificate(admin, team.id, { name: 'aiko', publicKey: member.publicKey, roles: ['artist'] }, adminCert)
const rootSigned = issueCertificate(root, team.id, { name: 'aiko', publicKey: member.publicKey, roles: ['artist'] })
const invite: Invite = { gasInvite: 1, team, trackers: ['ws://127.0.0.1:8000'], ice: [{ url: 'stun:127.0.0.1:3478' }], certificate: rootSigned }
const AUTH_CODES = ['E_BAD_ARGUMENT', 'E_AUTH', 'E_BAD_SIGNATURE'] as const

const asset = { file: '0'.repeat(64), size: 5_000_000, sha256: '0'.repeat(64), kind: 'texture' as const, format: 'psd', tags: { status: 'final' }, previews: [] }

describe('invites and member certificates under hostile input', () => {
  it('a valid invite passes, and any mutation of it is refused typed or still names a verified member', () => {
    expect(checkInvite(invite, member.publicKey).certificate.member.name).toBe('aiko')
    fc.assert(fc.property(fc.oneof(jsonMutants(invite), fc.jsonValue()), (value) => {
      const outcome = decodeOutcome(() => checkInvite(value, member.publicKey), AUTH_CODES)
      // a mutation that still passes changed nothing the signature covers
      if (outcome.ok) {
        expect(outcome.value.certificate.member).toEqual(rootSigned.member)
        expect(outcome.value.trackers.every((t) => typeof t === 'string')).toBe(true)
      }
    }), { numRuns: FUZZ_RUNS })
  })

  it('invite text that is not JSON, or JSON of any shape, never throws untyped', () => {
    fc.assert(fc.property(fc.string(), (text) => {
      let value: unknown
      try { value = JSON.parse(text) } catch { return }
      decodeOutcome(() => checkInvite(value, member.publicKey), AUTH_CODES)
    }), { numRuns: FUZZ_RUNS })
  })

  it('certificates in hostile HELLO frames verify or fail typed', () => {
    const hello: HelloMessage = { type: 'HELLO', version: 2, capabilities: [], peerId: 'a'.repeat(64), name: 'aiko', publicKey: member.publicKey, teamId: team.id, nonce: 'b'.repeat(64), signature: 'c'.repeat(128), certificate: memberCert }
    const frame = encodeMessage(hello)
    fc.assert(fc.property(hostileBytes([frame]), (bytes) => {
      let decoded
      try { decoded = decodeMessage(bytes) } catch { return }
      if (decoded.type !== 'HELLO' || decoded.certificate === null) return
      const certificate = decoded.certificate
      decodeOutcome(() => verifyCertificate(certificate, team), AUTH_CODES)
    }), { numRuns: FUZZ_RUNS })
    fc.assert(fc.property(jsonMutants(memberCert), (cert) => {
      const outcome = decodeOutcome(() => decodeMessage(encodeMessage({ ...hello, certificate: cert as never })), ['E_BAD_ARGUMENT', 'E_PROTOCOL', 'E_FRAME_LENGTH'])
      if (outcome.ok && outcome.value.type === 'HELLO' && outcome.value.certificate !== null) { const cert = outcome.value.certificate; decodeOutcome(() => verifyCertificate(cert, team), AUTH_CODES) }
    }), { numRuns: FUZZ_RUNS })
  })
})

const ruleWords = fc.constantFrom('include', 'exclude', '[role artist]', '[all]', '[role x]', 'kind:texture', 'kind:', 'ext:psd,png', 'tag:status=final', 'folder:art/', 'glob:**/*.psd',
  'size>10MB', 'size<=', 'art/raw/', '*.psd', '[', ']', '{a,b}', '**', '#', '\\', '(', ')', '+(a|b)', '!(x)', '*(', '@(', '\n', ' ', '\t')

describe('selective-sync rules under hostile input', () => {
  it('any text parses into rules or fails E_BAD_RULES, and the rules evaluate without throwing', () => {
    const text = fc.oneof(fc.string({ maxLength: 200 }), fc.array(ruleWords, { maxLength: 30 }).map((w) => w.join(' ')), fc.array(fc.tuple(ruleWords, ruleWords, fc.string({ maxLength: 12 })).map((t) => t.join(' ')), { maxLength: 8 }).map((l) => l.join('\n')))
    fc.assert(fc.property(text, fc.string({ maxLength: 60 }), (source, path) => {
      const outcome = decodeOutcome(() => parseRules(source), ['E_BAD_RULES'])
      if (outcome.ok) decodeOutcome(() => outcome.value.map((rule) => ruleMatches(rule, path, asset)), [])
    }), { numRuns: FUZZ_RUNS })
  })

  it('a glob built to backtrack is decided quickly', () => {
    const rules = parseRules(`include ${'*a'.repeat(30)}b\ninclude ${'**/'.repeat(30)}x`)
    decodeOutcome(() => rules.map((rule) => ruleMatches(rule, `${'a'.repeat(60)}/c`, asset)), [])
  })
})

describe('schedule strings under hostile input', () => {
  it('any text parses to a window or fails E_BAD_SCHEDULE, and a window answers isOpen', () => {
    const parts = fc.constantFrom('Mon-Fri', 'Sat,Sun', 'daily', 'Fri-Mon', 'Tue', 'Monday', 'Mo', '-', ',', '22:00-07:00', '00:00-24:00', '24:00-01:00', '99:99-00:00', '7:5-8:00', 'Asia/Tokyo', 'UTC', 'Mars/Olympus', '20MB/s', '-1MB/s', '1e999MB/s', 'NaN', ' ')
    const text = fc.oneof(fc.string({ maxLength: 80 }), fc.array(parts, { maxLength: 6 }).map((p) => p.join(' ')))
    fc.assert(fc.property(text, fc.integer({ min: 0, max: 4_000_000_000_000 }), (window, at) => {
      const outcome = decodeOutcome(() => parseWindow(window), ['E_BAD_SCHEDULE'])
      if (outcome.ok) decodeOutcome(() => isOpen(outcome.value, at), [])
    }), { numRuns: FUZZ_RUNS })
  })

  it('a schedule of any JSON shape (as a peer sends it) is checked typed', () => {
    fc.assert(fc.property(fc.oneof(fc.jsonValue(), jsonMutants({ windows: ['Mon-Fri 22:00-07:00 Asia/Tokyo 20MB/s'], limit: 1000, outsideLimit: 0 })), (value) => {
      decodeOutcome(() => checkSchedule(value), ['E_BAD_SCHEDULE'])
    }), { numRuns: FUZZ_RUNS })
  })
})
