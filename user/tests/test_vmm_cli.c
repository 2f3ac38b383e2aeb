// SPDX-License-Identifier: GPL-2.0
/* vibevmm command line parsing: good input and every error message. */
#include <stdio.h>
#include <string.h>

/* the harness defines non-static helpers without prototypes */
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#include "kselftest_harness.h"
#include "libvfpost.h"
#include "vmm/cli.h"

#define ARGV(...) ((char *[]){ "vibevmm", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "vibevmm", __VA_ARGS__ }) / sizeof(char *)))

static int parse(struct vmm_config *cfg, char *err, int argc, char **argv)
{
	FILE *out = fopen("/dev/null", "w");
	int ret = cli_parse(argc, argv, cfg, out, err, 512);

	fclose(out);
	return ret;
}

#define PARSE(cfg, err, ...) parse(cfg, err, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

TEST(defaults)
{
	struct vmm_config cfg;
	char err[512];

	ASSERT_EQ(CLI_RUN, PARSE(&cfg, err, "--kernel", "/boot/vmlinuz"));
	EXPECT_STREQ("/boot/vmlinuz", cfg.kernel);
	EXPECT_EQ(NULL, cfg.initrd);
	EXPECT_EQ(512ULL << 20, cfg.mem);
	EXPECT_EQ(1, cfg.cpus);
	EXPECT_EQ(0, cfg.nr_vfio);
	EXPECT_FALSE(cfg.console);
	EXPECT_EQ(2, cfg.log);
	EXPECT_EQ((int)IRQ_PATH_AUTO, (int)cfg.irq_path);
	EXPECT_EQ((int)VFIO_BACKEND_AUTO, (int)cfg.vfio_backend);
	EXPECT_FALSE(cfg.no_seccomp);
	EXPECT_EQ((int)KERNEL_UNPACK_VMM, (int)cfg.kernel_unpack);
}

TEST(kernel_unpack)
{
	struct vmm_config cfg;
	char err[512];

	ASSERT_EQ(CLI_RUN, PARSE(&cfg, err, "--kernel", "k", "--kernel-unpack", "guest"));
	EXPECT_EQ((int)KERNEL_UNPACK_GUEST, (int)cfg.kernel_unpack);
	ASSERT_EQ(CLI_RUN, PARSE(&cfg, err, "--kernel-unpack=vmm", "--kernel", "k"));
	EXPECT_EQ((int)KERNEL_UNPACK_VMM, (int)cfg.kernel_unpack);
}

TEST(kernel_cache)
{
	struct vmm_config cfg;
	char err[512];

	ASSERT_EQ(CLI_RUN, PARSE(&cfg, err, "--kernel", "k"));
	EXPECT_EQ(NULL, cfg.kernel_cache);		/* the default directory */
	EXPECT_FALSE(cfg.no_kernel_cache);
	ASSERT_EQ(CLI_RUN, PARSE(&cfg, err, "--kernel", "k", "--kernel-cache", "/c"));
	EXPECT_STREQ("/c", cfg.kernel_cache);
	EXPECT_FALSE(cfg.no_kernel_cache);
	ASSERT_EQ(CLI_RUN, PARSE(&cfg, err, "--kernel", "k", "--kernel-cache=off"));
	EXPECT_EQ(NULL, cfg.kernel_cache);
	EXPECT_TRUE(cfg.no_kernel_cache);
	ASSERT_EQ(CLI_ERROR, PARSE(&cfg, err, "--kernel", "k", "--kernel-cache="));
	EXPECT_STREQ("--kernel-cache: empty path; give a directory or off", err);
}

TEST(eject_timeout)
{
	struct vmm_config cfg;
	char err[512];

	ASSERT_EQ(CLI_RUN, PARSE(&cfg, err, "--kernel", "k"));
	EXPECT_EQ((unsigned int)VMM_EJECT_MS, cfg.eject_ms);
	ASSERT_EQ(CLI_RUN, PARSE(&cfg, err, "--kernel", "k", "--eject-timeout", "0"));
	EXPECT_EQ(0u, cfg.eject_ms);
	ASSERT_EQ(CLI_RUN, PARSE(&cfg, err, "--eject-timeout=600000", "--kernel", "k"));
	EXPECT_EQ(600000u, cfg.eject_ms);
}

TEST(vfio_backend)
{
	static char *names[] = { "auto", "container", "iommufd" };
	struct vmm_config cfg;
	char err[512];
	int i;

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(CLI_RUN, PARSE(&cfg, err, "--kernel", "k", "--vfio", "00:03.1",
					 "--vfio-backend", names[i]));
		EXPECT_EQ(i, (int)cfg.vfio_backend);
		EXPECT_STREQ(names[i], vfio_backend_name(cfg.vfio_backend));
	}
}

TEST(no_seccomp_and_page_multiples)
{
	struct vmm_config cfg;
	char err[512];

	ASSERT_EQ(CLI_RUN, PARSE(&cfg, err, "--kernel", "k", "--no-seccomp", "--mem", "100004K"));
	EXPECT_TRUE(cfg.no_seccomp);
	EXPECT_EQ(100004ULL << 10, cfg.mem);
}

TEST(seed_command_line)
{
	struct vmm_config cfg;
	char err[512];

	ASSERT_EQ(CLI_RUN, PARSE(&cfg, err, "--kernel", "vmlinuz", "--initrd", "initrd",
				 "--mem", "2G", "--cpus", "2", "--vfio", "0000:01:00.1",
				 "--vfio", "01:00.2", "--console", "--log", "4",
				 "--cmdline=quiet loglevel=3", "--irq-path", "relay"));
	EXPECT_STREQ("initrd", cfg.initrd);
	EXPECT_EQ(2ULL << 30, cfg.mem);
	EXPECT_EQ(2, cfg.cpus);
	ASSERT_EQ(2, cfg.nr_vfio);
	EXPECT_STREQ("0000:01:00.1", cfg.vfio[0]);
	EXPECT_STREQ("0000:01:00.2", cfg.vfio[1]);
	EXPECT_TRUE(cfg.console);
	EXPECT_EQ(4, cfg.log);
	EXPECT_STREQ("quiet loglevel=3", cfg.cmdline);
	EXPECT_EQ((int)IRQ_PATH_RELAY, (int)cfg.irq_path);
}

TEST(sizes)
{
	uint64_t b;

	ASSERT_EQ(0, cli_parse_size("2G", &b));
	EXPECT_EQ(2ULL << 30, b);
	ASSERT_EQ(0, cli_parse_size("512m", &b));
	EXPECT_EQ(512ULL << 20, b);
	ASSERT_EQ(0, cli_parse_size("65536K", &b));
	EXPECT_EQ(64ULL << 20, b);
	ASSERT_EQ(0, cli_parse_size("1GiB", &b));
	EXPECT_EQ(1ULL << 30, b);
	ASSERT_EQ(0, cli_parse_size("134217728", &b));
	EXPECT_EQ(128ULL << 20, b);
	EXPECT_EQ(-1, cli_parse_size("", &b));
	EXPECT_EQ(-1, cli_parse_size("G", &b));
	EXPECT_EQ(-1, cli_parse_size("-1G", &b));
	EXPECT_EQ(-1, cli_parse_size("2T", &b));
	EXPECT_EQ(-1, cli_parse_size("2GX", &b));
	EXPECT_EQ(-1, cli_parse_size("99999999999999999999", &b));
	EXPECT_EQ(-1, cli_parse_size("17179869184G", &b));
}

TEST(bdf)
{
	char out[VMM_BDF_LEN];

	ASSERT_EQ(0, cli_parse_bdf("0000:00:03.1", out));
	EXPECT_STREQ("0000:00:03.1", out);
	ASSERT_EQ(0, cli_parse_bdf("00:1f.7", out));
	EXPECT_STREQ("0000:00:1f.7", out);
	ASSERT_EQ(0, cli_parse_bdf("ABCD:Ff:1F.0", out));
	EXPECT_STREQ("abcd:ff:1f.0", out);
	EXPECT_EQ(-1, cli_parse_bdf("", out));
	EXPECT_EQ(-1, cli_parse_bdf("0000:00:03", out));
	EXPECT_EQ(-1, cli_parse_bdf("0000:00:20.0", out));	/* device > 31 */
	EXPECT_EQ(-1, cli_parse_bdf("0000:00:03.8", out));	/* function > 7 */
	EXPECT_EQ(-1, cli_parse_bdf("0000:0:03.1", out));
	EXPECT_EQ(-1, cli_parse_bdf("000:00:03.1", out));
	EXPECT_EQ(-1, cli_parse_bdf("0000:00:03.1.2", out));
	EXPECT_EQ(-1, cli_parse_bdf("0000:00:0g.1", out));
	EXPECT_EQ(-1, cli_parse_bdf("1:0000:00:03.1", out));
	EXPECT_EQ(-1, cli_parse_bdf("0000:00.03:1", out));
}

/* vibevmm takes every address vfpostctl takes (libvfpost's parser), no more. */
TEST(bdf_as_vfpostctl)
{
	static const char *const in[] = {
		"0000:00:03.1", "00:03.1", "1234abcd:00:03.1", "ffffffff:ff:1f.7",
		"12345:00:03.1", "abcdef:01:00.0", "0001abcd:00:03.1",
		"123456789:00:03.1", "1234abcd:00:03.8", "1234abcd:00:03", "",
	};
	char ours[VMM_BDF_LEN], lib[VFPOST_BDF_LEN];
	unsigned int i;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		int r = cli_parse_bdf(in[i], ours);

		EXPECT_EQ(vfpost_parse_bdf(in[i], lib) ? -1 : 0, r) {
			TH_LOG("'%s'", in[i]);
		}
		if (!r)
			EXPECT_STREQ(lib, ours);
	}
	ASSERT_EQ(0, cli_parse_bdf("1234ABCD:00:03.1", ours));
	EXPECT_STREQ("1234abcd:00:03.1", ours);
}

TEST(vfio_eight_digit_domain)
{
	char *argv[] = { "vibevmm", "--kernel", "k", "--vfio", "1234abcd:00:03.1",
			 "--vfio", "ffffffff:ff:1f.7", NULL };
	struct vmm_config cfg;
	char err[256];

	ASSERT_EQ(CLI_RUN, cli_parse(7, argv, &cfg, stdout, err, sizeof(err))) {
		TH_LOG("%s", err);
	}
	ASSERT_EQ(2, cfg.nr_vfio);
	EXPECT_STREQ("1234abcd:00:03.1", cfg.vfio[0]);
	EXPECT_STREQ("ffffffff:ff:1f.7", cfg.vfio[1]);
}

TEST(vfio_device_options)
{
	char *argv[] = { "vibevmm", "--kernel", "k", "--vfio", "0000:00:03.1,rom=off",
			 "--vfio=00:04.0", "--vfio", "00:05.0,rom=off,rom=on", NULL };
	struct vmm_config cfg;
	char err[256];

	ASSERT_EQ(CLI_RUN, cli_parse(8, argv, &cfg, stdout, err, sizeof(err))) {
		TH_LOG("%s", err);
	}
	ASSERT_EQ(3, cfg.nr_vfio);
	EXPECT_STREQ("0000:00:03.1", cfg.vfio[0]);
	EXPECT_TRUE(cfg.vfio_opts[0].rom_off);
	EXPECT_STREQ("0000:00:04.0", cfg.vfio[1]);
	EXPECT_FALSE(cfg.vfio_opts[1].rom_off);
	EXPECT_FALSE(cfg.vfio_opts[2].rom_off);	/* the last one wins */
}

TEST(help_and_version)
{
	struct vmm_config cfg;
	char err[512];

	EXPECT_EQ(CLI_EXIT_OK, PARSE(&cfg, err, "--help"));
	EXPECT_EQ(CLI_EXIT_OK, PARSE(&cfg, err, "-h"));
	EXPECT_EQ(CLI_EXIT_OK, PARSE(&cfg, err, "--version"));
	EXPECT_EQ(CLI_EXIT_OK, PARSE(&cfg, err, "-V"));
	/* help wins when it comes before a bad option */
	EXPECT_EQ(CLI_EXIT_OK, PARSE(&cfg, err, "--help", "--bogus"));
}

struct bad_case {
	const char *args[4];
	const char *msg;
};

static const struct bad_case bad_cases[] = {
	{ { "--bogus" }, "unknown option '--bogus'; see 'vibevmm --help'" },
	{ { "-x" }, "unknown option '-x'; see 'vibevmm --help'" },
	{ { "vmlinuz" }, "unexpected argument 'vmlinuz'; options start with '--', see 'vibevmm --help'" },
	{ { "--kernel" }, "option '--kernel' needs a value; see 'vibevmm --help'" },
	{ { "--kernel", "" }, "--kernel: empty path; give a bzImage such as /boot/vmlinuz-$(uname -r)" },
	{ { "--console=yes", "--kernel", "k" }, "option '--console' takes no value; remove '=yes'" },
	{ { "--mem", "lots", "--kernel", "k" }, "--mem 'lots': not a size; give a number with an optional K, M or G suffix, e.g. --mem 2G" },
	{ { "--mem", "1M", "--kernel", "k" }, "--mem '1M': too small; give at least 32M" },
	{ { "--mem", "1024G", "--kernel", "k" }, "--mem '1024G': more than vibevmm supports; give at most 512G" },
	{ { "--cpus", "0", "--kernel", "k" }, "--cpus '0': not a CPU count; give a number from 1 to 64" },
	{ { "--cpus", "65", "--kernel", "k" }, "--cpus '65': not a CPU count; give a number from 1 to 64" },
	{ { "--cpus", "two", "--kernel", "k" }, "--cpus 'two': not a CPU count; give a number from 1 to 64" },
	{ { "--vfio", "00:03", "--kernel", "k" }, "--vfio '00:03': not a PCI address; use DDDD:BB:DD.F, e.g. --vfio 0000:00:03.1" },
	{ { "--vfio", "00:03.1", "--vfio", "0000:00:03.1" }, "--vfio 0000:00:03.1: given twice; pass each device once" },
	{ { "--vfio", "00:03.1,rom=no", "--kernel", "k" }, "--vfio 0000:00:03.1: unknown device option 'rom=no'; use rom=on or rom=off" },
	{ { "--vfio", "00:03.1,", "--kernel", "k" }, "--vfio 0000:00:03.1: unknown device option ''; use rom=on or rom=off" },
	{ { "--vfio", "00:3.1,rom=off", "--kernel", "k" }, "--vfio '00:3.1': not a PCI address; use DDDD:BB:DD.F, e.g. --vfio 0000:00:03.1" },
	{ { "--vfio", "0000:00:03.1,rom=off", "--vfio", "00:03.1" }, "--vfio 0000:00:03.1: given twice; pass each device once" },
	{ { "--log", "5", "--kernel", "k" }, "--log '5': not a log level; give 0 (errors) to 4 (debug)" },
	{ { "--irq-path", "fast", "--kernel", "k" }, "--irq-path 'fast': unknown path; use vfpost, vfio or relay" },
	{ { "--irq-path", "vfio", "--kernel", "k" }, "--irq-path vfio: no --vfio device to apply it to; add --vfio BDF or drop --irq-path" },
	{ { "--vfio-backend", "legacy", "--kernel", "k" }, "--vfio-backend 'legacy': unknown backend; use auto, container or iommufd" },
	{ { "--vfio-backend", "iommufd", "--kernel", "k" }, "--vfio-backend iommufd: no --vfio device to apply it to; add --vfio BDF or drop --vfio-backend" },
	{ { "--kernel-unpack", "host", "--kernel", "k" }, "--kernel-unpack 'host': unknown place; use vmm or guest" },
	{ { "--eject-timeout", "600001", "--kernel", "k" }, "--eject-timeout '600001': not a time; give milliseconds from 0 to 600000" },
	{ { "--eject-timeout", "5s", "--kernel", "k" }, "--eject-timeout '5s': not a time; give milliseconds from 0 to 600000" },
	{ { "--mem", "2G" }, "no kernel given; use --kernel PATH with a bzImage, e.g. /boot/vmlinuz-$(uname -r)" },
	{ { "--initrd=", "--kernel", "k" }, "--initrd: empty path; give an initrd file or leave the option out" },
	{ { "--mem", "100001K", "--kernel", "k" }, "--mem '100001K': not a multiple of the 4K page size; round it, e.g. --mem 100004K" },
	{ { "--mem", "33554433", "--kernel", "k" }, "--mem '33554433': not a multiple of the 4K page size; round it, e.g. --mem 32772K" },
	{ { "--no-seccomp=1", "--kernel", "k" }, "option '--no-seccomp' takes no value; remove '=1'" },
};

TEST(every_error_message)
{
	unsigned int i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		char *argv[6] = { "vibevmm" };
		struct vmm_config cfg;
		char err[512];
		int argc = 1, k;

		for (k = 0; k < 4 && bad_cases[i].args[k]; k++)
			argv[argc++] = (char *)bad_cases[i].args[k];
		argv[argc] = NULL;
		EXPECT_EQ(CLI_ERROR, parse(&cfg, err, argc, argv)) {
			TH_LOG("case %u (%s) was accepted", i, bad_cases[i].args[0]);
		}
		EXPECT_STREQ(bad_cases[i].msg, err);
		/* one line: no newline inside */
		EXPECT_EQ(NULL, strchr(err, '\n'));
	}
}

/*
 * An argument with a newline or a terminal escape in it is echoed with
 * those bytes shown as '?', so the error stays one line (found by the cli
 * fuzzer).
 */
TEST(error_quotes_control_bytes)
{
	struct vmm_config cfg;
	char err[512];

	EXPECT_EQ(CLI_ERROR, PARSE(&cfg, err, "--kernel", "k", "--mem", "1G\n\033[2J"));
	EXPECT_STREQ("--mem '1G??[2J': not a size; give a number with an optional K, M or G suffix, e.g. --mem 2G",
		     err);
	EXPECT_EQ(CLI_ERROR, PARSE(&cfg, err, "x\ny"));
	EXPECT_EQ(NULL, strchr(err, '\n'));
}

TEST(too_many_vfio)
{
	char *argv[3 + 2 * 17 + 1] = { "vibevmm", "--kernel", "k" };
	char bdf[17][16];
	struct vmm_config cfg;
	char err[512];
	int i, argc = 3;

	for (i = 0; i < 17; i++) {
		snprintf(bdf[i], sizeof(bdf[i]), "0000:00:%02x.0", i + 1);
		argv[argc++] = "--vfio";
		argv[argc++] = bdf[i];
	}
	argv[argc] = NULL;
	ASSERT_EQ(CLI_RUN, parse(&cfg, err, argc - 2, argv));
	EXPECT_EQ(16, cfg.nr_vfio);
	ASSERT_EQ(CLI_ERROR, parse(&cfg, err, argc, argv));
	EXPECT_STREQ("--vfio 0000:00:11.0: too many devices; at most 16 --vfio options", err);
}

TEST_HARNESS_MAIN
