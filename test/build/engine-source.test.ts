import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { detectEngine, parseEngineFlag } from '../../src/build/engine-detect.js'
import { gitCommitOf } from '../../src/build/source-version.js'
import { realFs } from '../../src/objects/fs.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()

describe('engine detection from project files', () => {
  it('reads Unity, Godot and Unreal project files, the first folder that has one winning', async () => {
    const unity = tmp()
    mkdirSync(join(unity, 'ProjectSettings'))
    writeFileSync(join(unity, 'ProjectSettings', 'ProjectVersion.txt'), 'm_EditorVersion: 2022.3.10f1\nm_EditorVersionWithRevision: 2022.3.10f1 (ff3792e53c62)\n')
    const godot = tmp()
    writeFileSync(join(godot, 'project.godot'), '; Engine configuration file.\nconfig_version=5\n\n[application]\nconfig/name="Orcs"\nconfig/features=PackedStringArray("4.2", "Forward Plus")\n')
    const unreal = tmp()
    writeFileSync(join(unreal, 'Orcs.uproject'), JSON.stringify({ FileVersion: 3, EngineAssociation: '5.3', Modules: [] }))
    const unrealSource = tmp()
    writeFileSync(join(unrealSource, 'Orcs.uproject'), '{not json')
    const nothing = tmp()
    expect(await detectEngine(realFs, [unity])).toEqual({ name: 'unity', version: '2022.3.10f1' })
    expect(await detectEngine(realFs, [godot])).toEqual({ name: 'godot', version: '4.2' })
    expect(await detectEngine(realFs, [unreal])).toEqual({ name: 'unreal', version: '5.3' })
    expect(await detectEngine(realFs, [unrealSource])).toEqual({ name: 'unreal', version: null })
    expect(await detectEngine(realFs, [nothing, join(nothing, 'absent'), godot, unity])).toEqual({ name: 'godot', version: '4.2' })
    expect(await detectEngine(realFs, [nothing])).toBeUndefined()
    expect(parseEngineFlag('unity@6000.0.1f1')).toEqual({ name: 'unity', version: '6000.0.1f1' })
    expect(parseEngineFlag('custom')).toEqual({ name: 'custom', version: null })
  })

  it('source version: the commit checked out in the git work tree around the folder', async () => {
    const repo = tmp()
    const git = (...args: string[]): string => execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { encoding: 'utf8' }).trim()
    git('init', '-q')
    expect(await gitCommitOf(repo)).toBeUndefined()
    writeFileSync(join(repo, 'a.txt'), 'a')
    git('add', 'a.txt')
    git('commit', '-qm', 'a')
    mkdirSync(join(repo, 'Builds', 'win64'), { recursive: true })
    expect(await gitCommitOf(join(repo, 'Builds', 'win64'))).toBe(git('rev-parse', 'HEAD'))
    expect(await gitCommitOf(tmp())).toBeUndefined()
  })
})
