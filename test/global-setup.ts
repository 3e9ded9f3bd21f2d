import { spawnSync } from 'node:child_process'
import { existsSync, statSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

/** Newest modification time under a folder. */
function newest (dir: string): number {
  let t = 0
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, name.name)
    t = Math.max(t, name.isDirectory() ? newest(p) : statSync(p).mtimeMs)
  }
  return t
}

/** Tests that spawn bin/gas need dist/ current: build when src/ is newer (npm ci builds it in CI). */
export default function setup (): void {
  const main = 'dist/src/cli/main.js'
  const packaged = 'dist/min/cli/main.js'
  if (!existsSync(main) || statSync(main).mtimeMs < newest('src')) {
    // tsc emits even when a file has type errors; `npm run build` is where those fail loudly
    spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', '.'], { stdio: 'inherit' })
  }
  // the package tests pack dist/min, the minified copy of dist/src
  if (!existsSync(packaged) || statSync(packaged).mtimeMs < statSync(main).mtimeMs) {
    spawnSync(process.execPath, ['dist/scripts/package-build.js'], { stdio: 'inherit' })
  }
}
