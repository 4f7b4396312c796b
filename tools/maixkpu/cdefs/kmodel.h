/* cffi declarations of modules/kpu/core/kmodel.h. Files are concatenated in name order and this
 * one comes first, so types from the other headers are forward-declared here. */
typedef int... kpu_status_t;
typedef struct kpu_diag kpu_diag_t;
typedef struct kpu_allocator kpu_allocator_t;
typedef struct kpu_backend kpu_backend_t;
