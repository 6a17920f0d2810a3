// The entry point of the libFuzzer build of ecr-fuzz (see entry.c). Nothing to import from Swift.
