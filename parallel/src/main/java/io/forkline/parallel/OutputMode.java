package io.forkline.parallel;

/** How jobs' output reaches forkline's own stdout and stderr ({@code --output}). */
public enum OutputMode {
    /**
     * Each job's output is printed whole when the job finishes, never mixed with another's
     * (GNU parallel's default, {@code --group}). The child writes it into two spool files,
     * printed and deleted when it ends, so a job that writes gigabytes takes disk, not heap.
     */
    GROUPED,
    /**
     * Whole lines as they come; lines of different jobs may alternate, half lines never
     * (GNU parallel's {@code --line-buffer}). With keep-order, the oldest running job's lines
     * come as they are written and the later jobs' wait, held like grouped output.
     */
    LINES,
    /** Jobs' output is discarded ({@code /dev/null}), unless a results directory keeps it. */
    NONE
}
