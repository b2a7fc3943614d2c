/* The memory budget of a solve: three quarters of physical memory. */
#include "base/mem.h"

#include <stdint.h>
#include <unistd.h>

size_t qp_mem_budget(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
    if (pages <= 0 || size <= 0) {
        return (size_t)1 << 30;
    }
    double bytes = 0.75 * (double)pages * (double)size;
    return bytes >= (double)SIZE_MAX ? SIZE_MAX : (size_t)bytes;
}
