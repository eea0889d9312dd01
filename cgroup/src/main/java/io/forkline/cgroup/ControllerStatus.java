package io.forkline.cgroup;

import java.nio.file.Path;

/**
 * Whether a controller can be driven under a {@link CgroupRoot}, and where.
 *
 * @param controller the controller
 * @param hierarchy where its limits go, or {@code null} when it is unavailable
 * @param directory the root's directory in that hierarchy, or {@code null} when unavailable
 * @param reason why it is unavailable, or how it was found; never {@code null}
 */
public record ControllerStatus(Controller controller, Hierarchy hierarchy, Path directory, String reason) {
    /** @return whether limits of this controller can be applied */
    public boolean available() {
        return hierarchy != null;
    }

    @Override
    public String toString() {
        return controller.kernelName() + ": " + (available() ? hierarchy + " at " + directory : "unavailable") + " (" + reason + ")";
    }
}
