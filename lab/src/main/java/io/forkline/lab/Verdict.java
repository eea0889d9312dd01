package io.forkline.lab;

/** What the measurement here says of a seed's claim. */
public enum Verdict {
    HOLDS("holds"),
    DOES_NOT_HOLD("does not hold here"),
    NOT_APPLICABLE("not applicable here");

    private final String words;

    Verdict(String words) {
        this.words = words;
    }

    /** @return the verdict as the tables and the report print it */
    public String words() {
        return words;
    }
}
