package io.forkline.parallel;

import java.util.List;

/**
 * One job's input: its job number ({@code {#}}, counted from 1 over the whole input, so it is the
 * same in every shard and after a resume) and one value per input source ({@code {1}}, {@code {2}}, ...).
 *
 * @param seq the job number
 * @param values one value per input source
 */
public record JobInput(long seq, List<String> values) {
    /** Copies the values. */
    public JobInput {
        values = List.copyOf(values);
    }
}
