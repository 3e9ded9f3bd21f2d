import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Workspace } from '../../src/repo/workspace.js'
import { addPaths } from '../../src/repo/add.js'
import { addOverride } from '../../src/sync/overrides.js'
import { detectEngine, loadWorkspacePolicy } from '../../src/sync/workspace-policy.js'
import { checkStagedRules } from '../../src/sync/check-rules.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
const someTree = 'c'.repeat(64)

describe('the policy in force in a workspace', () => {
  it('a change of roles, overrides or rules clears the whole-tree cache; the same policy keeps it', async () => {
    const ws = await Workspace.init({ dir: tmp(), name: 'pat', team: 'orcs' })
    await loadWorkspacePolicy(ws)
    await ws.store.completeTrees.add([someTree])
    await loadWorkspacePolicy(ws)
    expect(ws.store.completeTrees.has(someTree)).toBe(true)
    ws.config = { ...ws.config, roles: ['programmer'] }
    expect((await loadWorkspacePolicy(ws)).policy.roles).toEqual(['programmer'])
    expect(ws.store.completeTrees.has(someTree)).toBe(false)
    await ws.store.completeTrees.add([someTree])
    await addOverride(ws, { action: 'include', pattern: 'kind:texture' })
    await loadWorkspacePolicy(ws)
    expect(ws.store.completeTrees.has(someTree)).toBe(false)
    await ws.store.completeTrees.add([someTree])
    writeFileSync(join(ws.root, '.gasrules'), 'include kind:audio\n')
    await addPaths(ws, { paths: [join(ws.root, '.gasrules')] })
    await loadWorkspacePolicy(ws)
    expect(ws.store.completeTrees.has(someTree)).toBe(false)
    await ws.close()
  })

  it('a damaged state file is rebuilt; a rules file larger than 1 MiB is a bad rules file', async () => {
    const ws = await Workspace.init({ dir: tmp(), name: 'pat', team: 'orcs' })
    writeFileSync(join(ws.gasDir, 'sync-policy.json'), '{ not json')
    expect((await loadWorkspacePolicy(ws)).notice).toBeNull()
    writeFileSync(join(ws.root, '.gasrules'), `# ${'x'.repeat(1024 * 1024)}\n`)
    await addPaths(ws, { paths: [join(ws.root, '.gasrules')] })
    await expect(checkStagedRules(ws)).rejects.toMatchObject({ code: 'E_BAD_RULES', data: { reason: 'too large' } })
    const loaded = await loadWorkspacePolicy(ws)
    expect(loaded.notice).toMatch(/at most 1048576; the previous rules stay in force/)
    expect((await loadWorkspacePolicy(ws)).notice).toBeNull()
    await ws.close()
  })

  it('the engine comes from the disk, else from what the index tracks', async () => {
    const ws = await Workspace.init({ dir: tmp(), name: 'pat' })
    expect(await detectEngine(ws)).toBeNull()
    writeFileSync(join(ws.root, 'project.godot'), 'config_version=5')
    expect(await detectEngine(ws)).toBe('godot')
    expect(await detectEngine(ws, { base: null, entries: { 'Game.uproject': { asset: someTree, meta: { file: someTree, size: 1, sha256: someTree, kind: 'other', format: 'x', tags: {}, previews: [] }, mtimeMs: -1 } } })).toBe('godot')
    const bare = await Workspace.init({ dir: tmp(), name: 'pat' })
    expect(await detectEngine(bare, { base: null, entries: { 'Game.uproject': { asset: someTree, meta: { file: someTree, size: 1, sha256: someTree, kind: 'other', format: 'x', tags: {}, previews: [] }, mtimeMs: -1 } } })).toBe('unreal')
    await ws.close()
    await bare.close()
  })
})
