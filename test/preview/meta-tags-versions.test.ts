import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { mergeMetaTags } from '../../src/preview/meta-tags.js'
import { gasSync } from '../helpers/cli.js'
import { ffmpeg } from './reference.js'

/**
 * Embedded metadata tags across versions of a file: what the file says is refreshed when it
 * changes, and a `meta.` tag a person set (`gas meta set`) is never replaced or removed.
 */
const dir = mkdtempSync(join(tmpdir(), 'gas-meta-versions-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function song (tags: Record<string, string>): void {
  ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'libvorbis', ...Object.entries(tags).flatMap(([k, v]) => ['-metadata', `${k}=${v}`]), join(dir, 'theme.ogg'))
}
function tags (): Record<string, string> {
  const r = gasSync(dir, ['meta', 'get', 'theme.ogg', '--json'])
  expect(r.status, r.stderr).toBe(0)
  return Object.fromEntries(Object.entries((JSON.parse(r.stdout) as { tags: Record<string, string> }).tags).filter(([k]) => k.startsWith('meta.') && k !== 'meta.software'))
}
function addCommit (message: string): void {
  const added = gasSync(dir, ['add', 'theme.ogg'])
  expect(added.status, added.stderr).toBe(0)
  expect(gasSync(dir, ['commit', '-m', message]).status).toBe(0)
}

describe('meta tags across versions', () => {
  it('the file\'s new values replace its old ones; a person\'s edit stays through later versions', () => {
    expect(gasSync(dir, ['init', '--name', 'ana']).status).toBe(0)
    song({ title: 'Theme A', artist: 'Band', album: 'OST' })
    addCommit('v1')
    expect(tags()).toEqual({ 'meta.title': 'Theme A', 'meta.artist': 'Band', 'meta.album': 'OST' })

    // the sound lead credits the composer by hand
    const set = gasSync(dir, ['meta', 'set', 'theme.ogg', 'meta.artist=Composer K.'])
    expect(set.status, set.stderr).toBe(0)
    expect(gasSync(dir, ['commit', '-m', 'credit']).status).toBe(0)

    song({ title: 'Theme B', artist: 'Band 2' }) // a new take: new title, new artist, no album
    addCommit('v2')
    expect(tags()).toEqual({ 'meta.title': 'Theme B', 'meta.artist': 'Composer K.' })
    const found = JSON.parse(gasSync(dir, ['find', '--tag', 'meta.title=Theme B', '--json']).stdout) as { assets: Array<{ path: string }> }
    expect(found.assets.map(a => a.path)).toEqual(['theme.ogg'])

    song({ artist: 'Band 3' }) // the title tag is gone from the file: so is the tag it made
    addCommit('v3')
    expect(tags()).toEqual({ 'meta.artist': 'Composer K.' })
  })

  it('mergeMetaTags: plain tags untouched, a person\'s value kept, the file\'s stale value dropped', () => {
    expect(mergeMetaTags({ stage: 'final', 'meta.title': 'Mine' }, { title: 'File', bpm: '120' })).toEqual({ stage: 'final', 'meta.title': 'Mine', 'meta.bpm': '120' })
    expect(mergeMetaTags({ 'meta.title': 'Old', 'meta.bpm': '90' }, { title: 'New' }, { title: 'Old', bpm: '90' })).toEqual({ 'meta.title': 'New' })
    expect(mergeMetaTags({ 'meta.bpm': '100' }, {}, { bpm: '90' })).toEqual({ 'meta.bpm': '100' })
  })
})
