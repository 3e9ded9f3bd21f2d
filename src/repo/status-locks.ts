import { activeLocks } from './lock-store.js'
import type { Workspace } from './workspace.js'

/** One asset lock as `gas status` shows it. */
export interface StatusLock { path: string, holder: string, mine: boolean, expires: string | null }

/** The leases in force (`gas locks`), as status lists them: whose, and whether they are ours. */
export async function statusLocks (ws: Workspace): Promise<StatusLock[]> {
  return (await activeLocks(ws)).map((lock) => ({
    path: lock.path,
    holder: lock.holder.name,
    mine: lock.holder.publicKey === ws.identity.publicKey,
    expires: new Date(lock.expires).toISOString()
  }))
}
