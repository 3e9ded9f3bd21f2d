import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { IgnoreRules } from '../../src/repo/ignore-rules.js'
import { walkWorkspaceParallel } from '../../src/repo/parallel-walk.js'
import { walkWorkspace } from '../../src/repo/workspace-walk.js'
import { gasInProcess } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()

/** A workspace with art of its own, a git clone of the game's code inside it, and a submodule-style checkout (`.git` a file) deeper down. */
async function workspaceWithClones (): Promise<gas.Workspace> {
  const ws = await gas.init({ dir: tmp(), name: 'bo' })
  for (let f = 0; f < 20; f++) {
    mkdirSync(join(ws.root, 'art', `set${f}`), { recursive: true })
    writeFileSync(join(ws.root, 'art', `set${f}`, 'rock.png'), `rock ${f}`)
  }
  mkdirSync(join(ws.root, 'game', '.git', 'objects'), { recursive: true })
  writeFileSync(join(ws.root, 'game', '.git', 'HEAD'), 'ref: refs/heads/main\n')
  mkdirSync(join(ws.root, 'game', 'src'), { recursive: true })
  writeFileSync(join(ws.root, 'game', 'src', 'main.c'), 'int main(){}\n')
  writeFileSync(join(ws.root, 'game', 'README.md'), '# game\n')
  mkdirSync(join(ws.root, 'art', 'set7', 'vendor'), { recursive: true })
  writeFileSync(join(ws.root, 'art', 'set7', 'vendor', '.git'), 'gitdir: ../../../game/.git/modules/vendor\n')
  writeFileSync(join(ws.root, 'art', 'set7', 'vendor', 'lib.c'), 'void f(){}\n')
  return ws
}

describe('a git repository inside the workspace', () => {
  it('is one untracked folder to the status walk, on one thread or two; its files are not listed', async () => {
    const ws = await workspaceWithClones()
    const rules = IgnoreRules.fromText('')
    const walk = async (parallel: boolean): Promise<string[]> => {
      const untracked: string[] = []
      const visitor = { tracked: () => undefined, onTracked: () => {}, onUntracked: (p: string) => untracked.push(p) }
      if (parallel) await walkWorkspaceParallel(ws.root, rules, visitor)
      else walkWorkspace(ws.root, rules, visitor)
      return untracked.sort()
    }
    const one = await walk(false)
    expect(one).toContain('game/')
    expect(one).toContain('art/set7/vendor/')
    expect(one.filter((p) => p.startsWith('game/') || p.startsWith('art/set7/vendor/'))).toEqual(['art/set7/vendor/', 'game/'])
    expect(one).toHaveLength(22)
    expect(await walk(true)).toEqual(one)
    await ws.close()
  })

  it('`gas add .` leaves it out, `gas add FOLDER` names it and adds its files; a file tracked inside it stays tracked', async () => {
    const ws = await workspaceWithClones()
    await ws.close()
    const added = JSON.parse((await gasInProcess(ws.root, ['add', '.', '--json'])).stdout) as { added: Array<{ path: string }> }
    const paths = added.added.map((a) => a.path)
    expect(paths).toHaveLength(20)
    expect(paths.every((p) => p.startsWith('art/') && !p.includes('vendor'))).toBe(true)
    const status = JSON.parse((await gasInProcess(ws.root, ['status', '--json'])).stdout)
    expect(status.untracked).toEqual(['art/set7/vendor/', 'game/'])
    await gasInProcess(ws.root, ['add', 'game/src/main.c'])
    await gasInProcess(ws.root, ['commit', '-m', 'art and the entry point'])
    // the tracked file inside the clone is still seen (stat'ed by name): an edit shows, the rest of the clone does not
    writeFileSync(join(ws.root, 'game', 'src', 'main.c'), 'int main(){ return 1; }\n')
    const after = JSON.parse((await gasInProcess(ws.root, ['status', '--json'])).stdout)
    expect(after.modified).toEqual(['game/src/main.c'])
    expect(after.untracked).toEqual(['art/set7/vendor/', 'game/'])
    // check-ignore says why, as status and add treat it (a tracked file inside stays tracked)
    const why = await gasInProcess(ws.root, ['check-ignore', 'game/README.md', 'game', 'game/src/main.c', 'art/set1/rock.png'])
    expect(why.stdout.trimEnd().split('\n')).toEqual([
      'game/README.md: ignored by "game/.git" (built-in: another repository)',
      'game: ignored by "game/.git" (built-in: another repository)',
      'game/src/main.c: tracked (ignore rules do not apply)',
      'art/set1/rock.png: tracked (ignore rules do not apply)'
    ])
    const named = JSON.parse((await gasInProcess(ws.root, ['add', 'art/set7/vendor', '--json'])).stdout) as { added: Array<{ path: string }> }
    expect(named.added.map((a) => a.path)).toEqual(['art/set7/vendor/lib.c'])
  })
})
