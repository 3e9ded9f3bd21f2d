import { describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { createInvite, joinTeam } from '../../src/auth/invite.js'
import { MemoryStore } from '../../src/objects/memory-store.js'
import type { HelloMessage } from '../../src/peer/wire/messages.js'
import { MemoryTransport } from '../../src/peer/transport/memory-transport.js'
import { PeerSession, randomIdentity, type PeerIdentity } from '../../src/peer/session/session.js'
import { serveRepo } from '../../src/peer/sync/serve-repo.js'
import { useTmp } from '../helpers/tmp.js'

/**
 * A relay (or tracker) in the middle of two members' connections cannot splice them: the signed
 * HELLO it gets from one member covers that connection's two nonces, so presenting it on another
 * connection is refused.
 */

const tmp = useTmp()

function identityOf (ws: gas.Workspace): PeerIdentity {
  return { ...randomIdentity(ws.identity.name, ws.config.team?.id ?? null), publicKey: ws.identity.publicKey }
}

describe('the HELLO signature is bound to its connection', () => {
  it('a signed HELLO captured on one connection is refused on another', async () => {
    const ana = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
    const bo = await gas.init({ dir: tmp(), name: 'bo' })
    await joinTeam(bo, JSON.stringify(await createInvite(ana, { publicKey: bo.identity.publicKey, name: 'bo', roles: ['artist'] })))

    // the relay opens a connection to ana and keeps the signed HELLO ana sends it
    let captured: HelloMessage | undefined
    const [relayToAna, anaSide] = MemoryTransport.pair({ a: 'relay', b: 'ana' })
    const anaServing = serveRepo({ store: new MemoryStore(), refs: ana.refs, transport: anaSide, identity: identityOf(ana), ...gas.peerSecurity(ana) }).catch((err: unknown) => err)
    await PeerSession.open({ transport: relayToAna, store: new MemoryStore(), identity: randomIdentity('relay', ana.config.team!.id), verify: (remote) => { captured = remote } })
      .then((s) => s.close(), () => {})
    expect(captured?.signature).toMatch(/^[0-9a-f]{128}$/)
    // ana never accepted the relay (it proved nothing; it hung up before ana's refusal)
    expect(['E_AUTH', 'E_PEER_LOST']).toContain((await anaServing as { code?: string }).code)

    // on a second connection, to bo, the relay presents ana's key, certificate and captured signature
    const [relayToBo, boSide] = MemoryTransport.pair({ a: 'ana', b: 'bo' })
    const boServing = serveRepo({ store: new MemoryStore(), refs: bo.refs, transport: boSide, identity: identityOf(bo), ...gas.peerSecurity(bo) }).catch((err: unknown) => err)
    const spliced = await PeerSession.open({
      transport: relayToBo,
      store: new MemoryStore(),
      identity: identityOf(ana),
      sign: () => ({ signature: captured!.signature!, certificate: captured!.certificate })
    }).then((s) => s, (err: unknown) => err)
    expect(await boServing).toMatchObject({ code: 'E_AUTH', message: expect.stringMatching(/did not prove it holds key/) })
    if (spliced instanceof PeerSession) {
      // the relay was told why (GOODBYE) and served nothing
      await new Promise<void>((resolve) => { if (spliced.closed) resolve(); else spliced.onClose(() => resolve()) })
      expect(spliced.ledger.objectsReceived).toBe(0)
    }
  })
})
