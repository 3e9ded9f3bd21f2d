import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { createInvite, joinTeam } from '../../src/auth/invite.js'
import { verifyLockRecord } from '../../src/auth/lock-verify.js'
import { formatWallClock } from '../../src/repo/lock-format.js'
import { readLockRecords, storeLockRecord } from '../../src/repo/lock-store.js'
import { GAS_BIN } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'
import { gitEnv, run } from './git-env.js'

const tmp = useTmp()

describe('gas hook pre-push and locks (real git)', () => {
  it('refuses a push changing an asset another member locked, naming file, holder and expiry; passes one\'s own locks and expired ones', async () => {
    const root = tmp()
    const { git, env } = gitEnv(join(root, 'home'))
    const dir = join(root, 'game')
    const remote = join(root, 'remote.git')
    await git(root, ['init', '-q', dir])
    await git(root, ['init', '-q', '--bare', remote])
    await git(dir, ['remote', 'add', 'origin', remote])
    const ana = await gas.init({ dir, name: 'ana', team: 'orcs' })
    const bo = await gas.init({ dir: join(root, 'bo'), name: 'bo' })
    try {
      await joinTeam(bo, JSON.stringify(await createInvite(ana, { publicKey: bo.identity.publicKey, name: 'bo', roles: ['artist'] })))
      writeFileSync(join(dir, '.gitignore'), '.gas/\n')
      const installed = await run(process.execPath, [GAS_BIN, 'hook', 'install', '--json'], { cwd: dir, env })
      expect(installed.status, installed.stderr).toBe(0)

      // bo locks art/hero.psd; the record reaches ana as a sync brings it: checked, then stored
      const held = await gas.lock({ ws: bo, path: 'art/hero.psd', ttlMs: 3600_000, reason: 'rigging' })
      await gas.lock({ ws: ana, path: 'art/own.png' })
      for (const { record } of await readLockRecords(bo.refs, bo.store)) {
        verifyLockRecord(record, ana.config.team)
        await storeLockRecord(ana.refs, ana.store, record, { who: 'test', now: Date.now(), message: 'from bo' })
      }

      // ana's own lock does not stop ana
      mkdirSync(join(dir, 'art'))
      writeFileSync(join(dir, 'art', 'own.png'), 'mine')
      await git(dir, ['add', '.'])
      await git(dir, ['commit', '-qm', 'own'])
      const own = await git(dir, ['push', 'origin', 'main'])
      expect(own.status, own.stderr).toBe(0)

      writeFileSync(join(dir, 'art', 'hero.psd'), 'edited while bo holds it')
      await git(dir, ['add', '.'])
      await git(dir, ['commit', '-qm', 'hero'])
      const commit = (await git(dir, ['rev-parse', 'HEAD'])).stdout.trim()
      const refused = await git(dir, ['push', 'origin', 'main'])
      expect(refused.status).not.toBe(0)
      expect(refused.stderr).toContain('gas: E_PUSH_REFUSED')
      expect(refused.stderr).toContain(`art/hero.psd (commit ${commit.slice(0, 10)}): locked by bo until ${formatWallClock(held.lock.expires, ana.config.timeZone)} (rigging)`)
      expect((await git(remote, ['rev-parse', 'main'])).stdout.trim()).not.toBe(commit)

      // once the lease has expired (the hook's clock from $GAS_NOW) the same push goes through
      const later = await git(dir, ['push', 'origin', 'main'], { env: { ...env, GAS_NOW: String(held.lock.expires) } })
      expect(later.status, later.stderr).toBe(0)
      expect((await git(remote, ['rev-parse', 'main'])).stdout.trim()).toBe(commit)
    } finally {
      await ana.close()
      await bo.close()
    }
  }, 120_000)
})
