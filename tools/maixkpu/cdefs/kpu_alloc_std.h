/* cffi declarations of modules/kpu/core/kpu_alloc_std.h (host-only malloc allocator). */
typedef struct kpu_allocator kpu_allocator_t;
typedef struct kpu_alloc_std_stats {
    size_t in_use;
    size_t peak;
    size_t allocs;
    size_t frees;
    size_t failures;
    size_t limit;
} kpu_alloc_std_stats_t;

kpu_allocator_t kpu_alloc_std(void);
const kpu_allocator_t *kpu_alloc_std_shared(void);
kpu_allocator_t kpu_alloc_std_counting(kpu_alloc_std_stats_t *stats);
