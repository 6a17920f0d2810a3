// SwiftPM links executables with `--defsym main=ecr_fuzz_main`. Built for fuzzing (`-parse-as-library`,
// see hack/fuzz.sh), the Swift module emits no entry point, so this weak `ecr_fuzz_main` runs libFuzzer's
// driver on `LLVMFuzzerTestOneInput` (defined in main.swift). In a normal build the Swift module's own
// entry point is the strong definition and wins, and `LLVMFuzzerRunDriver` stays an unresolved weak
// reference (hack/fuzz.sh links the fuzzer library and forces it in with `-u LLVMFuzzerRunDriver`).
#include <stddef.h>
#include <stdint.h>
#include "CFuzzEntry.h"

extern int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size))
    __attribute__((weak));
extern int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

__attribute__((weak)) int ecr_fuzz_main(int argc, char **argv) {
    if (!LLVMFuzzerRunDriver) return 2;
    return LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput);
}
