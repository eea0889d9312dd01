package io.forkline.cgroup;

import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Resource limits for a group, named and written in cgroup v2 syntax ({@code memory.max},
 * {@code cpu.max}, {@code cpu.weight}, {@code pids.max}, {@code io.max}, ...). Immutable, and
 * validated as a whole by {@link Builder#build()}: a malformed or out-of-range value is an
 * {@link InvalidLimitException} naming the file and the value before anything is written.
 * The memory files take sizes as the kernel does ({@code 512M}, see {@link Sizes}), written as
 * their byte count.
 *
 * <p>Where a limit goes is decided when it is applied ({@link CgroupRoot#create(String, Limits)},
 * {@link Cgroup#apply(Limits)}): the v2 file when the controller is enabled there, its v1
 * translation on a hybrid host, or an error unless the controller was marked
 * {@linkplain Builder#optional(Controller...) optional}.
 */
public final class Limits {
    /** No limits. */
    public static final Limits NONE = new Limits(Map.of(), Set.of());
    /** Pass to a byte or count limit for "no limit" ({@code max}). */
    public static final long UNLIMITED = Long.MAX_VALUE;

    /** The kernel refuses pids.max at or above PID_MAX_LIMIT + 1 (kernel/cgroup/pids.c). */
    static final long PIDS_MAX_LIMIT = 4 * 1024 * 1024;
    /** cpu.max period bounds (kernel/sched/core.c: min_cfs_quota_period 1 ms, max_cfs_quota_period 1 s). */
    static final long CPU_PERIOD_MIN = 1_000;
    static final long CPU_PERIOD_MAX = 1_000_000;
    /** The smallest quota the kernel takes (1 ms) and a sane upper bound (the kernel's max_cfs_runtime is ~70 years). */
    static final long CPU_QUOTA_MIN = 1_000;
    static final long CPU_QUOTA_MAX = Long.MAX_VALUE / 1_000_000;

    private static final Pattern DIGITS = Pattern.compile("[0-9]{1,19}");
    private static final Pattern DEVICE = Pattern.compile("[0-9]{1,10}:[0-9]{1,10}");
    private static final Set<String> IO_KEYS = Set.of("rbps", "wbps", "riops", "wiops");

    private final Map<String, String> values;
    private final Set<Controller> optional;

    private Limits(Map<String, String> values, Set<Controller> optional) {
        this.values = values;
        this.optional = optional;
    }

    /** @return a new builder */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the limits in the order they were set: file name (v2) to value (v2 syntax) */
    public Map<String, String> values() {
        return values;
    }

    /** @return the controllers whose limits may be skipped, with a report, where unavailable */
    public Set<Controller> optional() {
        return optional;
    }

    /** @return whether there is nothing to apply */
    public boolean isEmpty() {
        return values.isEmpty();
    }

    @Override
    public String toString() {
        return values + (optional.isEmpty() ? "" : " optional " + optional);
    }

    /** Collects limits; {@link #build()} validates them all. */
    public static final class Builder {
        private final Map<String, String> values = new LinkedHashMap<>();
        private final Set<Controller> optional = EnumSet.noneOf(Controller.class);

        private Builder() {}

        /** memory.max in bytes, or {@link Limits#UNLIMITED}. */
        public Builder memoryMax(long bytes) {
            return set("memory.max", bytesOrMax(bytes));
        }

        /** memory.high in bytes, or {@link Limits#UNLIMITED}. */
        public Builder memoryHigh(long bytes) {
            return set("memory.high", bytesOrMax(bytes));
        }

        /** memory.swap.max in bytes, or {@link Limits#UNLIMITED}. */
        public Builder memorySwapMax(long bytes) {
            return set("memory.swap.max", bytesOrMax(bytes));
        }

        /**
         * cpu.max: at most {@code quotaMicros} of CPU time per {@code periodMicros}.
         *
         * @param quotaMicros at least 1000, or {@link Limits#UNLIMITED}
         * @param periodMicros 1000 to 1,000,000
         */
        public Builder cpuMax(long quotaMicros, long periodMicros) {
            return set("cpu.max", bytesOrMax(quotaMicros) + " " + periodMicros);
        }

        /** cpu.weight, 1 to 10000 (100 is the default); on v1 it becomes cpu.shares. */
        public Builder cpuWeight(int weight) {
            return set("cpu.weight", Integer.toString(weight));
        }

        /** pids.max: at most this many tasks, 0 to 4194304, or {@link Limits#UNLIMITED}. */
        public Builder pidsMax(long tasks) {
            return set("pids.max", bytesOrMax(tasks));
        }

        /**
         * io.max for one device.
         *
         * @param device {@code MAJ:MIN}
         * @param settings such as {@code rbps=1048576 wiops=max}
         */
        public Builder ioMax(String device, String settings) {
            return set("io.max", device + " " + settings);
        }

        /**
         * Sets a limit file to a value in v2 syntax, as given (for configuration files and CLIs).
         * Only the files above are accepted; {@link #build()} validates the value.
         */
        public Builder set(String file, String value) {
            values.put(file, value);
            return this;
        }

        /** Marks controllers whose limits are skipped, and reported, where they cannot be applied. */
        public Builder optional(Controller... controllers) {
            Collections.addAll(optional, controllers);
            return this;
        }

        /**
         * @return the validated limits
         * @throws InvalidLimitException for the first malformed or out-of-range value, naming the file and the value
         */
        public Limits build() throws InvalidLimitException {
            Map<String, String> checked = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : values.entrySet()) {
                checked.put(e.getKey(), validate(e.getKey(), e.getValue()));
            }
            return new Limits(Collections.unmodifiableMap(checked), Collections.unmodifiableSet(EnumSet.copyOf(
                    optional.isEmpty() ? EnumSet.noneOf(Controller.class) : optional)));
        }

        private static String bytesOrMax(long value) {
            return value == UNLIMITED ? "max" : Long.toString(value);
        }
    }

    /** @return the value in the canonical form it is written in */
    static String validate(String file, String value) throws InvalidLimitException {
        if (value == null) throw new InvalidLimitException(file, "null", "a value is required");
        String v = value.strip();
        switch (file) {
            case "memory.max", "memory.high", "memory.swap.max" -> {
                if (v.equals("max")) return "max";
                OptionalLong bytes = Sizes.bytes(v);
                if (bytes.isEmpty()) throw new InvalidLimitException(file, value, Sizes.EXPECTED + ", or \"max\"");
                return Long.toString(bytes.getAsLong());
            }
            case "pids.max" -> {
                return maxOrRange(file, value, v, 0, PIDS_MAX_LIMIT, "a task count from 0 to " + PIDS_MAX_LIMIT + " or \"max\"");
            }
            case "cpu.weight" -> {
                long weight = range(file, value, v, 1, 10_000, "an integer from 1 to 10000");
                return Long.toString(weight);
            }
            case "cpu.max" -> {
                String expected = "\"QUOTA PERIOD\" in microseconds, QUOTA " + CPU_QUOTA_MIN + " or more or \"max\", PERIOD "
                        + CPU_PERIOD_MIN + " to " + CPU_PERIOD_MAX;
                String[] parts = v.split(" +");
                if (parts.length < 1 || parts.length > 2 || parts[0].isEmpty()) throw new InvalidLimitException(file, value, expected);
                String quota = maxOrRange(file, value, parts[0], CPU_QUOTA_MIN, CPU_QUOTA_MAX, expected);
                long period = parts.length == 2 ? range(file, value, parts[1], CPU_PERIOD_MIN, CPU_PERIOD_MAX, expected) : 100_000;
                return quota + " " + period;
            }
            case "io.max" -> {
                String expected = "\"MAJ:MIN key=value...\" with keys rbps, wbps, riops, wiops and values that are positive integers or \"max\"";
                String[] parts = v.split(" +");
                if (parts.length < 2 || !DEVICE.matcher(parts[0]).matches()) throw new InvalidLimitException(file, value, expected);
                for (int i = 1; i < parts.length; i++) {
                    int eq = parts[i].indexOf('=');
                    if (eq < 0 || !IO_KEYS.contains(parts[i].substring(0, eq))) throw new InvalidLimitException(file, value, expected);
                    maxOrRange(file, value, parts[i].substring(eq + 1), 1, Long.MAX_VALUE, expected);
                }
                return String.join(" ", parts);
            }
            default -> throw new InvalidLimitException(file, value,
                    "not a limit forkline sets (memory.max, memory.high, memory.swap.max, cpu.max, cpu.weight, pids.max, io.max)");
        }
    }

    private static String maxOrRange(String file, String raw, String v, long min, long max, String expected)
            throws InvalidLimitException {
        if (v.equals("max")) return "max";
        return Long.toString(range(file, raw, v, min, max, expected));
    }

    private static long range(String file, String raw, String v, long min, long max, String expected)
            throws InvalidLimitException {
        if (!DIGITS.matcher(v).matches()) throw new InvalidLimitException(file, raw, expected);
        long n;
        try {
            n = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new InvalidLimitException(file, raw, expected);
        }
        if (n < min || n > max) throw new InvalidLimitException(file, raw, expected);
        return n;
    }
}
