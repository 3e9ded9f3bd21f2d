import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { ObjectId } from '../../src/objects/id.js'
import { addPaths } from '../../src/repo/add.js'
import { Workspace, type Previewer } from '../../src/repo/workspace.js'
import { makePng } from '../fixtures/textures.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()

/** A previewer that records when its workers would be started and which files it was asked to prepare. */
function spyPreviewer (): { previewer: Previewer, warmed: () => number, prepared: Array<{ kind: string, format: string }> } {
  let warmed = 0
  const prepared: Array<{ kind: string, format: string }> = []
  const previewer: Previewer = Object.assign(async (): Promise<ObjectId[]> => [], {
    warm: () => { warmed++ },
    prepare: (_path: string, kind: string, format: string) => { prepared.push({ kind, format }) }
  })
  return { previewer, warmed: () => warmed, prepared }
}

async function workspaceWith (files: Record<string, Buffer>): Promise<{ ws: Workspace, spy: ReturnType<typeof spyPreviewer> }> {
  const dir = tmp()
  await Workspace.init({ dir, name: 'ana' })
  for (const [path, bytes] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true })
    writeFileSync(join(dir, path), bytes)
  }
  const spy = spyPreviewer()
  return { ws: await Workspace.open({ dir, previewer: spy.previewer }), spy }
}

describe('gas add starts preview workers only when something may be previewed', () => {
  it('adding files whose names have no preview kind starts no preview worker', async () => {
    const { ws, spy } = await workspaceWith({ 'big.bin': Buffer.alloc(300_000, 7), 'data.dat': Buffer.from('x') })
    await addPaths(ws, { paths: ['big.bin', 'data.dat'], cwd: ws.root })
    expect(spy.warmed()).toBe(0)
  })

  it('a texture by name, or a folder, starts them', async () => {
    const png = await makePng({ width: 8, height: 8, alpha: false })
    const named = await workspaceWith({ 'rock.png': png })
    await addPaths(named.ws, { paths: ['rock.png'], cwd: named.ws.root })
    expect(named.spy.warmed()).toBeGreaterThan(0)
    const folder = await workspaceWith({ 'art/rock.png': png })
    await addPaths(folder.ws, { paths: ['art'], cwd: folder.ws.root })
    expect(folder.spy.warmed()).toBeGreaterThan(0)
  })

  it('a PNG under a name that hides it is still prepared as a texture (its worker starts then)', async () => {
    const { ws, spy } = await workspaceWith({ 'hidden.bin': await makePng({ width: 8, height: 8, alpha: false }) })
    await addPaths(ws, { paths: ['hidden.bin'], cwd: ws.root })
    expect(spy.warmed()).toBe(0)
    expect(spy.prepared).toEqual([{ kind: 'texture', format: 'png' }])
  })
})
