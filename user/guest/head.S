/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bench guest: bzImage setup header and the 64-bit entry point.
 *
 * The file is laid out like a Linux bzImage (Documentation/arch/x86/boot.rst):
 * one boot sector plus one setup sector (setup_sects = 1) holding the setup
 * header at 0x1f1, then the protected-mode part, which a boot loader copies
 * to 0x100000 and enters in 64-bit mode at +0x200 with %rsi pointing to
 * boot_params.  guest.lds places .header just below 0x100000 so that
 * `objcopy -O binary` yields exactly that file.
 */

	.section .header, "a"
	.org	0x1f1
	.byte	1			/* setup_sects */
	.word	0			/* root_flags */
	.long	_syssize		/* protected-mode size / 16 */
	.word	0			/* ram_size */
	.word	0xffff			/* vid_mode: normal */
	.word	0			/* root_dev */
	.word	0xaa55			/* boot_flag */
jump:	.byte	0xeb, hdr_end - jump - 2
	.ascii	"HdrS"			/* 0x202 header */
	.word	0x020c			/* 0x206 version 2.12 */
	.long	0			/* realmode_swtch */
	.word	0			/* start_sys_seg */
	.word	0			/* kernel_version */
	.byte	0			/* type_of_loader */
	.byte	0x01			/* 0x211 loadflags: LOADED_HIGH */
	.word	0			/* setup_move_size */
	.long	0x100000		/* 0x214 code32_start */
	.long	0, 0			/* ramdisk_image, ramdisk_size */
	.long	0			/* bootsect_kludge */
	.word	0			/* heap_end_ptr */
	.byte	0, 0			/* ext_loader_ver, ext_loader_type */
	.long	0			/* 0x228 cmd_line_ptr */
	.long	0x7fffffff		/* initrd_addr_max */
	.long	0x200000		/* 0x230 kernel_alignment */
	.byte	0			/* relocatable_kernel: no */
	.byte	21			/* min_alignment: 2 MiB */
	.word	0x0001			/* 0x236 xloadflags: XLF_KERNEL_64 */
	.long	255			/* cmdline_size */
	.long	0			/* hardware_subarch */
	.quad	0			/* hardware_subarch_data */
	.long	0, 0			/* payload_offset, payload_length */
	.quad	0			/* setup_data */
	.quad	0x100000		/* 0x258 pref_address */
	.long	_init_size		/* 0x260 init_size: image + bss */
	.long	0			/* handover_offset */
hdr_end:
	.org	0x400			/* end of the setup sectors */

	.section .text.head, "ax"
	.code64
	.globl	startup_32
startup_32:				/* 0x100000: 32-bit entry, not supported */
	cli
	hlt
	jmp	startup_32

	.org	0x200
	.globl	startup_64
startup_64:				/* 0x100200: 64-bit entry */
	cli
	cld
	movq	%rsi, %r12		/* boot_params */
	leaq	_bss(%rip), %rdi
	leaq	_ebss(%rip), %rcx
	subq	%rdi, %rcx
	xorl	%eax, %eax
	rep stosb
	leaq	stack_top(%rip), %rsp
	lgdt	gdt_desc(%rip)
	movl	$0x10, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	pushq	$0x08
	leaq	1f(%rip), %rax
	pushq	%rax
	lretq
1:	movq	%r12, %rdi
	call	guest_main
2:	hlt
	jmp	2b

	.section .rodata
	.balign	8
gdt:	.quad	0			/* null */
	.quad	0x00af9b000000ffff	/* 0x08: 64-bit code */
	.quad	0x00cf93000000ffff	/* 0x10: data */
gdt_end:
gdt_desc:
	.word	gdt_end - gdt - 1
	.quad	gdt

	.section .bss
	.balign	16
	.space	16384
stack_top:

	.section .note.GNU-stack, "", @progbits
