import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { gasInProcess } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()

describe('gas team revoke | roles | list | policy', () => {
  it('a lead changes roles, revokes, sets and shows the policy; a member may not; bad input is a usage error', async () => {
    const ana = tmp()
    const bo = tmp()
    expect((await gasInProcess(ana, ['init', '--name', 'ana', '--team', 'orcs'])).status).toBe(0)
    await gasInProcess(bo, ['init', '--name', 'bo'])
    const { publicKey } = JSON.parse((await gasInProcess(bo, ['whoami', '--json'])).stdout) as { publicKey: string }
    const invite = join(bo, 'invite.json')
    expect((await gasInProcess(ana, ['team', 'add', publicKey, '--name', 'bo', '--role', 'artist', '--out', invite])).status).toBe(0)
    expect((await gasInProcess(bo, ['team', 'join', invite])).status).toBe(0)

    const roles = await gasInProcess(ana, ['team', 'roles', 'bo', 'artist,build', '--json'])
    expect(JSON.parse(roles.stdout)).toMatchObject({ member: { name: 'bo', roles: ['artist', 'build'] } })
    expect((await gasInProcess(ana, ['team', 'roles', 'bo', 'sound'])).stdout).toMatch(/bo now holds sound/)

    const policy = join(ana, 'policy.json')
    writeFileSync(policy, JSON.stringify({ read: [], write: [{ ref: 'refs/tags/release-*', roles: ['lead'] }] }))
    expect(JSON.parse((await gasInProcess(ana, ['team', 'policy', 'set', policy, '--json'])).stdout)).toEqual({ version: 1, read: 0, write: 1 })
    expect(JSON.parse((await gasInProcess(ana, ['team', 'policy', 'show', '--json'])).stdout)).toMatchObject({ version: 1, write: [{ ref: 'refs/tags/release-*', roles: ['lead'] }], signedBy: { name: 'ana' } })
    expect((await gasInProcess(ana, ['team', 'policy', 'show'])).stdout).toMatch(/"version": 1/)
    writeFileSync(policy, '{"write": [{"ref": "heads/*", "roles": ["lead"]}]}')
    const bad = await gasInProcess(ana, ['team', 'policy', 'set', policy])
    expect(bad.status).toBe(2)
    expect(bad.stderr).toMatch(/^gas: E_BAD_ARGUMENT: write rule 1/)
    expect((await gasInProcess(ana, ['team', 'policy', 'set', join(ana, 'absent.json')])).stderr).toMatch(/E_NOT_FOUND/)

    const denied = await gasInProcess(bo, ['team', 'revoke', 'ana'])
    expect(denied.status).toBe(1)
    expect(denied.stderr).toMatch(/^gas: E_ACCESS_DENIED: only a lead or admin can revoke a member/)
    const revoked = await gasInProcess(ana, ['team', 'revoke', 'bo', '--json'])
    expect(JSON.parse(revoked.stdout)).toMatchObject({ revoked: { name: 'bo', publicKey }, by: 'ana' })
    expect((await gasInProcess(ana, ['team', 'revoke', 'bo'])).stderr).toMatch(/E_ALREADY_EXISTS: bo is already revoked/)
    const list = JSON.parse((await gasInProcess(ana, ['team', 'list', '--json'])).stdout) as { members: Array<{ name: string, roles: string[], revoked: boolean }> }
    expect(list.members).toEqual([
      expect.objectContaining({ name: 'ana', roles: ['lead'], revoked: false }),
      expect.objectContaining({ name: 'bo', roles: ['sound'], revoked: true })
    ])
    expect((await gasInProcess(ana, ['team', 'list'])).stdout).toMatch(/bo\t.*\tsound\tREVOKED/)
    expect((await gasInProcess(ana, ['team', 'revoke', 'ana'])).status).toBe(2)
  })
})
