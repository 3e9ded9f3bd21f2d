import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { createInvite, joinTeam } from '../../src/auth/invite.js'
import { parseReadRules } from '../../src/auth/read-rights.js'
import { decodeAsset } from '../../src/objects/asset.js'
import { servePeers, syncWithPeers } from '../../src/peer/sync/peer-node.js'
import { startTracker, type RunningTracker } from '../../src/peer/discovery/tracker.js'
import { flattenTree, readVersion } from '../../src/repo/tree-io.js'
import { makePng } from '../fixtures/textures.js'
import { gasInProcess } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'
import { pseudoRandomBytes } from './helpers.js'

/**
 * Read rights over real WebRTC (tracker and peers on 127.0.0.1): the lead serves with a policy
 * that keeps art/raw/ from programmers. A programmer syncs everything else, with exit 0, and is
 * told which paths were refused; the art/raw metadata and previews still arrive; a chunk shared
 * with a readable file is served; the serving peer goes on serving another member in full.
 */

const tmp = useTmp()
let tracker: RunningTracker
beforeAll(async () => { tracker = await startTracker({ port: 0, host: '127.0.0.1' }) })
afterAll(async () => { await tracker.close() })

async function member (lead: gas.Workspace, name: string, roles: string[]): Promise<gas.Workspace> {
  const ws = await gas.init({ dir: tmp(), name })
  await joinTeam(ws, JSON.stringify(await createInvite(lead, { publicKey: ws.identity.publicKey, name, roles })))
  return ws
}

function write (ws: gas.Workspace, path: string, bytes: Uint8Array): void {
  mkdirSync(join(ws.root, path, '..'), { recursive: true })
  writeFileSync(join(ws.root, path), bytes)
}

describe('read rights between workspaces over WebRTC', () => {
  it('a programmer without rights to art/raw/ gets everything else; the serving peer keeps serving', async () => {
    const lead = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
    lead.config = { ...lead.config, trackers: [tracker.url] }
    await lead.saveConfig()
    const prog = await member(lead, 'pat', ['programmer'])
    const artist = await member(lead, 'cy', ['artist'])

    const shared = pseudoRandomBytes('shared', 200 * 1024)
    write(lead, 'art/raw/hero.png', await makePng({ width: 300, height: 200 }))
    write(lead, 'art/raw/sculpt.bin', pseudoRandomBytes('sculpt', 300 * 1024))
    write(lead, 'art/raw/shared.bin', shared)
    write(lead, 'docs/shared.bin', shared)
    write(lead, 'src/main.ts', Buffer.from('export const answer = 42\n'))
    write(lead, 'art/final/rock.png', await makePng({ width: 64, height: 64 }))
    await gas.add(lead, { paths: [lead.root] })
    const v1 = await gas.commit(lead, { message: 'art and code' })
    await lead.store.flush()

    const readPolicy = parseReadRules([{ roles: ['programmer', 'qa'], deny: ['art/raw/'] }])
    const controller = new AbortController()
    const peers: Array<{ peer: string, state: string, error?: string }> = []
    const serving = servePeers({ ws: lead, trackers: [], security: gas.peerSecurity(lead, { readPolicy }), signal: controller.signal, onPeer: (e) => peers.push(e) })
    try {
      // the programmer wants everything (the programmer preset alone would not even ask for art)
      expect((await gasInProcess(prog.root, ['sync', 'include', '**'])).status).toBe(0)
      // the CLI, in process, as the programmer runs it
      const r = await gasInProcess(prog.root, ['sync', '--once', '--json'])
      expect(r.stderr).not.toMatch(/E_SYNC_INCOMPLETE/)
      expect(r.status).toBe(0)
      const out = JSON.parse(r.stdout)
      expect(out.complete).toBe(true)
      expect(out.missing).toBe(0)
      expect(out.checkout.skipped).toEqual([
        { path: 'art/raw/hero.png', reason: 'content refused by the peers (E_ACCESS_DENIED)' },
        { path: 'art/raw/sculpt.bin', reason: 'content refused by the peers (E_ACCESS_DENIED)' }
      ])
      expect(out.accessDenied).toEqual([
        { code: 'E_ACCESS_DENIED', path: 'art/raw/hero.png', objects: expect.any(Number), peers: ['ana'] },
        { code: 'E_ACCESS_DENIED', path: 'art/raw/sculpt.bin', objects: expect.any(Number), peers: ['ana'] }
      ])
      const pat = await gas.open({ dir: prog.root })
      expect(await pat.head()).toBe(v1)
      for (const path of ['src/main.ts', 'docs/shared.bin', 'art/final/rock.png', 'art/raw/shared.bin']) {
        expect(readFileSync(join(prog.root, path)).equals(readFileSync(join(lead.root, path)))).toBe(true)
      }
      expect(existsSync(join(prog.root, 'art/raw/hero.png'))).toBe(false)
      expect(existsSync(join(prog.root, 'art/raw/sculpt.bin'))).toBe(false)
      // the refused asset's record and preview arrived: the programmer sees what it is
      const paths = await flattenTree(pat.store, (await readVersion(pat.store, v1)).tree)
      const hero = decodeAsset((await pat.store.get(paths.get('art/raw/hero.png')!)).body)
      expect(hero.previews.length).toBeGreaterThan(0)
      for (const preview of hero.previews) expect(await pat.store.has(preview)).toBe(true)
      expect(await pat.store.has(hero.file)).toBe(true)

      // the text output names the refused paths; a second sync asks again and ends the same way
      const text = await gasInProcess(prog.root, ['sync', '--once'])
      expect(text.status).toBe(0)
      expect(text.stdout).toMatch(/E_ACCESS_DENIED: 2 asset\(s\) refused by ana/)
      expect(text.stdout).toMatch(/\n {4}art\/raw\/hero\.png\n {4}art\/raw\/sculpt\.bin/)

      // asked for explicitly, the refusal is the command's error
      const fetch = await gasInProcess(prog.root, ['fetch', 'art/raw/hero.png'])
      expect(fetch.status).toBe(1)
      expect(fetch.stdout).toMatch(/art\/raw\/hero\.png: refused \(E_ACCESS_DENIED/)
      expect(fetch.stderr).toMatch(/^gas: E_ACCESS_DENIED: 1 asset\(s\) refused by the peers: your roles may not read art\/raw\/hero\.png/)
      const restore = await gasInProcess(prog.root, ['restore', 'art/raw/sculpt.bin'])
      expect(restore.status).toBe(1)
      expect(restore.stderr).toMatch(/^gas: E_ACCESS_DENIED: art\/raw\/sculpt\.bin: ana refused its content/)
      expect(existsSync(join(prog.root, 'art/raw/sculpt.bin'))).toBe(false)

      // the same serving peer gives an artist everything
      const full = await syncWithPeers({ ws: artist, trackers: [tracker.url], security: gas.peerSecurity(artist) })
      expect(full.complete).toBe(true)
      expect(full.accessDenied).toEqual([])
      expect(readFileSync(join(artist.root, 'art/raw/hero.png')).equals(readFileSync(join(lead.root, 'art/raw/hero.png')))).toBe(true)
      // no session ended on an error of its own (a requester hanging up right after DONE may read as lost)
      expect(peers.filter((e) => e.error !== undefined && !/ lost/.test(e.error))).toEqual([])
    } finally {
      controller.abort()
      await serving
    }
  })
})
