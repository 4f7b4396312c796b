/* cffi declarations of modules/kpu/core/kpu_alloc.h. */
typedef struct kpu_allocator {
    void *(*alloc)(void *ctx, size_t size, size_t align);
    void (*free)(void *ctx, void *ptr);
    void *ctx;
} kpu_allocator_t;
