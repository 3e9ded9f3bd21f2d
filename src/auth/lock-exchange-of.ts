import { join } from 'node:path'
import type { LockExchange } from '../peer/sync/lock-exchange.js'
import type { Workspace } from '../repo/workspace.js'
import { verifyLockRecord } from './lock-verify.js'

/** The workspace's lock checks for sync and serve; a refused record is logged in .gas/logs/rejected-locks. */
export function lockExchangeOf (ws: Workspace): LockExchange {
  return {
    verify: (record) => verifyLockRecord(record, ws.config.team),
    now: () => ws.clock.now(),
    who: ws.identity.name,
    onRejected: (rejection) => {
      const line = JSON.stringify({ time: new Date(ws.clock.now()).toISOString(), ...rejection }) + '\n'
      void ws.fs.mkdir(join(ws.gasDir, 'logs'), { recursive: true }).then(async () => await ws.fs.appendFile(join(ws.gasDir, 'logs', 'rejected-locks'), line)).catch(() => {})
    }
  }
}
