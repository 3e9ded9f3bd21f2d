import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import * as gas from '../../src/index.js'
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
