import type { Workspace } from './workspace.js'

/** One asset lock as `gas status` shows it. */
export interface StatusLock { path: string, holder: string, mine: boolean, expires: string | null }

/**
 * SEAM (locks): the locks helper provides `activeLocks(workspace)` (signed leases under
 * refs/locks/<path>); until that lands, no lock can exist and status reports none. At merge, this
 * body becomes a call to `activeLocks(ws)` mapped to StatusLock.
 */
export async function activeLocksSeam (_ws: Workspace): Promise<StatusLock[]> {
  return []
}
