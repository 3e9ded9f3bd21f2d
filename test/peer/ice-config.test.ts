import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { checkInvite, createInvite, joinTeam } from '../../src/auth/invite.js'
import { addIceServers, describeIceServer, loadIceServers, noRouteError, parseIceServer, rtcConfigFor, trackersAreLocal, workspaceRtcConfig } from '../../src/peer/transport/ice-config.js'
import { DIRECT_ATTEMPT_MS, RelayFallback } from '../../src/peer/transport/relay-fallback.js'
import { reachableHosts } from '../../src/peer/discovery/tracker.js'
import { gasInProcess } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()

describe('ICE servers of a team (gas team ice, invites, rtcConfig)', () => {
  it('parses stun and turn specs; a TURN relay needs a user and a secret; bad specs are E_BAD_ARGUMENT', () => {
    expect(parseIceServer('stun:198.51.100.1:3478')).toEqual({ url: 'stun:198.51.100.1:3478' })
    expect(parseIceServer('turn:gas@relay.example.org:3478', 's3cret')).toEqual({ url: 'turn:relay.example.org:3478', username: 'gas', credential: 's3cret' })
    expect(parseIceServer('turn:gas:inline@relay.example.org:3478?transport=udp')).toEqual({ url: 'turn:relay.example.org:3478?transport=udp', username: 'gas', credential: 'inline' })
    // libjuice relays over UDP only: a TCP or TLS relay would be skipped without a word, so it is refused
    for (const tcp of ['turns:gas:inline@relay.example.org:5349', 'turn:gas@relay.example.org:443?transport=tcp']) {
      expect(() => parseIceServer(tcp, 'x'), tcp).toThrow(expect.objectContaining({ code: 'E_BAD_ARGUMENT', message: expect.stringMatching(/UDP only.*turn:USER@HOST:3478/) }))
    }
    expect(describeIceServer(parseIceServer('turn:gas@h:1', 'x'))).toBe('turn:gas@h:1')
    for (const bad of ['http://x', 'stun:', 'stun:host:99999', 'stun:u@host:1', 'turn:host:3478', 'turn:gas@host:3478']) {
      expect(() => parseIceServer(bad), bad).toThrow(expect.objectContaining({ code: 'E_BAD_ARGUMENT' }))
    }
  })

  it('binds to 127.0.0.1 only when every tracker is local and no ICE server is set', () => {
    expect(trackersAreLocal(['ws://127.0.0.1:8000', 'ws://localhost:1'])).toBe(true)
    expect(trackersAreLocal(['ws://127.0.0.1:8000', 'ws://10.0.0.1:1'])).toBe(false)
    expect(trackersAreLocal(['not a url'])).toBe(false)
    expect(trackersAreLocal([])).toBe(false)
    expect(rtcConfigFor({ trackers: ['ws://127.0.0.1:1'], iceServers: [] })).toEqual({ iceServers: [], bindAddress: '127.0.0.1' })
    expect(rtcConfigFor({ trackers: ['ws://10.77.0.1:8000'], iceServers: [] })).toEqual({ iceServers: [] })
    const turn = parseIceServer('turn:gas@h:3478', 'x')
    expect(rtcConfigFor({ trackers: ['ws://127.0.0.1:1'], iceServers: [turn] })).toEqual({ iceServers: [{ urls: 'turn:h:3478', username: 'gas', credential: 'x' }] })
    expect(new RelayFallback(rtcConfigFor({ trackers: [], iceServers: [turn] })).available).toBe(true)
    expect(new RelayFallback(rtcConfigFor({ trackers: [], iceServers: [parseIceServer('stun:h:1')] })).available).toBe(false)
    expect(DIRECT_ATTEMPT_MS).toBeLessThan(5000)
  })

  it('a tracker bound to every interface lists each address, reachable ones before loopback', () => {
    const hosts = reachableHosts('0.0.0.0')
    expect(hosts).toContain('127.0.0.1')
    expect(hosts.at(-1)).toBe('127.0.0.1')
    expect(reachableHosts('10.1.2.3')).toEqual(['10.1.2.3'])
  })

  it('gas team ice keeps servers in .gas/ice.json (owner only); invites carry them, secrets included, to the new member', async () => {
    const lead = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
    expect(await loadIceServers(lead.gasDir)).toEqual([])
    let r = await gasInProcess(lead.root, ['team', 'ice', '--json'])
    expect(JSON.parse(r.stdout)).toEqual({ ice: [] })
    r = await gasInProcess(lead.root, ['team', 'ice', 'stun:198.51.100.1:3478'])
    expect(r.status).toBe(0)
    r = await gasInProcess(lead.root, ['team', 'ice', 'turn:gas@198.51.100.1:3478', '--credential', 'teamsecret', '--json'])
    expect(JSON.parse(r.stdout)).toEqual({ ice: ['stun:198.51.100.1:3478', 'turn:gas@198.51.100.1:3478'] })
    expect(r.stdout).not.toContain('teamsecret')
    r = await gasInProcess(lead.root, ['team', 'ice', 'turn:gas@198.51.100.1:3478'])
    expect(r.status).toBe(2) // a usage error
    expect(r.stderr).toMatch(/^gas: E_BAD_ARGUMENT: a TURN relay needs a user and its secret/)
    expect(statSync(join(lead.gasDir, 'ice.json')).mode & 0o777).toBe(0o600)
    expect(readFileSync(join(lead.gasDir, 'config.json'), 'utf8')).not.toContain('teamsecret')

    const bo = await gas.init({ dir: tmp(), name: 'bo' })
    const invite = await createInvite(lead, { publicKey: bo.identity.publicKey, name: 'bo', roles: ['artist'] })
    expect(invite.ice).toHaveLength(2)
    await joinTeam(bo, JSON.stringify(invite))
    expect(await loadIceServers(bo.gasDir)).toEqual(await loadIceServers(lead.gasDir))
    expect(await workspaceRtcConfig(bo.gasDir, ['ws://127.0.0.1:1'])).toEqual({ iceServers: [{ urls: 'stun:198.51.100.1:3478' }, { urls: 'turn:198.51.100.1:3478', username: 'gas', credential: 'teamsecret' }] })
    // a tampered server list in an invite is refused before anything is written
    expect(() => checkInvite({ ...invite, ice: [{ url: 'turn:h:1' }] }, bo.identity.publicKey)).toThrow(expect.objectContaining({ code: 'E_BAD_ARGUMENT' }))
    // adding a server again replaces it
    expect(await addIceServers(bo.gasDir, [parseIceServer('stun:198.51.100.1:3478')])).toHaveLength(2)
  })

  it('a corrupt ice.json is E_CORRUPT_OBJECT, not a crash', async () => {
    const ws = await gas.init({ dir: tmp(), name: 'cy' })
    writeFileSync(join(ws.gasDir, 'ice.json'), '{not json')
    await expect(loadIceServers(ws.gasDir)).rejects.toMatchObject({ code: 'E_CORRUPT_OBJECT' })
    writeFileSync(join(ws.gasDir, 'ice.json'), '{"servers": 3}')
    await expect(loadIceServers(ws.gasDir)).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT' })
  })

  it('E_NO_ROUTE names each peer\'s candidates and how to add a relay', () => {
    const err = noRouteError([{ peer: 'abcdef0123', local: ['host 10.2.0.2:5000/udp'], remote: [], iceState: 'checking' }])
    expect(err.code).toBe('E_NO_ROUTE')
    expect(err.message).toContain('peer abcdef01 (ICE checking): ours host 10.2.0.2:5000/udp; theirs none')
    expect(err.message).toContain('gas team ice turn:USER@HOST:PORT')
  })
})
