import { describe, expect, it } from 'vitest'
import { checkBuildName, checkBuildPath, decodeBuild, encodeBuild, type Build } from '../../src/objects/build.js'
import { merkleRoot } from '../../src/build/merkle.js'
import { checkBuildSignature, signBuild } from '../../src/build/signature.js'
import { parseBuildSpec } from '../../src/build/build-ref.js'
import { createIdentity } from '../../src/repo/identity.js'
import { encodeCanonical } from '../../src/objects/canonical-json.js'

const id = (c: string): string => c.repeat(64)
const files = [
  { path: 'Data/a.pak', mode: 0o644, size: 3, sha256: id('a'), file: id('1') },
  { path: 'game.exe', mode: 0o755, size: 5, sha256: id('b'), file: id('2') }
]

function sample (): Build {
  const publisher = createIdentity('ana')
  return signBuild(publisher, {
    name: 'game', version: '1.0.0', platform: 'win64', engine: { name: 'unity', version: '2022.3.10f1' },
    source: { kind: 'git', version: id('c').slice(0, 40) },
    publisher: { name: 'ana', publicKey: publisher.publicKey },
    time: { seconds: 1_800_000_000, offsetMinutes: 60, timeZone: 'Europe/Berlin' },
    files, merkleRoot: merkleRoot(files), dependencies: [{ name: 'engine@2', type: 'build', id: id('d') }], signature: null
  })
}

describe('build object', () => {
  it('round-trips canonically and its signature covers every field', () => {
    const build = sample()
    const body = encodeBuild(build)
    expect(decodeBuild(body)).toEqual(build)
    expect(Buffer.from(encodeBuild(decodeBuild(body))).equals(Buffer.from(body))).toBe(true)
    expect(() => checkBuildSignature(build, 'x')).not.toThrow()
    expect(() => checkBuildSignature({ ...build, version: '1.0.1' }, 'x')).toThrow(expect.objectContaining({ code: 'E_BAD_SIGNATURE' }))
    expect(() => checkBuildSignature({ ...build, signature: null }, 'x')).toThrow(expect.objectContaining({ code: 'E_BAD_SIGNATURE', message: expect.stringContaining('not signed') }))
    // re-signed by someone else with the publisher's name: the key does not match
    const forger = createIdentity('ana')
    const forged = { ...signBuild(forger, { ...build, publisher: { name: 'ana', publicKey: forger.publicKey }, signature: null }), publisher: build.publisher }
    expect(() => checkBuildSignature(forged, 'x')).toThrow(expect.objectContaining({ code: 'E_BAD_SIGNATURE' }))
    // a signed build whose root does not match its files
    const publisher = createIdentity('bo')
    const lying = signBuild(publisher, { ...build, publisher: { name: 'bo', publicKey: publisher.publicKey }, merkleRoot: id('e'), signature: null })
    expect(() => checkBuildSignature(lying, 'x')).toThrow(expect.objectContaining({ code: 'E_BAD_SIGNATURE', message: expect.stringContaining('Merkle') }))
  })

  it('refuses paths that escape, absolute, duplicate or unsorted, naming the file', () => {
    const build = sample()
    const withFiles = (paths: string[]): Uint8Array => encodeCanonical({ ...build, files: paths.map((path) => ({ ...files[0], path })) })
    expect(() => decodeBuild(withFiles(['../evil.dll']))).toThrow(expect.objectContaining({ code: 'E_PATH_ESCAPE', data: { path: '../evil.dll' } }))
    expect(() => decodeBuild(withFiles(['/etc/passwd']))).toThrow(expect.objectContaining({ code: 'E_PATH_ESCAPE' }))
    expect(() => decodeBuild(withFiles(['C:/Windows/x.dll']))).toThrow(expect.objectContaining({ code: 'E_PATH_ESCAPE' }))
    expect(() => decodeBuild(withFiles(['a/./b']))).toThrow(expect.objectContaining({ code: 'E_PATH_ESCAPE' }))
    expect(() => decodeBuild(withFiles(['a', 'a']))).toThrow(expect.objectContaining({ code: 'E_CORRUPT_OBJECT', message: expect.stringContaining('"a" is listed twice') }))
    expect(() => decodeBuild(withFiles(['b', 'a']))).toThrow(expect.objectContaining({ code: 'E_CORRUPT_OBJECT' }))
    expect(() => checkBuildPath('a\\b')).toThrow(expect.objectContaining({ code: 'E_PATH_ESCAPE' }))
    expect(() => decodeBuild(encodeCanonical({ ...build, files: [{ ...files[0], mode: 0o777 }] }))).toThrow(expect.objectContaining({ code: 'E_CORRUPT_OBJECT' }))
    expect(() => decodeBuild(encodeCanonical({ ...build, source: { kind: 'svn', version: null } }))).toThrow(expect.objectContaining({ code: 'E_CORRUPT_OBJECT' }))
    expect(() => decodeBuild(Buffer.from('{"name": "x"}'))).toThrow(expect.objectContaining({ code: 'E_CORRUPT_OBJECT' }))
  })

  it('Merkle root: order-independent input, any change to a file changes it, empty builds have one', () => {
    const root = merkleRoot(files)
    expect(merkleRoot([...files].reverse())).toBe(root)
    expect(merkleRoot([files[0], { ...files[1], sha256: id('f') }])).not.toBe(root)
    expect(merkleRoot([files[0], { ...files[1], mode: 0o644 }])).not.toBe(root)
    expect(merkleRoot([files[0]])).not.toBe(root)
    expect(merkleRoot([...files, { ...files[0], path: 'z' }])).toMatch(/^[0-9a-f]{64}$/)
    expect(merkleRoot([])).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
  })

  it('names and NAME@VERSION specs', () => {
    expect(parseBuildSpec('game-win64@1.3.0')).toEqual({ name: 'game-win64', version: '1.3.0' })
    for (const bad of ['game', '@1.0', 'game@', 'ga/me@1', 'game@../1', 'game@.hidden']) expect(() => parseBuildSpec(bad)).toThrow(expect.objectContaining({ code: 'E_BAD_ARGUMENT' }))
    expect(() => checkBuildName('x.lock', 'version')).toThrow(expect.objectContaining({ code: 'E_BAD_ARGUMENT' }))
  })
})
