#ifndef CMALLOC_SHIM_H
#define CMALLOC_SHIM_H
// glibc's allocator tuning (mallopt); nothing to link.
#include <malloc.h>
#endif
