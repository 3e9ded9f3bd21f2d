import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { makePng } from '../fixtures/textures.js'
import { cliTeam, gasOk, startGasTracker, startServe, stopGas, syncUntilPeer, type GasCommand } from '../helpers/cli-team.js'
import { useTmp } from '../helpers/tmp.js'

const run = promisify(execFile)
const tmp = useTmp()
const REPO = resolve('.')
const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error']
const INSTALLED_SIZE_FLOOR = 832_000

/** Bytes of the files under a folder, its node_modules left out (the package without its dependencies). */
function ownSize (dir: string): number {
  let bytes = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue
    const path = join(dir, entry.name)
    bytes += entry.isDirectory() ? ownSize(path) : statSync(path).size
  }
  return bytes
}

interface Packed { tarball: string, files: string[], unpackedSize: number }

// why one `npm pack` for the file (not one per test): each costs seconds of npm; the tests only read the tarball
const packDir = mkdtempSync(join(tmpdir(), 'gas-pack-'))
let packing: Promise<Packed> | undefined
afterAll(() => rmSync(packDir, { recursive: true, force: true }))

/** The packed tarball (of the current dist/, which the global setup keeps built), and what npm says it holds. */
async function pack (): Promise<Packed> {
  packing ??= (async () => {
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', packDir], { cwd: REPO })
    const packed = JSON.parse(stdout)[0] as { filename: string, files: Array<{ path: string }>, unpackedSize: number }
    return { tarball: join(packDir, packed.filename), files: packed.files.map((f) => f.path), unpackedSize: packed.unpackedSize }
  })()
  return await packing
}

describe('gas as an installed package (npm pack, then npm install from the tarball)', () => {
  it('npm pack ships the compiled sources, bin and README only', async () => {
    const packed = await pack()
    const files = packed.files
    expect(files).toContain('bin/gas')
    expect(files).toContain('dist/min/index.d.ts')
    expect(files).toContain('dist/min/cli/main.js')
    expect(files).toContain('bin/git-remote-gas')
    expect(files).toContain('LICENSE')
    expect(files.filter((f) => !/^(dist\/min\/.*\.(js|d\.ts)|bin\/(gas|git-remote-gas)|README\.md|LICENSE|package\.json|native\/gas_native\.node)$/.test(f))).toEqual([])
    // the native restore ships built (npm 11 runs no install script of a dependency), where the packing clone built it
    if (existsSync(join(REPO, 'native', 'gas_native.node'))) expect(files).toContain('native/gas_native.node')
    // issue 19's floor: a third of the first tarball's 2.5 MB unpacked
    expect(packed.unpackedSize).toBeLessThanOrEqual(INSTALLED_SIZE_FLOOR)
  })

  it('installs globally into an empty prefix; the installed gas inits, adds, commits, previews and syncs two peers', async () => {
    const { tarball } = await pack()
    const prefix = tmp()
    await run('npm', ['install', '-g', '--prefix', prefix, tarball, ...NPM_FLAGS], { timeout: 280_000 })
    expect(ownSize(join(prefix, 'lib', 'node_modules', 'gameassetshare'))).toBeLessThanOrEqual(INSTALLED_SIZE_FLOOR)
    // the shipped addon loads where it was installed (no build ran)
    if (existsSync(join(REPO, 'native', 'gas_native.node'))) expect(Object.keys(createRequire(import.meta.url)(join(prefix, 'lib', 'node_modules', 'gameassetshare', 'native', 'gas_native.node')) as object)).toContain('restoreChunks')
    const gas: GasCommand = () => [join(prefix, 'bin', 'gas')]
    const root = tmp()
    const tracker = await startGasTracker(gas, root, ['--port', '0', '--host', '127.0.0.1'])
    try {
      const [ana, bo] = await cliTeam(root, ['ana', 'bo'], [gas, gas], [tracker.printed.url])
      const png = await makePng({ width: 300, height: 200 })
      writeFileSync(join(ana, 'rock.png'), png)
      await gasOk(gas, ana, ['add', 'rock.png'])
      const { version } = await gasOk(gas, ana, ['commit', '-m', 'rock', '--json'])
      expect(version).toMatch(/^[0-9a-f]{64}$/)
      const preview = await gasOk(gas, ana, ['preview', 'rock.png', '--json'])
      expect(JSON.stringify(preview)).toContain('300')
      const serve = await startServe(gas, ana)
      try {
        const r = await syncUntilPeer(gas, bo)
        expect(r.status, r.stderr).toBe(0)
        expect(r.json).toMatchObject({ peers: 1 })
        expect(readFileSync(join(bo, 'rock.png')).equals(png)).toBe(true)
      } finally {
        await stopGas(serve)
      }
    } finally {
      await stopGas(tracker.child)
    }
  }, 360_000)

  it('a project that depends on it imports the API from ESM and TypeScript, types resolved', async () => {
    const { tarball } = await pack()
    const project = tmp()
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'pipeline', version: '1.0.0', type: 'module', private: true }))
    await run('npm', ['install', tarball, ...NPM_FLAGS], { cwd: project, timeout: 280_000 })
    writeFileSync(join(project, 'use.mjs'), [
      "import * as gas from 'gameassetshare'",
      "import { writeFileSync } from 'node:fs'",
      "const ws = await gas.init({ dir: process.cwd(), name: 'pipeline' })",
      "writeFileSync('a.txt', 'hello')",
      "await gas.add(ws, { paths: ['a.txt'] })",
      "console.log(JSON.stringify({ version: await gas.commit(ws, { message: 'from a script' }) }))"
    ].join('\n'))
    const { stdout } = await run(process.execPath, ['use.mjs'], { cwd: project })
    expect(JSON.parse(stdout).version).toMatch(/^[0-9a-f]{64}$/)
    writeFileSync(join(project, 'use.ts'), [
      "import { init, add, commit, log, isGasError, GasError, type Workspace, type PeerSyncResult, type LogEntry, type AddedAsset, type ErrorCode } from 'gameassetshare'",
      'export async function first (dir: string): Promise<string> {',
      '  const ws: Workspace = await init({ dir })',
      '  const seen: PeerSyncResult | null = null',
      "  if (seen !== null) throw new GasError('E_BAD_ARGUMENT', 'never')",
      "  const added: AddedAsset[] = await add(ws, { paths: ['a.png'], tags: { stage: 'wip' } })",
      "  const sizes: number = added.reduce((sum, a) => sum + a.size, 0)",
      "  const version = await commit(ws, { message: `x ${sizes}` })",
      '  const entries: LogEntry[] = await log(ws, { limit: 1 })',
      "  const code: ErrorCode = 'E_NOT_FOUND'",
      '  return isGasError(entries, code) ? entries.code : `${version} ${entries[0].message}`',
      '}',
      // each wrong use must fail the type check (an unused @ts-expect-error fails it too): the types are the package's, not `any`
      "// @ts-expect-error -- commit wants a Workspace",
      "void commit('not a workspace', { message: 'x' })",
      "// @ts-expect-error -- add wants paths as a list",
      "export const wrongPaths = async (ws: Workspace) => await add(ws, { paths: 'a.png' })",
      "// @ts-expect-error -- a log entry has no `subject`",
      "export const wrongField = (e: LogEntry): string => e.subject",
      "// @ts-expect-error -- not one of the error codes",
      "export const wrongCode: ErrorCode = 'E_NO_SUCH_CODE'"
    ].join('\n'))
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, typeRoots: [join(REPO, 'node_modules', '@types')], types: ['node'] }, files: ['use.ts'] }))
    const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc')
    const check = await run(process.execPath, [tsc, '-p', project]).catch((err: { stdout: string }) => err)
    expect('stdout' in check ? check.stdout : '').toBe('')
  }, 360_000)
})
