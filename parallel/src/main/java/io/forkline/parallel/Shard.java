package io.forkline.parallel;

import java.util.Map;

/**
 * Which jobs this process runs of a job list that several processes (machines, pods, array
 * tasks) share: shard K of N runs the jobs whose number {@code seq} has {@code (seq - 1) mod N ==
 * K - 1}. The split needs nothing but the job number, which counts the whole input in every
 * shard, so it is the same in every shard, after a resume, and for a streamed input of unknown
 * length; jobs next to each other go to different shards, which spreads slow stretches of the
 * list.
 *
 * @param index K, from 1
 * @param count N
 */
public record Shard(int index, int count) {
    /** Every job. */
    public static final Shard ALL = new Shard(1, 1);

    /** Checks K and N. */
    public Shard {
        if (count < 1) throw new IllegalArgumentException("shard count must be at least 1, got " + count);
        if (index < 1 || index > count) {
            throw new IllegalArgumentException("shard " + index + "/" + count + " does not exist: K must be from 1 to " + count);
        }
    }

    /** @return how many of jobs 1 to {@code total} are in this shard */
    public long jobsOf(long total) {
        return total / count + ((index - 1) < total % count ? 1 : 0);
    }

    /** @return whether job {@code seq} is in this shard */
    public boolean contains(long seq) {
        return (seq - 1) % count == index - 1;
    }

    /**
     * Reads {@code K/N}, or {@code auto}: from a Kubernetes Indexed Job ({@code JOB_COMPLETION_INDEX},
     * counted from 0, with N from {@code countFlag} or the environment's {@code FORKLINE_SHARD_COUNT},
     * which the manifest sets to its {@code completions}), or from a Slurm job array
     * ({@code SLURM_ARRAY_TASK_ID} minus {@code SLURM_ARRAY_TASK_MIN}, and {@code SLURM_ARRAY_TASK_COUNT}).
     *
     * @param text {@code K/N} or {@code auto}
     * @param environment where {@code auto} looks
     * @param countFlag N given on the command line, or null
     * @throws JobSpecException when it is malformed, names a shard that does not exist, or {@code auto} finds no engine
     */
    public static Shard parse(String text, Map<String, String> environment, Integer countFlag) throws JobSpecException {
        if (text.equals("auto")) return fromEnvironment(environment, countFlag);
        int slash = text.indexOf('/');
        if (slash <= 0 || countFlag != null) {
            throw new JobSpecException("--shard wants K/N (shard K of N, K from 1 to N) or auto, got '" + text + "'"
                    + (countFlag != null ? " with --shard-count, which only goes with auto" : ""));
        }
        int k = number(text.substring(0, slash), text);
        int n = number(text.substring(slash + 1), text);
        return checked(k, n, "--shard " + text);
    }

    private static Shard fromEnvironment(Map<String, String> env, Integer countFlag) throws JobSpecException {
        String k8sIndex = env.get("JOB_COMPLETION_INDEX");
        if (k8sIndex != null) {
            String countText = countFlag != null ? countFlag.toString() : env.get("FORKLINE_SHARD_COUNT");
            if (countText == null) {
                throw new JobSpecException("--shard auto: JOB_COMPLETION_INDEX=" + k8sIndex + " (a Kubernetes Indexed Job) says which "
                        + "shard this is, but not how many there are: set FORKLINE_SHARD_COUNT to the Job's completions, or give --shard-count N");
            }
            int index = number(k8sIndex, "JOB_COMPLETION_INDEX=" + k8sIndex);
            int count = number(countText, "the shard count " + countText);
            return checked(index + 1, count, "--shard auto (JOB_COMPLETION_INDEX=" + k8sIndex + ", count " + count + ")");
        }
        String taskId = env.get("SLURM_ARRAY_TASK_ID");
        if (taskId != null) {
            String taskCount = countFlag != null ? countFlag.toString() : env.get("SLURM_ARRAY_TASK_COUNT");
            String taskMin = env.getOrDefault("SLURM_ARRAY_TASK_MIN", "0");
            if (taskCount == null) {
                throw new JobSpecException("--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; give --shard-count N");
            }
            int index = number(taskId, "SLURM_ARRAY_TASK_ID=" + taskId) - number(taskMin, "SLURM_ARRAY_TASK_MIN=" + taskMin);
            int count = number(taskCount, "SLURM_ARRAY_TASK_COUNT=" + taskCount);
            String step = env.get("SLURM_ARRAY_TASK_STEP");
            if (step != null && !step.equals("1")) {
                throw new JobSpecException("--shard auto: the Slurm array has step " + step + "; use a contiguous array (--array=0-N) so that "
                        + "task ids map to shards one to one");
            }
            return checked(index + 1, count, "--shard auto (SLURM_ARRAY_TASK_ID=" + taskId + ", SLURM_ARRAY_TASK_MIN=" + taskMin
                    + ", SLURM_ARRAY_TASK_COUNT=" + count + ")");
        }
        throw new JobSpecException("--shard auto found no engine: neither JOB_COMPLETION_INDEX (Kubernetes Indexed Job) nor "
                + "SLURM_ARRAY_TASK_ID (Slurm job array) is set; give --shard K/N instead");
    }

    private static int number(String text, String where) throws JobSpecException {
        try {
            return Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            throw new JobSpecException("--shard: '" + where + "' is not a whole number");
        }
    }

    private static Shard checked(int k, int n, String where) throws JobSpecException {
        if (n < 1) throw new JobSpecException(where + ": the shard count must be at least 1, got " + n);
        if (k < 1 || k > n) throw new JobSpecException(where + ": shard " + k + " of " + n + " does not exist (K is from 1 to N)");
        return new Shard(k, n);
    }

    @Override
    public String toString() {
        return index + "/" + count;
    }
}
