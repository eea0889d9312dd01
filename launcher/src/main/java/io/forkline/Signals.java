package io.forkline;

/** Linux signal numbers, for {@link Child#signal(int)} and {@link Command#parentDeathSignal(int)}. */
public final class Signals {
    /** SIGHUP. */
    public static final int HUP = 1;
    /** SIGINT. */
    public static final int INT = 2;
    /** SIGQUIT. */
    public static final int QUIT = 3;
    /** SIGABRT. */
    public static final int ABRT = 6;
    /** SIGKILL. */
    public static final int KILL = 9;
    /** SIGUSR1. */
    public static final int USR1 = 10;
    /** SIGSEGV. */
    public static final int SEGV = 11;
    /** SIGUSR2. */
    public static final int USR2 = 12;
    /** SIGPIPE. */
    public static final int PIPE = 13;
    /** SIGTERM. */
    public static final int TERM = 15;
    /** SIGCONT. */
    public static final int CONT = 18;
    /** SIGSTOP. */
    public static final int STOP = 19;

    private Signals() {}
}
