import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { gasInProcess } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()

async function publicKeyOf (dir: string): Promise<string> {
  return (JSON.parse((await gasInProcess(dir, ['whoami', '--json'])).stdout) as { publicKey: string }).publicKey
}

describe('gas team add by an admin (DESIGN.md, Auth: certificates signed by the root key or an admin)', () => {
  it('an admin invites a member, who joins with the roles given; a member who is no admin may not invite', async () => {
    const [ana, bo, cy, dee] = [tmp(), tmp(), tmp(), tmp()]
    await gasInProcess(ana, ['init', '--name', 'ana', '--team', 'orcs'])
    for (const [dir, name] of [[bo, 'bo'], [cy, 'cy'], [dee, 'dee']]) await gasInProcess(dir, ['init', '--name', name])
    const boInvite = join(bo, 'invite.json')
    expect((await gasInProcess(ana, ['team', 'add', await publicKeyOf(bo), '--name', 'bo', '--role', 'admin', '--out', boInvite])).status).toBe(0)
    expect((await gasInProcess(bo, ['team', 'join', boInvite])).status).toBe(0)

    const cyInvite = join(cy, 'invite.json')
    const added = await gasInProcess(bo, ['team', 'add', await publicKeyOf(cy), '--name', 'cy', '--role', 'artist', '--out', cyInvite])
    expect(added.stderr).toBe('')
    expect(added.status).toBe(0)
    // the admin's own certificate travels inside, so a joiner (and every peer) can check it against the root key
    expect(JSON.parse(readFileSync(cyInvite, 'utf8'))).toMatchObject({ certificate: { member: { name: 'cy', roles: ['artist'] }, issuer: { member: { name: 'bo', roles: ['admin'] } } } })
    const joined = await gasInProcess(cy, ['team', 'join', cyInvite, '--json'])
    expect(joined.stderr).toBe('')
    expect(JSON.parse(joined.stdout)).toMatchObject({ name: 'orcs', roles: ['artist'] })
    expect(JSON.parse((await gasInProcess(cy, ['whoami', '--json'])).stdout)).toMatchObject({ member: 'cy', roles: ['artist'] })

    // cy (an artist) may not invite
    const denied = await gasInProcess(cy, ['team', 'add', await publicKeyOf(dee), '--name', 'dee', '--role', 'lead', '--out', join(dee, 'invite.json')])
    expect(denied.status).toBe(1)
    expect(denied.stderr).toMatch(/^gas: E_DENIED: only the team lead or an admin/)
  })
})
