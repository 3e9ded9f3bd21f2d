import type { Readable, Writable } from 'node:stream'
import { isAbsolute, join } from 'node:path'
import { mkdir } from 'node:fs/promises'
import { peerSecurity } from '../auth/peer-security.js'
import { runGit } from './git-command.js'
import { openGitWorkspace } from './git-workspace.js'
import { phaseLog } from './phase-log.js'
import { refuseLfsAgent, runLfsAgent, type LfsAgentReport } from './lfs-agent.js'

/** `gas.lfs`: Git LFS objects in gas, and the transfer agent git-lfs runs. */
export { runLfsAgent, refuseLfsAgent, type LfsAgentOptions, type LfsAgentReport } from './lfs-agent.js'
export { storeLfsObject, localLfsManifest, writeLfsObject, lfsRefName, isLfsOid, type StoredLfsObject } from './lfs-store.js'

/**
 * The agent as git-lfs starts it, in a repository: opens the gas workspace (see openGitWorkspace)
 * and writes downloads into the repository's .git/lfs/tmp, on the disk git-lfs moves them within.
 */
export async function serveLfsAgent (opts: { cwd: string, input: Readable, output: Writable, trackers?: string[], env?: NodeJS.ProcessEnv }): Promise<LfsAgentReport | undefined> {
  let ws
  try {
    ws = await openGitWorkspace({ cwd: opts.cwd, env: opts.env })
  } catch (error) {
    await refuseLfsAgent({ input: opts.input, output: opts.output, error })
    throw error
  }
  try {
    const gitPath = (await runGit(['rev-parse', '--git-path', 'lfs/tmp'], { cwd: opts.cwd, allowFailure: true })).stdout.trim()
    let downloadDir: string | undefined
    if (gitPath !== '') {
      downloadDir = isAbsolute(gitPath) ? gitPath : join(opts.cwd, gitPath)
      await mkdir(downloadDir, { recursive: true })
    }
    return await runLfsAgent({ ws, input: opts.input, output: opts.output, trackers: opts.trackers ?? [], security: peerSecurity(ws), downloadDir })
  } finally {
    await ws.close()
    phaseLog('gas lfs-agent')('workspace closed')
  }
}
