package io.forkline.cgroup;

/** Group names are single path components, so that a name can never walk out of its parent. */
final class Names {
    private Names() {}

    static void check(String name) {
        if (name == null || name.isEmpty()) throw new IllegalArgumentException("a cgroup name must not be empty");
        if (name.equals(".") || name.equals("..")) throw new IllegalArgumentException("a cgroup name must not be \"" + name + "\"");
        if (name.indexOf('/') >= 0) throw new IllegalArgumentException("a cgroup name must not contain '/': \"" + name + "\"");
        if (name.indexOf('\0') >= 0) throw new IllegalArgumentException("a cgroup name must not contain NUL");
        if (name.length() > 255) throw new IllegalArgumentException("a cgroup name is at most 255 characters: " + name.length());
    }
}
