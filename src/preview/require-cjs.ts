import { createRequire } from 'node:module'
import type Sharp from 'sharp'

/**
 * CommonJS dependencies of the previews, loaded with `require`. Imported from ESM, a CommonJS
 * package is first scanned by Node's cjs-module-lexer for its export names: sharp's graph (semver,
 * detect-libc, @img/colour) made that ~50 ms of a preview worker's start plus ~0.1 CPU s of
 * background TurboFan compiling of the lexer itself; `require` loads the same code without it
 * (sharp: 76–96 → 35 ms CPU). `require` is synchronous, so a package only some files need
 * (exif-reader, alawmulaw) loads on its first use.
 */
const require = createRequire(import.meta.url)

export type SharpFn = typeof Sharp
export const sharp: SharpFn = require('sharp')

export function requireCjs<T> (name: 'exif-reader' | 'alawmulaw'): T {
  return require(name) as T
}
