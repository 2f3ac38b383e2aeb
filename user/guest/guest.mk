# SPDX-License-Identifier: GPL-2.0
#
# The bench guest payload: a bzImage-format 64-bit program (no Linux) that
# vibevmm boots with --kernel.  Included by user/Makefile; output in
# $(BUILD)/user/guest/bench-guest.bzImage.

GUEST_DIR    := guest
GUEST_B      := $(B)/guest
GUEST_IMG    := $(GUEST_B)/bench-guest.bzImage
GUEST_SRCS   := $(wildcard $(GUEST_DIR)/*.c) $(GUEST_DIR)/head.S
GUEST_OBJS   := $(patsubst $(GUEST_DIR)/%,$(GUEST_B)/%.o,$(GUEST_SRCS))
GUEST_CFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-pie -fno-pic -fno-stack-protector \
		-fno-asynchronous-unwind-tables -mno-red-zone -mgeneral-regs-only \
		-mcmodel=small $(WARN) -MMD -MP
GUEST_LDFLAGS := -nostdlib -static -no-pie -T $(GUEST_DIR)/guest.lds \
		-Wl,--build-id=none -Wl,-z,max-page-size=4096 -Wl,--no-warn-rwx-segments

all: $(GUEST_IMG)

$(GUEST_B)/%.c.o: $(GUEST_DIR)/%.c
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) -c -o $@ $<

$(GUEST_B)/%.S.o: $(GUEST_DIR)/%.S
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) -c -o $@ $<

$(GUEST_B)/bench-guest.elf: $(GUEST_OBJS) $(GUEST_DIR)/guest.lds
	$(CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -o $@ $(GUEST_OBJS)

$(GUEST_IMG): $(GUEST_B)/bench-guest.elf
	objcopy -O binary $< $@
