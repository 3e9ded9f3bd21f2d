import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ChildProcess } from 'node:child_process'
import * as gas from '../../src/index.js'
import { createInvite, joinTeam } from '../../src/auth/invite.js'
import { gasSpawn, type CliResult } from './cli.js'
import { writeRandomFile } from '../fixtures/project.js'

/** A team of workspaces sharing `trackerUrl`: the first is the lead, the others joined by invite as leads too (whose rules want every file, so every byte is checked). */
export async function makeTeam (dirs: string[], names: string[], trackerUrl: string): Promise<gas.Workspace[]> {
  const lead = await gas.init({ dir: dirs[0], name: names[0], team: 'orcs' })
  lead.config = { ...lead.config, trackers: [trackerUrl] }
  await lead.saveConfig()
  const out = [lead]
  for (let i = 1; i < names.length; i++) {
    const ws = await gas.init({ dir: dirs[i], name: names[i] })
    await joinTeam(ws, JSON.stringify(await createInvite(lead, { publicKey: ws.identity.publicKey, name: names[i], roles: ['lead'] })))
    out.push(ws)
  }
  return out
}

/** A serve policy (servePeers' `policy`) whose first take stands still `ms`, as a long take would, and how many takes began. */
export function holdFirstTake (ms: number): { policy: () => Promise<object>, takes: () => number } {
  let takes = 0
  const policy = async (): Promise<object> => {
    if (++takes === 1) await new Promise((resolve) => setTimeout(resolve, ms))
    return {}
  }
  return { policy, takes: () => takes }
}

/** Starts a real `gas serve` in `dir` and resolves once it says it is serving. */
export async function startServe (dir: string): Promise<ChildProcess> {
  const child = gasSpawn(dir, ['serve'])
  let said = ''
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (text: string) => { said += text })
  while (!said.includes('serving')) {
    const [exited] = await Promise.race([once(child.stderr!, 'data').then(() => [false]), once(child, 'exit').then(() => [true])])
    if (exited === true) throw new Error(`gas serve exited: ${said}`)
  }
  return child
}

export async function stopProcess (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  await exited
}

/** Runs the real `gas` without blocking this process (an in-process tracker must keep answering). */
export async function gasAsync (cwd: string, args: string[]): Promise<CliResult> {
  const child = gasSpawn(cwd, args)
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (t: string) => { stdout += t })
  child.stderr?.setEncoding('utf8').on('data', (t: string) => { stderr += t })
  const [code] = await once(child, 'exit') as [number | null]
  return { status: code ?? -1, stdout, stderr }
}

/**
 * ana (lead) and bo, both closed, ana holding one committed random file `level.pak` of `size`
 * bytes; with `trackers: false` neither config names a tracker (the test passes --tracker when it wants one).
 */
export async function seededPair (dirs: [string, string], trackerUrl: string, opts: { trackers: boolean, size: number, seed: string }): Promise<{ ana: gas.Workspace, bo: gas.Workspace, bytes: Buffer }> {
  const [ana, bo] = await makeTeam(dirs, ['ana', 'bo'], trackerUrl)
  if (!opts.trackers) {
    for (const ws of [ana, bo]) {
      ws.config = { ...ws.config, trackers: [] }
      await ws.saveConfig()
    }
  }
  await writeRandomFile(join(ana.root, 'level.pak'), opts.size, opts.seed)
  await gas.add(ana, { paths: [ana.root] })
  await gas.commit(ana, { message: 'level' })
  await ana.close()
  await bo.close()
  return { ana, bo, bytes: readFileSync(join(ana.root, 'level.pak')) }
}
