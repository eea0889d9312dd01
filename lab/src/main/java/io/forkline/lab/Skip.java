package io.forkline.lab;

/**
 * A part of an experiment that could not run on this host, and what it needs: recorded in the
 * tables and the report, never a crash.
 *
 * @param what the part ("Go 1.19's ForkLock")
 * @param needs what was missing ("golang-1.19 (scripts/toolchains.sh lab)")
 */
public record Skip(String what, String needs) {
    /** @return the line printed for it */
    public String line() {
        return what + ": skipped: needs " + needs;
    }
}
