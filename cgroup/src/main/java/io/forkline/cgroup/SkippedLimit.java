package io.forkline.cgroup;

/**
 * A limit the caller marked optional ({@link Limits.Builder#optional(Controller...)}) that could
 * not be applied on this host. Never silent: it is reported in {@link LimitReport#skipped()}.
 *
 * @param limit the limit, such as {@code memory.max}
 * @param requested the value asked for
 * @param controller its controller
 * @param reason why the controller is unavailable
 */
public record SkippedLimit(String limit, String requested, Controller controller, String reason) {
    @Override
    public String toString() {
        return limit + "=" + requested + " skipped: " + reason;
    }
}
