// The package's install step: compiles ranged-copy.c with npm's node-gyp and keeps only the
// addon (native/gas_ranged_copy.node; the intermediate build folder is ~90 KB that an installed
// package should not carry). Optional: without a compiler, or where it fails, gas writes the same
// files without it, so the install goes on (exit 0) with one line saying so.
import { spawnSync } from 'node:child_process'
import { copyFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const addon = join(here, 'gas_ranged_copy.node')
// a stale addon from an earlier build must not outlive a failed one
rmSync(addon, { force: true })
// npm puts its own node-gyp on the PATH of package scripts
const built = spawnSync('node-gyp', ['rebuild', '--loglevel=warn'], { cwd: here, stdio: ['ignore', 'ignore', 'inherit'], shell: process.platform === 'win32' })
try {
  if (built.status !== 0) throw new Error(built.error?.message ?? `node-gyp exited ${built.status}`)
  copyFileSync(join(here, 'build', 'Release', 'gas_ranged_copy.node'), addon)
} catch (err) {
  console.warn(`gas: the native ranged copy (native/ranged-copy.c) did not build (${err.message}); restore and checkout write the same files without it`)
}
rmSync(join(here, 'build'), { recursive: true, force: true })
