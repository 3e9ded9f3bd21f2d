import { readFileSync } from 'node:fs'

/**
 * True while process `pid` runs (EPERM means it runs as someone else). Used to tell stale locks.
 * A zombie (killed, not yet reaped by its parent) does not run: kill(pid, 0) still succeeds for it,
 * and under an init that reaps late, or never (a container whose PID 1 is not an init, this VM's
 * for ~1 s), a killed sync's pack and workspace lock looked held, so the next command fetched again
 * what the pack held, or waited out E_LOCKED.
 */
export function isProcessAlive (pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
  return !isZombie(pid)
}

/** Linux: the state in /proc/PID/stat (after the command name, which may hold spaces and parentheses) is Z or X. Elsewhere: false. */
function isZombie (pid: number): boolean {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
  } catch {
    return false
  }
  const state = stat.charAt(stat.lastIndexOf(')') + 2)
  return state === 'Z' || state === 'X'
}
