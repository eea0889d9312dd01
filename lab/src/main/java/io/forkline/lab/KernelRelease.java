package io.forkline.lab;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A kernel release ({@code uname -r}), as far as the lab compares them: whether a fix that
 * landed in a mainline release is in this kernel. Distribution kernels backport fixes, so
 * "older than the release" means "not known to have it", and the verdicts say so.
 *
 * @param major the first number
 * @param minor the second
 * @param text the release as the kernel gives it
 */
public record KernelRelease(int major, int minor, String text) implements Comparable<KernelRelease> {
    private static final Pattern LEADING = Pattern.compile("^(\\d+)\\.(\\d+)");

    /** @throws IllegalArgumentException when {@code text} does not start with MAJOR.MINOR */
    public static KernelRelease parse(String text) {
        Matcher m = LEADING.matcher(text.strip());
        if (!m.find()) throw new IllegalArgumentException("not a kernel release: " + text);
        return new KernelRelease(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), text.strip());
    }

    /** @return whether this release is {@code major.minor} or later */
    public boolean atLeast(int major, int minor) {
        return this.major > major || (this.major == major && this.minor >= minor);
    }

    @Override
    public int compareTo(KernelRelease other) {
        return this.major != other.major ? Integer.compare(this.major, other.major) : Integer.compare(this.minor, other.minor);
    }

    @Override
    public String toString() {
        return text;
    }
}
