import { afterEach, describe, expect, it, vi } from 'vitest'

/**
 * A fresh copy of the module: its captured warnings and its installed wrapper are per process, and
 * where a worker runs many files (vitest with `isolate: false`) some of them preview models first.
 */
async function freshThreeEnv (): Promise<typeof import('../../src/preview/three-env.js')> {
  vi.resetModules()
  return await import('../../src/preview/three-env.js')
}

describe('three.js loader warnings', () => {
  const original = { warn: console.warn, log: console.log, error: console.error }
  afterEach(() => {
    delete process.env.GAS_DEBUG
    Object.assign(console, original)
  })

  it('are captured, not printed; other messages still print; GAS_DEBUG=1 prints them too', async () => {
    const { MAX_LOADER_WARNINGS, installThreeEnv, loaderWarnings } = await freshThreeEnv()
    const printed: string[] = []
    const print = (...args: unknown[]): void => { printed.push(args.join(' ')) }
    // what the console prints, as installThreeEnv finds it (this module copy installs it first)
    Object.assign(console, { warn: print, log: print, error: print })
    installThreeEnv()
    installThreeEnv() // twice: still one wrapper
    console.warn('THREE.FBXLoader: Vertex has more than 4 skinning weights assigned', 5)
    console.error('something else went wrong')
    expect(loaderWarnings()).toEqual(['THREE.FBXLoader: Vertex has more than 4 skinning weights assigned 5'])
    expect(printed).toEqual(['something else went wrong'])
    process.env.GAS_DEBUG = '1'
    console.warn('THREE.GLTFLoader: Unknown extension')
    expect(printed).toEqual(['something else went wrong', 'THREE.GLTFLoader: Unknown extension'])
    delete process.env.GAS_DEBUG
    for (let i = 0; i < MAX_LOADER_WARNINGS + 5; i++) console.log(`THREE.Loader: warning ${i}`)
    const kept = loaderWarnings()
    expect(kept).toHaveLength(MAX_LOADER_WARNINGS)
    expect(kept[kept.length - 1]).toBe(`THREE.Loader: warning ${MAX_LOADER_WARNINGS + 4}`)
    expect(printed).toHaveLength(2)
  })
})
