package io.forkline.sys.ffm;

/**
 * A child that the shim started.
 *
 * @param pid its pid
 * @param pidfd a close-on-exec pidfd that the caller now owns
 * @param usedFallback whether posix_spawn was used because clone3 was refused
 */
public record Spawned(int pid, int pidfd, boolean usedFallback) {}
