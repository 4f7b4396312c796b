/* Bare-metal entry for QEMU's RISC-V "virt" machine (hart 0 only): enable the FPU, set the
 * stack, clear .bss, run main, and report its status through the SiFive test device. */
    .section .text.start, "ax"
    .globl _start
_start:
    csrr    t0, mhartid
    bnez    t0, park                /* only hart 0 runs the test */
    li      t0, (1 << 13)           /* mstatus.FS = initial: the core uses float layers */
    csrs    mstatus, t0
    fscsr   zero
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    la      sp, __stack_top
    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:  call    main
    call    qemu_exit
park:
    wfi
    j       park
