/* Internal: how much memory a problem may plan on. */
#ifndef QPSIM_BASE_MEM_H
#define QPSIM_BASE_MEM_H

#include <stddef.h>

/* Three quarters of the machine's physical memory in bytes (1 GiB when it cannot be read): the
 * budget a solve is refused above, from its estimate, before anything large is allocated. */
size_t qp_mem_budget(void);

#endif
