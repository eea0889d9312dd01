package io.forkline.parallel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ShardTest {
    @Test
    void everyJobIsInExactlyOneShard() throws JobSpecException {
        for (int n = 1; n <= 7; n++) {
            for (long seq = 1; seq <= 100; seq++) {
                int owners = 0;
                for (int k = 1; k <= n; k++) {
                    if (Shard.parse(k + "/" + n, Map.of(), null).contains(seq)) owners++;
                }
                assertThat(owners).as("job %d over %d shards", seq, n).isEqualTo(1);
            }
            long total = 0;
            for (int k = 1; k <= n; k++) total += new Shard(k, n).jobsOf(100);
            assertThat(total).isEqualTo(100);
        }
    }

    @Test
    void autoReadsKubernetesIndexedJobs() throws JobSpecException {
        assertThat(Shard.parse("auto", Map.of("JOB_COMPLETION_INDEX", "0", "FORKLINE_SHARD_COUNT", "4"), null)).isEqualTo(new Shard(1, 4));
        assertThat(Shard.parse("auto", Map.of("JOB_COMPLETION_INDEX", "3"), 4)).isEqualTo(new Shard(4, 4));
        assertThatThrownBy(() -> Shard.parse("auto", Map.of("JOB_COMPLETION_INDEX", "3"), null))
                .isInstanceOf(JobSpecException.class).hasMessageContaining("FORKLINE_SHARD_COUNT");
        assertThatThrownBy(() -> Shard.parse("auto", Map.of("JOB_COMPLETION_INDEX", "4", "FORKLINE_SHARD_COUNT", "4"), null))
                .isInstanceOf(JobSpecException.class).hasMessageContaining("does not exist");
    }

    @Test
    void autoReadsSlurmArrays() throws JobSpecException {
        assertThat(Shard.parse("auto", Map.of("SLURM_ARRAY_TASK_ID", "1", "SLURM_ARRAY_TASK_MIN", "1", "SLURM_ARRAY_TASK_COUNT", "3"), null))
                .isEqualTo(new Shard(1, 3));
        assertThat(Shard.parse("auto", Map.of("SLURM_ARRAY_TASK_ID", "2", "SLURM_ARRAY_TASK_COUNT", "3"), null)).isEqualTo(new Shard(3, 3));
        assertThatThrownBy(() -> Shard.parse("auto", Map.of("SLURM_ARRAY_TASK_ID", "2", "SLURM_ARRAY_TASK_COUNT", "3",
                "SLURM_ARRAY_TASK_STEP", "2"), null)).isInstanceOf(JobSpecException.class).hasMessageContaining("step");
        assertThatThrownBy(() -> Shard.parse("auto", Map.of(), null)).isInstanceOf(JobSpecException.class).hasMessageContaining("no engine");
    }

    @Test
    void aShardThatDoesNotExistOrIsMalformedIsRefused() {
        assertThatThrownBy(() -> Shard.parse("3/2", Map.of(), null)).isInstanceOf(JobSpecException.class)
                .hasMessage("--shard 3/2: shard 3 of 2 does not exist (K is from 1 to N)");
        assertThatThrownBy(() -> Shard.parse("0/2", Map.of(), null)).isInstanceOf(JobSpecException.class).hasMessageContaining("does not exist");
        assertThatThrownBy(() -> Shard.parse("1/0", Map.of(), null)).isInstanceOf(JobSpecException.class).hasMessageContaining("at least 1");
        assertThatThrownBy(() -> Shard.parse("x", Map.of(), null)).isInstanceOf(JobSpecException.class).hasMessageContaining("K/N");
        assertThatThrownBy(() -> Shard.parse("a/b", Map.of(), null)).isInstanceOf(JobSpecException.class).hasMessageContaining("whole number");
    }
}
