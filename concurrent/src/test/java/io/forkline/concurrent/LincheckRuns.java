package io.forkline.concurrent;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.jetbrains.lincheck.LincheckAssertionError;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Options;
import org.jetbrains.lincheck.datastructures.StressOptions;

/**
 * Lincheck settings shared by the checkers: small in CI (about 10 s per model-checking run on the
 * 2-core machine), about 20 to 40 times larger under {@code -Pthorough} (the system property {@code
 * forkline.thorough}), which makes the whole module a half-hour run.
 */
final class LincheckRuns {
    static final boolean THOROUGH = Boolean.getBoolean("forkline.thorough");

    private LincheckRuns() {}

    static ModelCheckingOptions modelChecking() {
        return new ModelCheckingOptions()
                .iterations(THOROUGH ? 60 : 12)
                .invocationsPerIteration(THOROUGH ? 2_000 : 400)
                .threads(2)
                .actorsPerThread(3)
                .actorsBefore(1)
                .actorsAfter(1);
    }

    static StressOptions stress() {
        return new StressOptions()
                .iterations(THOROUGH ? 100 : 12)
                .invocationsPerIteration(THOROUGH ? 5_000 : 1_000)
                .threads(THOROUGH ? 3 : 2)
                .actorsPerThread(3)
                .actorsBefore(1)
                .actorsAfter(1);
    }

    /**
     * Model checking with more room to find a seeded bug: these runs must fail, and they stop at the
     * first failure, so they cost little when the checker works.
     */
    static ModelCheckingOptions modelCheckingForSeededBug() {
        return new ModelCheckingOptions()
                .iterations(50)
                .invocationsPerIteration(2_000)
                .threads(2)
                .actorsPerThread(3)
                .minimizeFailedScenario(false);
    }

    /** Asserts that the checker rejects {@code brokenScenario}: it can see the bug it is there for. */
    static void assertCatches(Options<?, ?> options, Class<?> brokenScenario, String symptomRegex) {
        assertThatThrownBy(() -> options.check(brokenScenario))
                .isInstanceOf(LincheckAssertionError.class)
                .hasMessageFindingMatch(symptomRegex);
    }

    /** What Lincheck reports when results admit no sequential explanation. */
    static final String INVALID_RESULTS = "Invalid execution results";
}
