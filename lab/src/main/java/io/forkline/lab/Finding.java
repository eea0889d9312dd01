package io.forkline.lab;

import java.util.Objects;

/**
 * A verdict line: one claim of a seed, the number the seed gives, the number measured here, and
 * what follows, with the reason.
 *
 * @param claim the claim in a few words
 * @param seedNumber the seed's number, as the seed states it ("100 ms -> 20 ms")
 * @param measured the number measured here, in the same terms
 * @param verdict what follows for this host
 * @param reason why, in a few words ("2 cores: 50 children already saturate the CPUs")
 */
public record Finding(String claim, String seedNumber, String measured, Verdict verdict, String reason) {
    public Finding {
        Objects.requireNonNull(claim, "claim");
        Objects.requireNonNull(seedNumber, "seedNumber");
        Objects.requireNonNull(measured, "measured");
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(reason, "reason");
    }

    /** @return the line the tables end with */
    public String line() {
        return claim + ": seed " + seedNumber + ", here " + measured + ": " + verdict.words() + " (" + reason + ")";
    }
}
