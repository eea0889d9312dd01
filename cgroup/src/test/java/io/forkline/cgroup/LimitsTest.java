package io.forkline.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Validation of limit values, before anything touches a cgroup. */
class LimitsTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "pids.max|-1", "pids.max|4194305", "pids.max|ten", "pids.max|''", "pids.max|5 6",
        "memory.max|12x", "memory.max|-5", "memory.swap.max|99999999999999999999",
        "memory.max|256Q", "memory.max|1.5G", "memory.max|-1", "memory.high|10MB", "memory.max|M", "memory.max|''",
        "memory.max|8E", "memory.high|8388608T", "memory.swap.max|0x10", "memory.max|10 M", "memory.max|+5", "memory.max|MAX",
        "cpu.weight|0", "cpu.weight|10001", "cpu.weight|max",
        "cpu.max|500 100000", "cpu.max|50000 999", "cpu.max|50000 2000000", "cpu.max|max max", "cpu.max|1 2 3",
        "io.max|8:0", "io.max|sda rbps=1", "io.max|8:0 rbps=0", "io.max|8:0 speed=1", "io.max|8:0 rbps",
        "cpu.shares|1024", "memory.limit_in_bytes|1",
    })
    void aMalformedOrOutOfRangeValueNamesTheFileAndTheValue(String file, String value) {
        assertThatThrownBy(() -> Limits.builder().set(file, value).build())
                .isInstanceOfSatisfying(InvalidLimitException.class, e -> {
                    assertThat(e.file()).isEqualTo(file);
                    assertThat(e.value()).isEqualTo(value);
                    assertThat(e.getMessage()).startsWith("invalid " + file + " value \"" + value + "\": ");
                });
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "0|0", "4096|4096", "1k|1024", "1K|1024", "10M|10485760", "10m|10485760", "2G|2147483648", "1t|1099511627776",
        "1P|1125899906842624", "7E|8070450532247928832", "9223372036854775807|9223372036854775807",
        "8388607T|9223370937343148032", "' 512M '|536870912", "010K|10240", "max|max",
    })
    void memorySizesTakeTheKernelsSuffixesAndAreWrittenAsBytes(String value, String written) throws InvalidLimitException {
        for (String file : new String[] {"memory.max", "memory.high", "memory.swap.max"}) {
            assertThat(Limits.builder().set(file, value).build().values()).containsExactly(java.util.Map.entry(file, written));
        }
    }

    @Test
    void aBadSizeSaysWhatASizeIs() {
        assertThatThrownBy(() -> Limits.builder().set("memory.max", "256Q").build())
                .isInstanceOf(InvalidLimitException.class)
                .hasMessage("invalid memory.max value \"256Q\": a byte count (0 or more) with an optional K, M, G, T, P or E suffix "
                        + "for binary multiples (512M is 536870912 bytes), or \"max\"");
    }

    @Test
    void sizesParseTheSameWayOutsideLimits() {
        assertThat(Sizes.parseBytes("512M")).isEqualTo(512L << 20);
        assertThat(Sizes.parseBytes("64k")).isEqualTo(65536);
        assertThat(Sizes.parseBytes(" 3 ")).isEqualTo(3);
        for (String bad : new String[] {"1.5G", "-1", "10MB", "8E", "", "max", "G"}) {
            assertThatThrownBy(() -> Sizes.parseBytes(bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("cannot read size '" + bad + "': " + Sizes.EXPECTED);
        }
        assertThatThrownBy(() -> Sizes.parseBytes(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void typedSettersValidateToo() {
        assertThatThrownBy(() -> Limits.builder().pidsMax(5).cpuWeight(0).build())
                .isInstanceOf(InvalidLimitException.class)
                .hasMessage("invalid cpu.weight value \"0\": an integer from 1 to 10000");
        assertThatThrownBy(() -> Limits.builder().cpuMax(999, 100_000).build())
                .isInstanceOf(InvalidLimitException.class)
                .hasMessageStartingWith("invalid cpu.max value \"999 100000\"");
    }

    @Test
    void validValuesAreKeptInTheirCanonicalForm() throws Exception {
        Limits limits = Limits.builder()
                .memoryMax(1 << 30).memoryHigh(Limits.UNLIMITED).memorySwapMax(0)
                .cpuMax(50_000, 100_000).cpuWeight(200).pidsMax(4_194_304)
                .set("cpu.max", "max").set("io.max", "8:0  rbps=1048576 wiops=max")
                .optional(Controller.IO)
                .build();
        assertThat(limits.values()).containsExactly(
                java.util.Map.entry("memory.max", "1073741824"), java.util.Map.entry("memory.high", "max"),
                java.util.Map.entry("memory.swap.max", "0"), java.util.Map.entry("cpu.max", "max 100000"),
                java.util.Map.entry("cpu.weight", "200"), java.util.Map.entry("pids.max", "4194304"),
                java.util.Map.entry("io.max", "8:0 rbps=1048576 wiops=max"));
        assertThat(limits.optional()).containsExactly(Controller.IO);
    }
}
