import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { useTmp } from '../helpers/tmp.js'
import { gitEnv } from './git-env.js'

const tmp = useTmp()

describe('git-remote-gas protocol, in process', () => {
  it('answers capabilities, list, push and fetch as gitremote-helpers(7) says, and refuses what git refuses', async () => {
    const root = tmp()
    const { git, env } = gitEnv(join(root, 'home'))
    const ws = await gas.init({ dir: join(root, 'gas'), name: 'ana', team: 'orcs' })
    const saved = { HOME: process.env.HOME, GIT_CONFIG_NOSYSTEM: process.env.GIT_CONFIG_NOSYSTEM }
    process.env.HOME = env.HOME
    process.env.GIT_CONFIG_NOSYSTEM = '1'
    const helper = async (cwd: string, commands: string, url = 'gas://orcs/game'): Promise<string> => {
      const input = new PassThrough()
      const output = new PassThrough()
      let text = ''
      output.on('data', (b: Buffer) => { text += b.toString('utf8') })
      input.end(commands)
      await gas.hooks.runRemoteHelper({ ws, url, cwd, input, output, trackers: [], security: gas.peerSecurity(ws) })
      return text
    }
    const sh = async (cwd: string, args: string[]): Promise<string> => (await git(cwd, args)).stdout.trim()
    try {
      const one = join(root, 'one')
      mkdirSync(one)
      await sh(one, ['init', '-q'])
      for (const n of [1, 2]) {
        writeFileSync(join(one, `f${n}.txt`), `${n}\n`)
        await sh(one, ['add', '.'])
        await sh(one, ['commit', '-qm', `c${n}`])
      }
      const head = await sh(one, ['rev-parse', 'HEAD'])
      expect(await helper(one, 'capabilities\nlist for-push\npush refs/heads/main:refs/heads/main\npush refs/heads/main:refs/heads/feature\n\n'))
        .toBe('fetch\npush\n\n\nok refs/heads/main\nok refs/heads/feature\n\n')
      // the clone's LFS goes through gas, and the workspace is remembered
      expect(await sh(one, ['config', 'lfs.standalonetransferagent'])).toBe('gas')
      expect(await sh(one, ['config', 'gas.workspace'])).toBe(ws.root)
      expect(await helper(one, 'list\n')).toBe(`${head} refs/heads/feature\n${head} refs/heads/main\n@refs/heads/main HEAD\n\n`)

      // a fresh repository fetches the packs and has every object
      const two = join(root, 'two')
      await sh(root, ['init', '-q', two])
      expect(await helper(two, `list\nfetch ${head} refs/heads/main\n\n`)).toBe(`${head} refs/heads/feature\n${head} refs/heads/main\n@refs/heads/main HEAD\n\n\n`)
      expect((await git(two, ['cat-file', '-e', `${head}^{tree}`])).status).toBe(0)
      expect((await git(two, ['fsck', head])).status).toBe(0)
      // fetching what is already there does nothing
      expect(await helper(two, `fetch ${head} refs/heads/main\n\n`)).toBe('\n')

      // refusals: an unknown remote commit (fetch first), a rewrite (non-fast-forward), a name outside refs/
      const three = join(root, 'three')
      await sh(root, ['init', '-q', three])
      writeFileSync(join(three, 'x.txt'), 'x\n')
      await sh(three, ['add', '.'])
      await sh(three, ['commit', '-qm', 'unrelated'])
      expect(await helper(three, 'push refs/heads/main:refs/heads/main\npush refs/heads/main:HEAD\n\n')).toBe('error refs/heads/main fetch first\nerror HEAD gas can only push to refs/... names\n\n')
      await sh(one, ['commit', '-q', '--amend', '-m', 'c2 rewritten'])
      const rewritten = await sh(one, ['rev-parse', 'HEAD'])
      expect(await helper(one, 'push refs/heads/main:refs/heads/main\n\n')).toBe('error refs/heads/main non-fast-forward\n\n')
      // forced, and a deletion, go through
      expect(await helper(one, 'push +refs/heads/main:refs/heads/main\npush :refs/heads/feature\n\n')).toBe('ok refs/heads/main\nok refs/heads/feature\n\n')
      expect(await helper(one, 'list\n')).toBe(`${rewritten} refs/heads/main\n@refs/heads/main HEAD\n\n`)
      // pushing an unchanged ref records no new state
      const state = await ws.refs.read('refs/git/game')
      expect(await helper(one, 'push refs/heads/main:refs/heads/main\n\n')).toBe('ok refs/heads/main\n\n')
      expect(await ws.refs.read('refs/git/game')).toBe(state)

      await expect(helper(one, 'connect git-upload-pack\n')).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT' })
      await expect(helper(one, 'list\n', 'gas://elves/game')).rejects.toThrow(/names team "elves"/)
      expect(() => gas.hooks.parseGasUrl('https://example.com/x')).toThrow(/not a gas URL/)
      expect(gas.hooks.parseGasUrl('gas://orcs/game.git')).toEqual({ team: 'orcs', repo: 'game' })
      expect(await gas.hooks.gitRemoteGas([])).toBe(1)
    } finally {
      process.env.HOME = saved.HOME
      if (saved.GIT_CONFIG_NOSYSTEM === undefined) delete process.env.GIT_CONFIG_NOSYSTEM
      await ws.close()
    }
  }, 60_000)
})
