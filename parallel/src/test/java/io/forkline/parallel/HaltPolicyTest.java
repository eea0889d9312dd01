package io.forkline.parallel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HaltPolicyTest {
    @Test
    void readsGnuParallelsForms() throws JobSpecException {
        assertThat(HaltPolicy.parse("now,fail=1")).isEqualTo(new HaltPolicy(HaltPolicy.When.NOW, HaltPolicy.Why.FAIL, 1, 0));
        assertThat(HaltPolicy.parse("soon,success=3")).isEqualTo(new HaltPolicy(HaltPolicy.When.SOON, HaltPolicy.Why.SUCCESS, 3, 0));
        assertThat(HaltPolicy.parse("soon,fail=10%")).isEqualTo(new HaltPolicy(HaltPolicy.When.SOON, HaltPolicy.Why.FAIL, 0, 10));
        assertThat(HaltPolicy.parse("now,done=2").toString()).isEqualTo("now,done=2");
        assertThat(HaltPolicy.parse("never")).isEqualTo(HaltPolicy.NEVER);
        assertThat(HaltPolicy.parse("2")).isEqualTo(new HaltPolicy(HaltPolicy.When.NOW, HaltPolicy.Why.FAIL, 1, 0));
        assertThat(HaltPolicy.parse("-1")).isEqualTo(new HaltPolicy(HaltPolicy.When.SOON, HaltPolicy.Why.SUCCESS, 1, 0));
        assertThat(HaltPolicy.parse("25%")).isEqualTo(new HaltPolicy(HaltPolicy.When.SOON, HaltPolicy.Why.FAIL, 0, 25));
    }

    @Test
    void malformedPoliciesSayWhatIsAccepted() {
        for (String bad : new String[] {"later,fail=1", "now,fail", "now,fail=0", "now,fail=x", "now,oops=1", "now,fail=150%", "now", ""}) {
            assertThatThrownBy(() -> HaltPolicy.parse(bad)).as(bad).isInstanceOf(JobSpecException.class)
                    .hasMessageContaining("is not a halt policy").hasMessageContaining("now|soon,fail=N");
        }
    }

    @Test
    void countsAndPercentages() throws JobSpecException {
        HaltPolicy three = HaltPolicy.parse("soon,fail=3");
        assertThat(three.reached(2, 100, -1)).isFalse();
        assertThat(three.reached(3, 0, -1)).isTrue();
        HaltPolicy tenth = HaltPolicy.parse("now,fail=10%");
        assertThat(tenth.reached(9, 0, 100)).as("of the known total").isFalse();
        assertThat(tenth.reached(10, 0, 100)).isTrue();
        assertThat(tenth.reached(1, 9, -1)).as("of those finished, when the total is unknown").isTrue();
        assertThat(HaltPolicy.parse("now,done=2").reached(1, 1, -1)).isTrue();
        assertThat(HaltPolicy.NEVER.reached(1000, 0, 1000)).isFalse();
    }
}
