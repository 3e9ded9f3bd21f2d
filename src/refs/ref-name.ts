import { GasError } from '../errors.js'

/** Like git's check-ref-format: names that are safe as paths and unambiguous on every peer. */
export function checkRefName (name: string): string {
  const ok = name.startsWith('refs/') && name.length <= 512 &&
    name.split('/').every((part) => /^[A-Za-z0-9_@+=,.-]+$/.test(part) && !part.startsWith('.') && !part.endsWith('.lock')) &&
    !name.includes('..')
  if (!ok) throw GasError.badArgument(`"${name}" is not a valid ref name`, { name })
  return name
}

export function checkShortName (name: string, what: string): string {
  if (!/^[A-Za-z0-9_@+=,.-][A-Za-z0-9_@+=,./-]*$/.test(name) || name.includes('..') || name.endsWith('/') || name.endsWith('.lock')) {
    throw GasError.badArgument(`"${name}" is not a valid ${what} name`, { name })
  }
  return name
}
