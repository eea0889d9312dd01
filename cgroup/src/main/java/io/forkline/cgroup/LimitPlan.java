package io.forkline.cgroup;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Limits turned into file writes for one root: each limit's controller is looked up
 * ({@link CgroupRoot#controllers()}), translated for v1 where it is driven there, or skipped when
 * optional, or refused. Made before anything is written, so an unavailable controller fails
 * before a group exists.
 */
record LimitPlan(List<Write> writes, List<SkippedLimit> skipped) {
    /** One file write: {@code file} in the group's directory of {@code hierarchy}/{@code controller}. */
    record Write(String limit, String requested, Controller controller, Hierarchy hierarchy, String file, String value) {}

    static LimitPlan of(CgroupRoot root, Limits limits) throws ControllerUnavailableException {
        List<Write> writes = new ArrayList<>();
        List<SkippedLimit> skipped = new ArrayList<>();
        for (Map.Entry<String, String> e : limits.values().entrySet()) {
            String limit = e.getKey();
            String value = e.getValue();
            Controller controller = Controller.ofFile(limit);
            ControllerStatus status = root.controller(controller);
            if (!status.available()) {
                if (limits.optional().contains(controller)) {
                    skipped.add(new SkippedLimit(limit, value, controller, status.reason()));
                    continue;
                }
                throw new ControllerUnavailableException(controller, limit, status.reason());
            }
            if (status.hierarchy() == Hierarchy.V2) {
                writes.add(new Write(limit, value, controller, Hierarchy.V2, limit, value));
            } else {
                translateToV1(limit, value, controller, writes);
            }
        }
        return new LimitPlan(List.copyOf(writes), List.copyOf(skipped));
    }

    /**
     * The v1 files for a v2 limit (Documentation/admin-guide/cgroup-v1 and kernel/sched/core.c):
     * cpu.max "Q P" is cpu.cfs_period_us = P, then cpu.cfs_quota_us = Q (-1 for max); cpu.weight
     * W is cpu.shares = W * 1024 / 100 rounded, at least 2 (the kernel's own v2-to-v1 weight
     * conversion); pids.max has the same name and syntax on both.
     */
    private static void translateToV1(String limit, String value, Controller controller, List<Write> writes) {
        switch (limit) {
            case "cpu.max" -> {
                String[] parts = value.split(" ");
                writes.add(new Write(limit, value, controller, Hierarchy.V1, "cpu.cfs_period_us", parts[1]));
                writes.add(new Write(limit, value, controller, Hierarchy.V1, "cpu.cfs_quota_us",
                        parts[0].equals("max") ? "-1" : parts[0]));
            }
            case "cpu.weight" -> {
                long shares = Math.max(2, Math.round(Long.parseLong(value) * 1024 / 100.0));
                writes.add(new Write(limit, value, controller, Hierarchy.V1, "cpu.shares", Long.toString(shares)));
            }
            case "pids.max" -> writes.add(new Write(limit, value, controller, Hierarchy.V1, "pids.max", value));
            default -> throw new IllegalStateException(limit + " has no v1 translation");
        }
    }
}
