/* Declarations every other cdef file may use; "_common.h" sorts first in name order, and the
 * files are concatenated in that order. kpu_status_t's size is left to the C compiler. */
typedef int... kpu_status_t;
typedef struct kpu_diag kpu_diag_t;
typedef struct kpu_allocator kpu_allocator_t;
