/* K210 entry: hart 0 runs MicroPython, hart 1 parks. Enables the FPU (the core and MicroPython
 * use float), sets gp/sp and the thread pointer (picolibc keeps errno in TLS), clears .bss. */
    .section .text.start, "ax"
    .globl _start
_start:
    csrr    t0, mhartid
    bnez    t0, park
    li      t0, (1 << 13)           /* mstatus.FS = initial */
    csrs    mstatus, t0
    fscsr   zero
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    la      sp, __stack_top
    la      tp, __tdata_start
    la      t0, __tbss_start
    la      t1, __tbss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:  la      t0, __bss_start
    la      t1, __bss_end
3:  bgeu    t0, t1, 4f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       3b
4:  call    main
park:
    wfi
    j       park
