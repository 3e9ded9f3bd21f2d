// The clone's build step (package.json `prepare`: npm ci, npm pack): compiles restore-chunks.c and
// crc32.c with npm's node-gyp and keeps only the addon, native/gas_native.node, which the package
// ships built. why not an install script: npm 11 runs none for a dependency, and the sources were
// 24 KB of the installed package against issue 19's floor. Where the addon does not load (another
// platform) or did not build (no compiler), gas writes the same files without it: the step goes on
// (exit 0) with one line saying so.
import { spawnSync } from 'node:child_process'
import { copyFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const addon = join(here, 'gas_native.node')
// a stale addon from an earlier build must not outlive a failed one
rmSync(addon, { force: true })
// npm puts its own node-gyp on the PATH of package scripts
const built = spawnSync('node-gyp', ['rebuild', '--loglevel=warn'], { cwd: here, stdio: ['ignore', 'ignore', 'inherit'], shell: process.platform === 'win32' })
try {
  if (built.status !== 0) throw new Error(built.error?.message ?? `node-gyp exited ${built.status}`)
  copyFileSync(join(here, 'build', 'Release', 'gas_native.node'), addon)
} catch (err) {
  console.warn(`gas: the native restore (native/restore-chunks.c) did not build (${err.message}); restore and checkout write the same files without it`)
}
rmSync(join(here, 'build'), { recursive: true, force: true })
