import type { Command } from 'commander'
import { finishProgram, newProgram, runProgram } from './program.js'
import * as add from './commands/add.js'
import * as commit from './commands/commit.js'
import * as find from './commands/find.js'
import * as fsck from './commands/fsck.js'
import * as init from './commands/init.js'
import * as log from './commands/log.js'
import * as preview from './commands/preview.js'
import * as meta from './commands/meta.js'
import * as restore from './commands/restore.js'
import * as rm from './commands/rm.js'
import * as reset from './commands/reset.js'
import * as stat from './commands/stat.js'
import * as tag from './commands/tag.js'
import * as whoami from './commands/whoami.js'
import * as team from './commands/team.js'
import * as tracker from './commands/tracker.js'
import * as serve from './commands/serve.js'
import * as sync from './commands/sync.js'
import * as conflicts from './commands/conflicts.js'
import * as resolve from './commands/resolve.js'
import * as fetch from './commands/fetch.js'
import * as gc from './commands/gc.js'
import * as ls from './commands/ls.js'
import * as schedule from './commands/schedule.js'
import * as queue from './commands/queue.js'
import * as build from './commands/build.js'
import * as lfsAgent from './commands/lfs-agent.js'
import * as hook from './commands/hook.js'
import * as lockCommands from './commands/lock.js'
import * as status from './commands/status.js'
import * as checkIgnore from './commands/check-ignore.js'
import * as diff from './commands/diff.js'
import * as show from './commands/show.js'

/** Every command module registers itself; this file holds no logic of its own. */
const COMMANDS = [init, whoami, add, rm, reset, commit, log, tag, restore, meta, find, stat, fsck, preview, conflicts, resolve, team, tracker, serve, sync, schedule, queue, fetch, gc, ls, build, lfsAgent, hook, lockCommands, status, checkIgnore, diff, show]

export function buildProgram (): Command {
  const program = newProgram()
  for (const command of COMMANDS) command.register(program)
  return finishProgram(program)
}

export async function main (argv: string[]): Promise<void> {
  await runProgram(buildProgram(), argv)
}
