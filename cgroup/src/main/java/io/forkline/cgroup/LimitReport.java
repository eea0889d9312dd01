package io.forkline.cgroup;

import java.util.List;

/**
 * What applying {@link Limits} did: each file written and its hierarchy, and each optional limit
 * that was skipped with the reason.
 *
 * @param applied the writes, in the order they were made
 * @param skipped the optional limits that this host cannot apply
 */
public record LimitReport(List<AppliedLimit> applied, List<SkippedLimit> skipped) {
    /** An empty report: no limits. */
    public static final LimitReport NONE = new LimitReport(List.of(), List.of());

    public LimitReport {
        applied = List.copyOf(applied);
        skipped = List.copyOf(skipped);
    }

    @Override
    public String toString() {
        StringBuilder out = new StringBuilder();
        for (AppliedLimit a : applied) out.append(a).append('\n');
        for (SkippedLimit s : skipped) out.append(s).append('\n');
        return out.toString();
    }
}
