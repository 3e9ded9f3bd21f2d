import { finishProgram, newProgram, runProgram } from './program.js'

interface CommandModule { register: (program: ReturnType<typeof newProgram>) => void }

/**
 * The commands a user runs many times a day, each loaded alone. why: main.ts loads every
 * command's modules (sharp, three, ws, bittorrent-tracker, isomorphic-git, date-fns-tz, …): ~0.4 s
 * of CPU and ~30 MiB before `gas add` reads a byte, paid twice by every add + commit. A command
 * not listed here, or none (`gas --help`), runs through main.ts with all of them.
 */
const ALONE: Record<string, () => Promise<CommandModule>> = {
  add: async () => await import('./commands/add.js'),
  commit: async () => await import('./commands/commit.js'),
  restore: async () => await import('./commands/restore.js'),
  sync: async () => await import('./commands/sync.js'),
  log: async () => await import('./commands/log.js'),
  init: async () => await import('./commands/init.js'),
  whoami: async () => await import('./commands/whoami.js'),
  ls: async () => await import('./commands/ls.js'),
  stat: async () => await import('./commands/stat.js')
}

/** `bin/gas`: the named command alone when it is one of ALONE, else the whole program. */
export async function run (argv: string[]): Promise<void> {
  const load = Object.hasOwn(ALONE, argv[0] ?? '') ? ALONE[argv[0]] : undefined
  if (load === undefined) return await (await import('./main.js')).main(argv)
  const program = newProgram()
  ;(await load()).register(program)
  await runProgram(finishProgram(program), argv)
}
