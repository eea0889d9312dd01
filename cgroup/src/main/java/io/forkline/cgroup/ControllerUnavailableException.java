package io.forkline.cgroup;

/**
 * A limit's controller cannot be driven under this root, and the limit was not optional. Raised
 * before any group is created or any file written; the message names the controller and why
 * (not enabled in cgroup.subtree_control, not mounted, off-limits on v1).
 */
public final class ControllerUnavailableException extends CgroupException {
    private static final long serialVersionUID = 1L;

    private final Controller controller;
    private final String limit;

    ControllerUnavailableException(Controller controller, String limit, String reason) {
        super("cannot apply " + limit + ": the " + controller.kernelName() + " controller is unavailable: " + reason, null);
        this.controller = controller;
        this.limit = limit;
    }

    /** @return the controller */
    public Controller controller() {
        return controller;
    }

    /** @return the limit that needed it, such as {@code memory.max} */
    public String limit() {
        return limit;
    }
}
