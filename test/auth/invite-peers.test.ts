import { describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { createInvite, joinTeam } from '../../src/auth/invite.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()

describe('invites carry direct addresses', () => {
  it('the inviter\'s fixed listen address and known peers go into the invitee\'s config; a bad address refuses the invite', async () => {
    const ana = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
    ana.config = { ...ana.config, listen: '192.168.1.20:7480', peers: ['192.168.1.21:7480'] }
    const bo = await gas.init({ dir: tmp(), name: 'bo' })
    const invite = await createInvite(ana, { publicKey: bo.identity.publicKey, name: 'bo', roles: ['qa'] })
    expect(invite.peers).toEqual(['192.168.1.20:7480', '192.168.1.21:7480'])
    await joinTeam(bo, JSON.stringify(invite))
    expect(bo.config.peers).toEqual(['192.168.1.20:7480', '192.168.1.21:7480'])
    // every interface on a free port is no address another machine can use
    ana.config = { ...ana.config, listen: ':0', peers: [] }
    const cy = await gas.init({ dir: tmp(), name: 'cy' })
    const plain = await createInvite(ana, { publicKey: cy.identity.publicKey, name: 'cy', roles: ['qa'] })
    expect(plain.peers).toBeUndefined()
    await expect(joinTeam(cy, JSON.stringify({ ...plain, peers: ['nowhere'] }))).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT' })
    await expect(joinTeam(cy, JSON.stringify({ ...plain, peers: 'x' }))).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT' })
  })
})
