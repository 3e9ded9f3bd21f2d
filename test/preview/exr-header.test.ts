import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { generatePreview } from '../../src/preview/index.js'
import { gasError, tempDir } from './helpers.js'
import { magick } from './reference.js'

/**
 * OpenEXR headers cut or damaged where three's EXRLoader would spin forever looking for a name's
 * end (found by fast-check): each is a typed error naming what is wrong, returned at once.
 */
const { dir } = tempDir()
const at = (name: string): string => join(dir, name)

describe('damaged OpenEXR headers', () => {
  it('a header cut inside an attribute name, one running past the end, and a lying dataWindow', async () => {
    magick('-size', '24x16', 'gradient:white-black', at('g.exr'))
    const exr = readFileSync(at('g.exr'))
    const channels = exr.indexOf('channels\0', 8, 'latin1')
    writeFileSync(at('cut.exr'), exr.subarray(0, channels + 4)) // "chan" with no terminating zero, then the end
    const t0 = Date.now()
    expect((await gasError(generatePreview({ path: at('cut.exr'), kind: 'texture', format: 'exr' }), 'E_MALFORMED_ASSET')).message).toMatch(/cut\.exr: not a valid OpenEXR: attribute name at offset \d+ has no terminating zero/)
    expect(Date.now() - t0).toBeLessThan(5000)
    const long = Buffer.from(exr); long.writeInt32LE(0x7fff0000, channels + 'channels\0chlist\0'.length)
    writeFileSync(at('long.exr'), long)
    expect((await gasError(generatePreview({ path: at('long.exr'), kind: 'texture', format: 'exr' }), 'E_MALFORMED_ASSET')).message).toMatch(/attribute "channels" of \d+ bytes runs past the end/)
    const window = exr.indexOf('dataWindow\0box2i\0', 8, 'latin1') + 'dataWindow\0box2i\0'.length + 4
    const inverted = Buffer.from(exr); inverted.writeInt32LE(-5, window + 8)
    writeFileSync(at('inverted.exr'), inverted)
    expect((await gasError(generatePreview({ path: at('inverted.exr'), kind: 'texture', format: 'exr' }), 'E_MALFORMED_ASSET')).message).toMatch(/dataWindow of -?\d+×\d+ pixels/)
    const huge = Buffer.from(exr); huge.writeInt32LE(99999, window + 8); huge.writeInt32LE(99999, window + 12)
    writeFileSync(at('huge.exr'), huge)
    expect((await gasError(generatePreview({ path: at('huge.exr'), kind: 'texture', format: 'exr' }), 'E_NO_PREVIEW')).message).toMatch(/100000×100000 is over the/)
    // the intact file still previews
    expect((await generatePreview({ path: at('g.exr'), kind: 'texture', format: 'exr' })).info).toMatchObject({ width: 24, height: 16 })
  })
})
