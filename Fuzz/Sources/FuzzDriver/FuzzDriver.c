// Empty: the target exists for its header (LLVMFuzzerRunDriver comes from libFuzzer).
#include "FuzzDriver.h"
