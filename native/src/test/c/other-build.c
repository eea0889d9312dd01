/*
 * other-build.c: stands in for a libforkline.so from another build of forkline, whose structs
 * and functions no longer match this build's Java bindings. It reports another FL_ABI_VERSION
 * through fl_layout and leaves every other function to this build's library, which it links
 * (DT_NEEDED by path, kept with --no-as-needed), so that the Java side finds all its symbols and gets as far as the layout
 * check: OtherBuildTest loads it and expects the layout-mismatch error.
 */
#include <stdint.h>

__attribute__((visibility("default"))) int64_t fl_layout(int32_t item);

int64_t fl_layout(int32_t item)
{
    return item == 0 ? 5 : -1; /* this build's ABI is 6 */
}
