package io.forkline.sys.shim;

/** Run in a child JVM by {@link OtherBuildTest}: loads the library the classpath offers and says how that went. */
final class LoadProbe {
    private LoadProbe() {}

    public static void main(String[] args) {
        try {
            System.out.println("loaded, clone3 usable: " + Shim.clone3Usable());
        } catch (Throwable t) {
            for (Throwable cause = t; cause != null; cause = cause.getCause()) {
                System.out.println(cause.getClass().getName() + ": " + cause.getMessage());
            }
            System.exit(3);
        }
    }
}
