package io.forkline.lab;

/**
 * Thrown by a part of an experiment that cannot run here; the experiment records it as a
 * {@link Skip} and goes on with its other parts.
 */
public final class SkippedException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String needs;

    /** @param needs what was missing, in a few words */
    public SkippedException(String needs) {
        super("needs " + needs);
        this.needs = needs;
    }

    /** @return what was missing */
    public String needs() {
        return needs;
    }
}
