import { describe, expect, it } from 'vitest'
import { announcedAddresses } from '../../src/peer/transport/direct-addresses.js'
import { decodeAnnounce, matchesAnnounce, MAX_ANNOUNCED_ADDRESSES } from '../../src/peer/transport/direct-announce.js'
import { decodeDirectProof, encodeDirectProof } from '../../src/peer/transport/direct-proof.js'

const hex = (byte: string, n: number): string => byte.repeat(n)
const interfaces = {
  lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true, netmask: '255.0.0.0', mac: '', cidr: null }],
  eth0: [{ address: '192.168.1.20', family: 'IPv4', internal: false, netmask: '255.255.255.0', mac: '', cidr: null }, { address: 'fe80::1', family: 'IPv6', internal: false, netmask: '', mac: '', cidr: null, scopeid: 2 }]
} as unknown as NodeJS.Dict<import('node:os').NetworkInterfaceInfo[]>

describe('direct addresses and announces', () => {
  it('a serve on every interface tells LAN addresses before loopback, and only loopback to a team on one machine', () => {
    expect(announcedAddresses({ host: '0.0.0.0', port: 7480 }, ['ws://tracker.example:8000'], interfaces)).toEqual(['192.168.1.20:7480', '127.0.0.1:7480'])
    expect(announcedAddresses({ host: '0.0.0.0', port: 7480 }, ['ws://127.0.0.1:8000', 'ws://localhost:9'], interfaces)).toEqual(['127.0.0.1:7480'])
    expect(announcedAddresses({ host: '10.0.0.5', port: 1 }, [], interfaces)).toEqual(['10.0.0.5:1'])
    expect(announcedAddresses({ host: '::1', port: 2 }, [], interfaces)).toEqual(['[::1]:2'])
  })

  it('decodes only well-formed announces, and a connection matches the announce of its own key and process', () => {
    const good = { peerId: hex('a', 64), publicKey: hex('b', 64), teamId: 't', addresses: ['127.0.0.1:1'], signature: hex('c', 128) }
    expect(decodeAnnounce(good)).toEqual(good)
    for (const bad of [null, 'x', { ...good, peerId: 'zz' }, { ...good, teamId: 5 }, { ...good, addresses: 'a' }, { ...good, addresses: Array(MAX_ANNOUNCED_ADDRESSES + 1).fill('a:1') }, { ...good, addresses: ['x'.repeat(100)] }]) {
      expect(decodeAnnounce(bad)).toBeUndefined()
    }
    expect(matchesAnnounce({ peerId: good.peerId, publicKey: good.publicKey }, good)).toBe(true)
    expect(matchesAnnounce({ peerId: hex('d', 64), publicKey: good.publicKey }, good)).toBe(false)
  })

  it('a direct proof round-trips, and anything else in its place is refused with E_AUTH', () => {
    const proof = { peerId: hex('a', 64), name: 'ana', publicKey: hex('b', 64), teamId: null, certificate: { team: 't', member: { name: 'ana', publicKey: hex('b', 64), roles: ['lead'] }, signature: hex('c', 128) }, signature: hex('d', 128) }
    expect(decodeDirectProof(encodeDirectProof(proof), 'x')).toEqual(proof)
    const bads: unknown[] = ['not json', 'null', { ...proof, signature: 'short' }, { ...proof, name: 3 }, { ...proof, certificate: { team: 't' } }, { ...proof, certificate: { ...proof.certificate, issuer: { ...proof.certificate, issuer: proof.certificate } } }]
    for (const bad of bads) {
      const bytes = Buffer.from(typeof bad === 'string' ? bad : JSON.stringify(bad))
      expect(() => decodeDirectProof(bytes, 'x')).toThrow(expect.objectContaining({ code: 'E_AUTH' }))
    }
    expect(() => decodeDirectProof(new Uint8Array(9000), 'x')).toThrow(/9000 bytes/)
  })
})
