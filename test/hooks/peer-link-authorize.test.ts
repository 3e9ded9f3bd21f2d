import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { PeerLink } from '../../src/hooks/peer-link.js'
import { decodeVersion, encodeVersion } from '../../src/objects/version.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()

describe('git-remote-gas adopts a peer\'s repository state only when its signature and author check out', () => {
  it('a validly signed state passes, a tampered one is refused', async () => {
    const ws = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
    writeFileSync(join(ws.root, 'a.txt'), 'a')
    await gas.add(ws, { paths: [join(ws.root, 'a.txt')] })
    const good = await gas.commit(ws, { message: 'a' })
    const link = new PeerLink({ ws, trackers: [], security: gas.peerSecurity(ws) })
    // the lead's certificate joins the member list when it first signs a HELLO
    await gas.peerSecurity(ws).sign({ remoteNonce: 'ab'.repeat(32), ourNonce: 'cd'.repeat(32) })
    await expect(link.authorize('refs/git/game', good)).resolves.toBeUndefined()
    const tampered = await ws.store.put('version', encodeVersion({ ...decodeVersion((await ws.store.get(good)).body), message: 'tampered' }))
    await expect(link.authorize('refs/git/game', tampered)).rejects.toMatchObject({ code: 'E_BAD_SIGNATURE' })
    // without a team there is nothing to check against
    const solo = await gas.init({ dir: tmp(), name: 'solo' })
    await expect(new PeerLink({ ws: solo, trackers: [], security: gas.peerSecurity(solo) }).authorize('refs/git/game', tampered)).resolves.toBeUndefined()
  })
})
