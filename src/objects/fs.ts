import * as nodeFs from 'node:fs/promises'

/**
 * The file operations the store uses, passed in (as isomorphic-git passes `fs`) so tests can make
 * a write fail as a full disk would, and check that nothing half-written becomes visible.
 */
export type FileSystem = Pick<typeof nodeFs, 'open' | 'readFile' | 'writeFile' | 'rename' | 'mkdir' | 'readdir' | 'stat' | 'unlink' | 'rm' | 'rmdir' | 'appendFile' | 'lstat'>

export const realFs: FileSystem = nodeFs
