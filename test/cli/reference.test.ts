import { readFileSync } from 'node:fs'
import { Command } from 'commander'
import { describe, expect, it } from 'vitest'
import { buildProgram } from '../../src/cli/main.js'
import { describeOption } from '../../src/cli/help.js'
import { CLI_REFERENCE_FILE, cliReference } from '../../src/cli/reference.js'
import { apiExports } from '../helpers/api-exports.js'

describe('docs/cli.md', () => {
  it('is what the commander definitions generate (run `npm run docs:cli` after changing a command)', () => {
    const generated = cliReference(buildProgram())
    const committed = readFileSync(CLI_REFERENCE_FILE, 'utf8')
    expect(committed, `${CLI_REFERENCE_FILE} is out of date: run \`npm run docs:cli\``).toBe(generated)
  })

  it('has a section for every command and subcommand, with required options and defaults said once', () => {
    const program = buildProgram()
    const text = cliReference(program)
    const walk = (c: Command, prefix: string): string[] => c.commands.flatMap((s) => [`${prefix} ${s.name()}`, ...walk(s, `${prefix} ${s.name()}`)])
    for (const name of walk(program, 'gas')) expect(text).toContain(`\n## ${name}\n`)
    expect(text).toContain('| `--name <name>` | member name (required) |')
    expect(text).toContain('| `--port <n>` | port (default: 8000) |')
    expect(text).not.toMatch(/default.*\(default/)
  })

  it('changes when a definition changes, so a stale file fails the test above', () => {
    const program = buildProgram()
    const before = cliReference(program)
    program.command('extra').description('a new command').requiredOption('--level <n>', 'how much').option('--mode <m>', 'which', 'fast').argument('<what...>', 'things')
    const after = cliReference(program)
    expect(after).not.toBe(before)
    expect(after).toContain('## gas extra\n\n```\ngas extra [options] <what...>\n```\n\na new command\n\n| Argument | Description |\n| --- | --- |\n| `what...` (required) | things |')
    expect(after).toContain('| `--level <n>` | how much (required) |\n| `--mode <m>` | which (default: fast) |')
  })

  it('help text: required, choices and one default, never "(default: [])" for a repeatable option', () => {
    const c = new Command('t')
      .requiredOption('--a <x>', 'a thing')
      .option('--b <x>', 'b thing (default: the workspace\'s)', 'zz')
      .option('--c <x>', 'repeatable', (v: string, p: string[]) => [...p, v], [])
      .option('--d <n>', 'a number', Number, 3)
      .option('--e', 'a flag')
    const [a, b, cOpt, d, e] = c.options
    expect(describeOption(a)).toBe('a thing (required)')
    expect(describeOption(b)).toBe('b thing (default: the workspace\'s)')
    expect(describeOption(cOpt)).toBe('repeatable')
    expect(describeOption(d)).toBe('a number (default: 3)')
    expect(describeOption(e)).toBe('a flag')
    c.addOption(c.createOption('--f <v>', 'pick').choices(['x', 'y']))
    expect(describeOption(c.options[5])).toBe('pick (one of: x, y)')
  })
})

describe('docs/api.md', () => {
  const text = readFileSync('docs/api.md', 'utf8')
  let cached: ReturnType<typeof apiExports> | undefined
  const exportsOnce = (): ReturnType<typeof apiExports> => (cached ??= apiExports()) // the compiler takes seconds
  const listed = new Map([...text.matchAll(/^\| `([A-Za-z_$][\w$]*)` \| (\w+) \| (.+) \|$/gm)].map((m) => [m[1], { kind: m[2], description: m[3] }]))

  it('lists every export of src/index.ts, with its kind and a description', () => {
    const exports = exportsOnce()
    expect(exports.length).toBeGreaterThan(50)
    const unlisted = exports.filter((e) => !listed.has(e.name)).map((e) => e.name)
    expect(unlisted, 'exports missing from docs/api.md').toEqual([])
    for (const e of exports) {
      expect(listed.get(e.name)?.kind, e.name).toBe(e.kind)
      expect(listed.get(e.name)?.description.length, e.name).toBeGreaterThan(10)
    }
  })

  it('lists nothing src/index.ts does not export', () => {
    const names = new Set(exportsOnce().map((e) => e.name))
    expect([...listed.keys()].filter((n) => !names.has(n))).toEqual([])
  })
})
