import { commandRow, helpProgram } from './help-program.js'
import { finishProgram, newProgram, runProgram } from './program.js'
import { traceMark } from '../trace.js'
import { prestartChunkWorker } from './chunk-worker-prestart.js'

interface CommandModule { register: (program: ReturnType<typeof newProgram>) => void }

/**
 * `bin/gas`: every command loads alone, with only its own modules. why: main.ts loads every
 * command's modules (sharp, three, ws, bittorrent-tracker, isomorphic-git, date-fns-tz, …): ~0.4 s
 * of CPU and ~30 MiB before `gas add` reads a byte, paid twice by every add + commit; even without
 * those, linking all command modules costs more than a daily command may take to start.
 *   - `gas CMD …` and `gas help CMD`: CMD's module only (command-table.ts says which);
 *   - `gas`, `gas --help`, `gas help`, `gas -V`: the command table, no command module;
 *   - a name the table does not know: the whole program (main.ts), which says what commander says.
 */
export async function run (argv: string[]): Promise<void> {
  traceMark(`start ${argv[0] ?? ''}`)
  const first = argv[0]
  const row = commandRow(first) ?? (first === 'help' ? commandRow(argv[1]) : undefined)
  if (row !== undefined) {
    await prestartChunkWorker(argv)
    const program = newProgram()
    const mod = await import(`./commands/${row.module}.js`) as CommandModule
    mod.register(program)
    traceMark('command module loaded')
    await runProgram(finishProgram(program), argv)
    traceMark('command done')
    return
  }
  if (first === undefined || first.startsWith('-') || (first === 'help' && argv.length === 1)) return await runProgram(helpProgram(), argv)
  return await (await import('./main.js')).main(argv)
}
