package io.forkline.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {
    @Test
    void readsUnitsFractionsPlainSecondsAndIso() {
        assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.parse("10s")).isEqualTo(Duration.ofSeconds(10));
        assertThat(Durations.parse("1.5s")).isEqualTo(Duration.ofMillis(1500));
        assertThat(Durations.parse("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(Durations.parse("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(Durations.parse("1d")).isEqualTo(Duration.ofDays(1));
        assertThat(Durations.parse("0.25h")).isEqualTo(Duration.ofMinutes(15));
        assertThat(Durations.parse("30")).isEqualTo(Duration.ofSeconds(30));
        assertThat(Durations.parse("2.5")).isEqualTo(Duration.ofMillis(2500));
        assertThat(Durations.parse(".5s")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.parse("0")).isEqualTo(Duration.ZERO);
        assertThat(Durations.parse("PT10S")).isEqualTo(Duration.ofSeconds(10));
        assertThat(Durations.parse("pt1m30s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(Durations.parse("P1DT2H")).isEqualTo(Duration.ofHours(26));
        assertThat(Durations.parse(" 10S ")).isEqualTo(Duration.ofSeconds(10));
        assertThat(Durations.parse("1.0000000004s")).isEqualTo(Duration.ofSeconds(1));
        assertThat(Durations.parse("0.0000000005s")).isEqualTo(Duration.ofNanos(1));
    }

    @Test
    void theLongestIsWhatALongOfNanosecondsHolds() {
        assertThat(Durations.parse(Long.MAX_VALUE / 1_000_000 + "ms")).isLessThanOrEqualTo(Durations.MAX);
        assertThatThrownBy(() -> Durations.parse("106752d")).hasMessage("duration '106752d' is too long: at most 106751d");
        assertThatThrownBy(() -> Durations.parse("PT9999999999H")).hasMessageContaining("too long");
        assertThatThrownBy(() -> Durations.parse("99999999999999999999999999999s")).hasMessageContaining("too long");
    }

    @Test
    void sayWhatTheyAccept() {
        assertThatThrownBy(() -> Durations.parse("xyz"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot read duration 'xyz': use 500ms, 10s, 2m, 1h or PT10S");
        assertThatThrownBy(() -> Durations.parse("-5s")).hasMessage("cannot read duration '-5s': use 500ms, 10s, 2m, 1h or PT10S");
        assertThatThrownBy(() -> Durations.parse("PT-5S")).hasMessage("duration 'PT-5S' is negative: use 500ms, 10s, 2m, 1h or PT10S");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "s", "ms", "10 s", "10sec", "1.5.5s", "1e3s", "0x10", "10y", "1m30s", "PT", "P1S", "NaN", "Infinity", "+5s"})
    void refuseEverythingElse(String text) {
        assertThatThrownBy(() -> Durations.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("cannot read duration '" + text + "'");
    }
}
