/* Hot integer kernels, compiled for more than one instruction set where the toolchain can pick
 * the best at load time: on x86-64 Linux (GCC 6+, clang 14+) KPU_KERNEL makes an AVX2 and a
 * baseline clone of a function and the dynamic loader chooses one for the CPU (an ifunc).
 * Elsewhere it only keeps the function out of line. The kernels are integer code, so every
 * clone gives the same results. */
#ifndef KPU_SIMD_H
#define KPU_SIMD_H

#if defined(__GNUC__)
#define KPU_NOINLINE __attribute__((noinline))
#else
#define KPU_NOINLINE
#endif

#define KPU_KERNEL KPU_NOINLINE
#if defined(__x86_64__) && defined(__linux__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#undef KPU_KERNEL
#if defined(__clang__) /* rejects noinline next to it; clones are never inlined anyway */
#define KPU_KERNEL __attribute__((target_clones("avx2", "default")))
#else
#define KPU_KERNEL __attribute__((noinline, target_clones("avx2", "default")))
#endif
#endif
#endif

#endif
