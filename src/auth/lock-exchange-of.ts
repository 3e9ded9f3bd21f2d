import { join } from 'node:path'
import type { LockExchange } from '../peer/sync/lock-exchange.js'
import type { Workspace } from '../repo/workspace.js'
import { verifyLockRecord } from './lock-verify.js'
import { GasError } from '../errors.js'
import { revokedKeys } from '../refs/team-ref.js'
import { signedByRevoked } from '../repo/lock-store.js'

/** The workspace's lock checks for sync and serve; a refused record is logged in .gas/logs/rejected-locks. */
export function lockExchangeOf (ws: Workspace): LockExchange {
  return {
    verify: async (record) => {
      verifyLockRecord(record, ws.config.team)
      // why: read per record, since another process of this workspace may have learnt the revocation meanwhile
      if (ws.config.team !== null && signedByRevoked(record, await revokedKeys(ws.refs))) {
        throw new GasError('E_REVOKED', `the ${record.kind} of ${record.path} is by ${record.member.name}, whose membership (or whose certifying admin's) was revoked`, { path: record.path, member: record.member.name })
      }
    },
    now: () => ws.clock.now(),
    who: ws.identity.name,
    onRejected: (rejection) => {
      const line = JSON.stringify({ time: new Date(ws.clock.now()).toISOString(), ...rejection }) + '\n'
      void ws.fs.mkdir(join(ws.gasDir, 'logs'), { recursive: true }).then(async () => await ws.fs.appendFile(join(ws.gasDir, 'logs', 'rejected-locks'), line)).catch(() => {})
    }
  }
}
