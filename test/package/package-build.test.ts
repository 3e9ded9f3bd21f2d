import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { compactDeclarations } from '../../scripts/package-declarations.js'
import { reachedModules } from '../../scripts/package-reach.js'
import { useTmp } from '../helpers/tmp.js'

/* dist/min, what npm packs (test/global-setup.ts keeps it built): scripts/package-build.ts */
const tmp = useTmp()
const MIN = resolve('dist/min')

function filesUnder (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)))
}

describe('the package build (dist/min)', () => {
  it('ships one declaration file, index.d.ts, that imports nothing of its own and declares every runtime export of index.js', async () => {
    const files = filesUnder(MIN)
    expect(files.filter((f) => f.endsWith('.d.ts'))).toEqual(['index.d.ts'])
    const text = readFileSync(join(MIN, 'index.d.ts'), 'utf8')
    expect(text).not.toMatch(/(from|import\()\s*['"]\./)
    // the declarations type-check on their own (no skipLibCheck), against @types/node only
    const program = ts.createProgram([join(MIN, 'index.d.ts')], { strict: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, types: ['node'] })
    expect(ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([])
    const checker = program.getTypeChecker()
    const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(join(MIN, 'index.d.ts'))!)!
    const declared = new Set(checker.getExportsOfModule(moduleSymbol).map((s) => s.name))
    const runtime = Object.keys(await import(pathToFileURL(join(MIN, 'index.js')).href) as object)
    expect(runtime.length).toBeGreaterThan(40)
    expect(runtime.filter((name) => !declared.has(name))).toEqual([])
    // and the types the API's users name (src/index.ts `export type`)
    for (const name of ['Workspace', 'ErrorCode', 'PeerSyncResult', 'LogEntry', 'AddedAsset', 'ObjectId', 'Clock']) expect(declared).toContain(name)
  })

  it('keeps the exported functions\' and classes\' names (stack traces, `constructor.name`); locals shorten', async () => {
    const api = await import(pathToFileURL(join(MIN, 'index.js')).href) as Record<string, unknown>
    // the names src/index.ts exports and the source names it exports them as (`addPaths as add`)
    const sourceNames = new Set(readFileSync('src/index.ts', 'utf8').match(/\b[A-Za-z_$][\w$]*\b/g))
    const named = Object.entries(api).filter((entry): entry is [string, (...args: unknown[]) => unknown] => typeof entry[1] === 'function')
    expect(named.length).toBeGreaterThan(40)
    expect(named.filter(([, fn]) => !sourceNames.has(fn.name)).map(([name, fn]) => `${name}: ${fn.name}`)).toEqual([])
    expect(api.GasError).toHaveProperty('name', 'GasError')
    expect(api.Workspace).toHaveProperty('name', 'Workspace')
    // the minifier did run: comments, blanks and local names out, under half of tsc's output
    const bytes = (dir: string): number => filesUnder(dir).filter((f) => f.endsWith('.js')).reduce((sum, f) => sum + readFileSync(join(dir, f)).length, 0)
    expect(bytes(MIN)).toBeLessThan(bytes('dist/src') / 2)
  })

  it('every relative path a shipped module names (imports, workers) is shipped; bench and test transports are not', () => {
    const files = new Set(filesUnder(MIN))
    const missing: string[] = []
    for (const file of files) {
      if (!file.endsWith('.js')) continue
      for (const m of readFileSync(join(MIN, file), 'utf8').matchAll(/["'`](\.{1,2}\/[^"'`$]+\.js)["'`]/g)) {
        const target = relative(MIN, resolve(MIN, dirname(file), m[1]))
        if (!files.has(target)) missing.push(`${file} → ${m[1]}`)
      }
    }
    expect(missing).toEqual([])
    expect(files).toContain('preview/worker.js')
    expect(files).toContain('cli/commands/sync.js')
    expect(files).not.toContain('peer/transport/simulated-link.js')
    expect(files).not.toContain('peer/transport/memory-transport.js')
    expect(files).not.toContain('cli/reference.js')
  })
})

describe('reachedModules: what the package keeps', () => {
  it('follows imports, import() of a name and of a pattern, and workers started by URL; leaves the rest', async () => {
    const root = tmp()
    const write = (path: string, text: string): void => {
      mkdirSync(dirname(join(root, path)), { recursive: true })
      writeFileSync(join(root, path), text)
    }
    write('index.js', "import { a } from './lib/a.js'\nexport const run = async (name) => (await import(`./commands/${name}.js`)).go(a)")
    write('lib/a.js', "import 'node:fs'\nimport 'some-package'\nexport const a = async () => (await import('../late.js')).late")
    write('late.js', "export const late = () => new Worker(new URL('./work/worker.js', import.meta.url))")
    write('work/worker.js', "import { helper } from './helper.js'\nhelper()")
    write('work/helper.js', 'export const helper = () => 1')
    write('commands/one.js', 'export const go = () => 1')
    write('commands/two.js', 'export const go = () => 2')
    write('bench-only.js', "import { a } from './lib/a.js'\nexport const b = a")
    write('types-only.js', '')
    const reached = await reachedModules(root, ['index.js'])
    expect([...reached].sort()).toEqual(['commands/one.js', 'commands/two.js', 'index.js', 'late.js', 'lib/a.js', 'work/helper.js', 'work/worker.js'])
  })

  it('a missing module an entry imports fails the build, rather than shipping a package that cannot load', async () => {
    const root = tmp()
    writeFileSync(join(root, 'index.js'), "import './gone.js'")
    await expect(reachedModules(root, ['index.js'])).rejects.toThrow(/gone\.js/)
  })
})

describe('compactDeclarations', () => {
  it('takes comments and indentation out and keeps every declaration', () => {
    const text = '/** doc */\nexport interface A {\n    /** why */\n    x: number;\n}\n// note\nexport declare function f(a: A): string;\n'
    expect(compactDeclarations(text)).toBe('export interface A {\nx: number;\n}\nexport declare function f(a: A): string;\n')
  })
})
