// libFuzzer's driver, called from each target's main.swift.
//
// SwiftPM gives every executable a `main` of its own (the module's entry point, aliased to
// `main` at link time), which shadows the `main` that -sanitize=fuzzer links in, so the
// executable would start, do nothing and exit 0. Each target therefore runs libFuzzer itself
// through this entry point, which libFuzzer exports for exactly that purpose.
#ifndef FUZZ_DRIVER_H
#define FUZZ_DRIVER_H
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
