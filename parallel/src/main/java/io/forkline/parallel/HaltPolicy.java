package io.forkline.parallel;

import java.util.Locale;

/**
 * When to stop a run early, in GNU parallel's {@code --halt} syntax: {@code never}, or
 * {@code WHEN,WHY=X} with WHEN {@code now} (kill the running jobs) or {@code soon} (start no new
 * jobs and wait for the running ones), WHY {@code fail}, {@code success} or {@code done}, and X a
 * number of jobs or a percentage ({@code fail=10%}). GNU parallel's old numeric forms are read
 * too: 0 is never, 1 is soon,fail=1, 2 is now,fail=1, -1 is soon,success=1, -2 is now,success=1
 * and {@code N%} is soon,fail=N%.
 *
 * <p>A percentage is of all jobs when their number is known before the run (inputs given with
 * {@code :::}), and otherwise of the jobs finished so far.
 *
 * @param when whether a halt kills the running jobs
 * @param why what is counted
 * @param count how many, or 0 when {@code percent} is used
 * @param percent the percentage, or 0 when {@code count} is used
 */
public record HaltPolicy(When when, Why why, long count, double percent) {
    /** Run every job. */
    public static final HaltPolicy NEVER = new HaltPolicy(When.NEVER, Why.FAIL, 0, 0);

    /** When the run stops. */
    public enum When {
        /** Never early. */
        NEVER,
        /** Start no new jobs, let the running ones finish. */
        SOON,
        /** Kill the running jobs. */
        NOW
    }

    /** What is counted. */
    public enum Why {
        /** Failed jobs. */
        FAIL,
        /** Succeeded jobs. */
        SUCCESS,
        /** Finished jobs, either way. */
        DONE
    }

    /**
     * @param text the {@code --halt} value
     * @throws JobSpecException when it is none of the forms above
     */
    public static HaltPolicy parse(String text) throws JobSpecException {
        String t = text.strip().toLowerCase(Locale.ROOT);
        switch (t) {
            case "never", "0" -> { return NEVER; }
            case "1" -> { return new HaltPolicy(When.SOON, Why.FAIL, 1, 0); }
            case "2" -> { return new HaltPolicy(When.NOW, Why.FAIL, 1, 0); }
            case "-1" -> { return new HaltPolicy(When.SOON, Why.SUCCESS, 1, 0); }
            case "-2" -> { return new HaltPolicy(When.NOW, Why.SUCCESS, 1, 0); }
            default -> { }
        }
        if (t.matches("[0-9]+(\\.[0-9]+)?%")) return withAmount(When.SOON, Why.FAIL, t, text);
        int comma = t.indexOf(',');
        int eq = t.indexOf('=');
        if (comma < 0 || eq < comma) throw malformed(text);
        When when = switch (t.substring(0, comma)) {
            case "now" -> When.NOW;
            case "soon" -> When.SOON;
            default -> throw malformed(text);
        };
        Why why = switch (t.substring(comma + 1, eq)) {
            case "fail" -> Why.FAIL;
            case "success" -> Why.SUCCESS;
            case "done" -> Why.DONE;
            default -> throw malformed(text);
        };
        return withAmount(when, why, t.substring(eq + 1), text);
    }

    private static HaltPolicy withAmount(When when, Why why, String amount, String text) throws JobSpecException {
        try {
            if (amount.endsWith("%")) {
                double p = Double.parseDouble(amount.substring(0, amount.length() - 1));
                if (!(p > 0 && p <= 100)) throw malformed(text);
                return new HaltPolicy(when, why, 0, p);
            }
            if (!amount.matches("[0-9]{1,18}")) throw malformed(text);
            long n = Long.parseLong(amount);
            if (n < 1) throw malformed(text);
            return new HaltPolicy(when, why, n, 0);
        } catch (NumberFormatException e) {
            throw malformed(text);
        }
    }

    private static JobSpecException malformed(String text) {
        return new JobSpecException("--halt '" + text + "' is not a halt policy: use never, now|soon,fail=N, now|soon,success=N, "
                + "now|soon,done=N, or a percentage such as soon,fail=10%");
    }

    /**
     * @param failed jobs failed so far
     * @param succeeded jobs succeeded so far
     * @param total all jobs when known before the run, else -1
     * @return whether the run should halt now
     */
    public boolean reached(long failed, long succeeded, long total) {
        if (when == When.NEVER) return false;
        long counted = switch (why) {
            case FAIL -> failed;
            case SUCCESS -> succeeded;
            case DONE -> failed + succeeded;
        };
        if (percent == 0) return counted >= count;
        long base = total > 0 ? total : failed + succeeded;
        return base > 0 && counted * 100.0 >= percent * base;
    }

    @Override
    public String toString() {
        if (when == When.NEVER) return "never";
        return when.name().toLowerCase(Locale.ROOT) + "," + why.name().toLowerCase(Locale.ROOT) + "="
                + (percent == 0 ? Long.toString(count) : (percent == Math.rint(percent) ? Long.toString((long) percent) : Double.toString(percent)) + "%");
    }
}
