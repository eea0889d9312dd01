package io.forkline.cgroup;

/**
 * A limit value is malformed or out of range. Raised by {@link Limits.Builder#build()}, before
 * anything is written, with the file, the value and what a valid value looks like.
 */
public final class InvalidLimitException extends CgroupException {
    private static final long serialVersionUID = 1L;

    private final String file;
    private final String value;

    InvalidLimitException(String file, String value, String expected) {
        super("invalid " + file + " value \"" + value + "\": " + expected, null);
        this.file = file;
        this.value = value;
    }

    /** @return the limit file, such as {@code pids.max} */
    public String file() {
        return file;
    }

    /** @return the value as given */
    public String value() {
        return value;
    }
}
