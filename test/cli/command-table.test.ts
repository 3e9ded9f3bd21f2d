import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { COMMAND_TABLE_FILE, commandModules, commandRows, commandTableSource } from '../../src/cli/command-table-source.js'
import { COMMAND_TABLE } from '../../src/cli/command-table.js'
import { commandRow, helpProgram } from '../../src/cli/help-program.js'
import { buildProgram } from '../../src/cli/main.js'
import { GAS_BIN, gasSync } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
const PROBE = resolve('test/helpers/module-probe.mjs')

function commandModulesLoaded (cwd: string, args: string[]): { status: number, stdout: string, modules: string[] } {
  const out = join(cwd, `modules-${process.pid}.txt`)
  const r = spawnSync(process.execPath, ['--import', PROBE, GAS_BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, GAS_MODULE_PROBE_OUT: out } })
  const modules = readFileSync(out, 'utf8').split('\n').filter((l) => /cli[/\\]commands[/\\]/.test(l)).map((l) => l.replace(/^.*commands[/\\]/, ''))
  return { status: r.status ?? -1, stdout: r.stdout, modules }
}

describe('the command table behind `gas --help`', () => {
  it('is what the commander definitions generate (run `npm run docs:cli` after changing a command)', async () => {
    const generated = commandTableSource(commandRows(buildProgram(), await commandModules()))
    expect(readFileSync(COMMAND_TABLE_FILE, 'utf8'), `${COMMAND_TABLE_FILE} is out of date: run \`npm run docs:cli\``).toBe(generated)
  })

  it('prints the same help as the full program, names every command and the module that registers it', async () => {
    expect(helpProgram().helpInformation()).toBe(buildProgram().helpInformation())
    const full = buildProgram().commands.map((c) => c.name())
    expect(COMMAND_TABLE.map((r) => r.name)).toEqual(full)
    expect(commandRow('unlock')?.module).toBe('lock')
    expect(commandRow('nosuch')).toBeUndefined()
    expect(commandRow(undefined)).toBeUndefined()
  })

  it('a stale table fails: a changed summary, a new argument or a new command changes the generated source', async () => {
    const modules = await commandModules()
    const before = commandTableSource(commandRows(buildProgram(), modules))
    const described = buildProgram()
    described.commands.find((c) => c.name() === 'whoami')?.description('who')
    expect(commandTableSource(commandRows(described, modules))).not.toBe(before)
    const argued = buildProgram()
    argued.commands.find((c) => c.name() === 'whoami')?.argument('[member]')
    expect(commandTableSource(commandRows(argued, modules))).toContain('"term":"whoami [options] [member]"')
    const added = buildProgram()
    added.command('extra').description('a new command')
    expect(() => commandRows(added, modules)).toThrow(/no module in src\/cli\/commands registers `extra`/)
    // a hidden command is kept (it runs) but not listed
    const rows = [...COMMAND_TABLE, { name: 'secret', module: 'whoami', term: 'secret', summary: 'not listed', hidden: true as const }]
    expect(helpProgram(rows).helpInformation()).toBe(helpProgram().helpInformation())
  })

  it('`gas --help`, `gas help` and `gas -V` load no command module; `gas CMD --help` and `gas help CMD` load only CMD\'s', () => {
    const dir = tmp()
    const top = commandModulesLoaded(dir, ['--help'])
    expect(top.status).toBe(0)
    expect(top.modules).toEqual([])
    for (const row of COMMAND_TABLE) if (row.hidden !== true) expect(top.stdout).toContain(`  ${row.term} `)
    expect(commandModulesLoaded(dir, ['help']).modules).toEqual([])
    expect(commandModulesLoaded(dir, ['-V'])).toMatchObject({ status: 0, stdout: '0.1.0\n', modules: [] })
    const one = commandModulesLoaded(dir, ['sync', '--help'])
    expect(one.status).toBe(0)
    expect(one.stdout).toContain('Usage: gas sync [options]')
    expect(one.modules.filter((m) => !m.startsWith('sync-rules'))).toEqual(['sync.js'])
    const viaHelp = commandModulesLoaded(dir, ['help', 'unlock'])
    expect(viaHelp).toMatchObject({ status: 0, modules: ['lock.js'] })
    expect(viaHelp.stdout).toContain('Usage: gas unlock')
  })

  it('no command prints the help as a usage error; an unknown command is a usage error naming it', () => {
    const dir = tmp()
    const bare = gasSync(dir, [])
    expect(bare.status).toBe(2)
    expect(bare.stderr).toContain('Usage: gas [options] [command]')
    const unknown = gasSync(dir, ['staus'])
    expect(unknown.status).toBe(2)
    expect(unknown.stderr).toMatch(/^gas: E_BAD_ARGUMENT: unknown command 'staus'/)
    expect(unknown.stderr).toContain('status')
  })
})
