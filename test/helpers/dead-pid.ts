/**
 * A pid no process can have: above Linux's PID_MAX_LIMIT (2^22) and macOS's 99 999.
 * why: a short-lived child's pid, once it exits, is soon reused on a loaded machine (pid_max is often
 * 32 768), which made "the writer is dead" tests see a live writer now and then.
 */
export const DEAD_PID = 4_194_305
