// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the vibevmm command line (vmm/cli.c).
 *
 * The input is split at NUL bytes into argv[1..] (argv[0] "vibevmm").
 * Checks: an error is one non-empty line; an accepted command line gives a
 * config inside the documented limits (kernel set, --mem within
 * [VMM_MIN_MEM, VMM_MAX_MEM], 1..VMM_MAX_CPUS CPUs, log 0..4, distinct
 * normalized BDFs, an IRQ path only with a device); each normalized BDF
 * parses again to itself; parsing is deterministic.  Each argument is also
 * fed to cli_parse_size and cli_parse_bdf.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "vmm/cli.h"

#define MAX_ARGS 64

static void check_one_line(const char *err, size_t len)
{
	size_t n = strnlen(err, len);

	FUZZ_CHECK(n > 0 && n < len && !strchr(err, '\n'), "error is not one line: '%s'", err);
}

/*
 * A BDF as sysfs names it: a domain of 4 to 8 hex digits, then "bb:dd.f";
 * it parses to itself.
 */
static bool bdf_normalized(const char *b)
{
	size_t n = strlen(b);
	char again[VMM_BDF_LEN];

	return n >= 12 && n <= 16 && b[n - 8] == ':' && b[n - 5] == ':' &&
	       b[n - 2] == '.' && !cli_parse_bdf(b, again) && !strcmp(again, b);
}

static void check_config(const struct vmm_config *c)
{
	int i, j;

	FUZZ_CHECK(c->kernel && *c->kernel, "accepted without a kernel");
	FUZZ_CHECK(c->mem >= VMM_MIN_MEM && c->mem <= VMM_MAX_MEM, "--mem %llu accepted",
		   (unsigned long long)c->mem);
	FUZZ_CHECK(c->cpus >= 1 && c->cpus <= VMM_MAX_CPUS, "%d CPUs accepted", c->cpus);
	FUZZ_CHECK(c->log >= 0 && c->log <= 4, "log level %d accepted", c->log);
	FUZZ_CHECK(c->nr_vfio >= 0 && c->nr_vfio <= VMM_MAX_VFIO, "%d devices", c->nr_vfio);
	FUZZ_CHECK(c->irq_path == IRQ_PATH_AUTO || c->nr_vfio, "IRQ path without a device");
	for (i = 0; i < c->nr_vfio; i++) {
		FUZZ_CHECK(c->vfio[i] == c->vfio_bdf[i], "vfio[%d] not its storage", i);
		FUZZ_CHECK(bdf_normalized(c->vfio[i]), "BDF '%s' not normalized", c->vfio[i]);
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(c->vfio[i], c->vfio[j]), "BDF %s twice", c->vfio[i]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *argv[MAX_ARGS + 2], err[256], err2[256], bdf[VMM_BDF_LEN];
	struct vmm_config *cfg, *cfg2;
	int argc = 1, r, r2, i;
	size_t pos = 0;
	uint64_t bytes;
	FILE *out;

	buf = malloc(size + 1);
	cfg = malloc(sizeof(*cfg));
	cfg2 = malloc(sizeof(*cfg2));
	out = fopen("/dev/null", "w");
	if (!buf || !cfg || !cfg2 || !out)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = "vibevmm";
	while (pos < size && argc <= MAX_ARGS) {
		argv[argc++] = buf + pos;
		pos += strlen(buf + pos) + 1;
	}
	argv[argc] = NULL;

	for (i = 1; i < argc; i++) {
		if (!cli_parse_size(argv[i], &bytes))
			FUZZ_CHECK(bytes || !strtoull(argv[i], NULL, 10),
				   "size '%s' parsed to 0", argv[i]);
		if (!cli_parse_bdf(argv[i], bdf))
			FUZZ_CHECK(bdf_normalized(bdf), "BDF '%s' gave '%s'", argv[i], bdf);
	}
	r = cli_parse(argc, argv, cfg, out, err, sizeof(err));
	r2 = cli_parse(argc, argv, cfg2, out, err2, sizeof(err2));
	FUZZ_CHECK(r == r2, "cli_parse not deterministic");
	if (r == CLI_ERROR) {
		check_one_line(err, sizeof(err));
		FUZZ_CHECK(!strcmp(err, err2), "different errors for one command line");
	} else if (r == CLI_RUN) {
		check_config(cfg);
		FUZZ_CHECK(!memcmp(cfg->vfio_bdf, cfg2->vfio_bdf, sizeof(cfg->vfio_bdf)) &&
			   cfg->mem == cfg2->mem && cfg->cpus == cfg2->cpus,
			   "cli_parse not deterministic");
	} else {
		FUZZ_CHECK(r == CLI_EXIT_OK, "cli_parse returned %d", r);
	}
	fclose(out);
	free(cfg2);
	free(cfg);
	free(buf);
	return 0;
}
