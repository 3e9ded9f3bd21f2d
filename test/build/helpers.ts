import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import * as gas from '../../src/index.js'
import { gasSpawn } from '../helpers/cli.js'
import { createInvite, joinTeam } from '../../src/auth/invite.js'
import type { Workspace } from '../../src/repo/workspace.js'

/** A lead with a team on `tracker` and members who joined it by invite: real workspaces in temporary folders. */
export async function team (tmp: () => string, trackerUrl: string, members: string[]): Promise<{ lead: Workspace, members: Workspace[] }> {
  const lead = await gas.init({ dir: tmp(), name: 'lead', team: 'orcs' })
  lead.config = { ...lead.config, trackers: [trackerUrl] }
  await lead.saveConfig()
  const joined: Workspace[] = []
  for (const name of members) {
    const ws = await gas.init({ dir: tmp(), name })
    await joinTeam(ws, JSON.stringify(await createInvite(lead, { publicKey: ws.identity.publicKey, name, roles: ['qa'] })))
    joined.push(ws)
  }
  return { lead, members: joined }
}

/** Writes `files` (path → bytes or a byte count of random content) below `dir`. */
export function writeBuildFolder (dir: string, files: Record<string, Buffer | number>): void {
  for (const [path, content] of Object.entries(files)) {
    const abs = join(dir, ...path.split('/'))
    mkdirSync(dirname(abs), { recursive: true })
    writeFileSync(abs, typeof content === 'number' ? randomBytes(content) : content)
  }
}

/** Serves `ws` to the team until the returned function is called. */
export function serve (ws: Workspace): () => Promise<void> {
  const controller = new AbortController()
  const serving = gas.servePeers({ ws, trackers: [], security: gas.peerSecurity(ws), signal: controller.signal })
  return async () => { controller.abort(); await serving }
}

/**
 * why: on a loaded machine a WebRTC handshake can take seconds; connecting ends as soon as every
 * peer the tracker counts is connected, so long waits cost nothing when peers are quick.
 */
export const waits = { firstPeerWaitMs: 30_000, morePeersWaitMs: 15_000 }

/** Runs the real `gas` binary without blocking this process (the tracker of the test lives here). */
export async function gasAsync (cwd: string, args: string[]): Promise<{ status: number, stdout: string, stderr: string }> {
  const child = gasSpawn(cwd, args)
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (s: string) => { stdout += s })
  child.stderr?.setEncoding('utf8').on('data', (s: string) => { stderr += s })
  const status = await new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)))
  return { status, stdout, stderr }
}

/**
 * `gas serve` as a process of its own; the returned function stops it (SIGTERM) and waits for it.
 * With `connectedTo`, resolves once it is connected to that member: it is then in the team's swarm
 * and the tracker counts it (a fetch started earlier might not know it is there).
 */
export async function serveProcess (cwd: string, connectedTo?: string): Promise<() => Promise<void>> {
  const child = gasSpawn(cwd, ['serve', '--json'])
  const exited = new Promise((resolve) => child.once('exit', resolve))
  const stop = async (): Promise<void> => {
    child.kill('SIGTERM')
    await exited
  }
  if (connectedTo !== undefined) {
    await new Promise<void>((resolve, reject) => {
      let lines = ''
      child.stdout?.setEncoding('utf8').on('data', (s: string) => {
        lines += s
        if (lines.split('\n').some((l) => l.includes(`"peer":"${connectedTo}"`) && l.includes('"connected"'))) resolve()
      })
      void exited.then(() => reject(new Error(`gas serve in ${cwd} exited before connecting to ${connectedTo}`)))
    })
  }
  return stop
}
