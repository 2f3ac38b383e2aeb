// SPDX-License-Identifier: GPL-2.0
/*
 * vibevmm's control socket: the request parser and dispatcher against fake
 * devices (every bad request gets one error reply and changes nothing),
 * and the server on a real Unix socket (safe creation, mode 0600, peer
 * credentials, too many clients, a 1 MiB line, removal at close, and
 * serving under the seccomp filter).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <json.h>

#include "kselftest_harness.h"
#include "vmm/api.h"
#include "vmm/seccomp.h"

/* vibevmm ignores SIGPIPE (signals.c); so do the tests' clients */
static void __attribute__((constructor)) ignore_sigpipe(void)
{
	signal(SIGPIPE, SIG_IGN);
}

/* ---- fake devices ---- */

struct fake_vmm {
	struct vmm_device_info dev[3];
	int nr;
	int shutdowns;
	int last_path;		/* of the last add_device */
	bool last_rom_off;	/* of the last add_device */
	unsigned int last_timeout;	/* of the last remove_device */
	int shutdown_fd;	/* written to on shutdown if >= 0 */
};

static int fake_devices(void *ctx, struct vmm_device_info *out, int max)
{
	struct fake_vmm *f = ctx;
	int i;

	for (i = 0; i < f->nr && i < max; i++)
		out[i] = f->dev[i];
	return i;
}

static void fake_shutdown(void *ctx)
{
	struct fake_vmm *f = ctx;

	f->shutdowns++;
	if (f->shutdown_fd >= 0 && write(f->shutdown_fd, "x", 1) != 1)
		abort();
}

static int fake_find(struct fake_vmm *f, const char *bdf)
{
	int i;

	for (i = 0; i < f->nr; i++)
		if (!strcmp(f->dev[i].bdf, bdf))
			return i;
	return -1;
}

static int fake_add(void *ctx, const char *bdf, int path, const struct vfio_dev_opts *opts,
		    char *err, size_t errlen)
{
	struct fake_vmm *f = ctx;
	struct vmm_device_info *d;

	if (fake_find(f, bdf) >= 0) {
		snprintf(err, errlen, "%s is already attached", bdf);
		return -EEXIST;
	}
	if (f->nr == 3) {
		snprintf(err, errlen, "%s: the VM is full", bdf);
		return -ENOSPC;
	}
	d = &f->dev[f->nr++];
	memset(d, 0, sizeof(*d));
	snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);
	snprintf(d->guest, sizeof(d->guest), "00:03.0");
	d->irq_path = "vfio";
	d->backend = "container";
	d->attached = true;
	f->last_path = path;
	f->last_rom_off = opts->rom_off;
	return 0;
}

static int fake_remove(void *ctx, const char *bdf, unsigned int timeout_ms, bool *ejected,
		       char *err, size_t errlen)
{
	struct fake_vmm *f = ctx;
	int i = fake_find(f, bdf);

	if (i < 0) {
		snprintf(err, errlen, "%s is not attached to this VM", bdf);
		return -ENOENT;
	}
	f->last_timeout = timeout_ms;
	*ejected = timeout_ms > 0;	/* the fake guest ejects when given time */
	memmove(&f->dev[i], &f->dev[i + 1], (f->nr - i - 1) * sizeof(f->dev[0]));
	memset(&f->dev[--f->nr], 0, sizeof(f->dev[0]));
	return 0;
}

static const struct api_ops fake_ops = { fake_devices, fake_shutdown, fake_add, fake_remove };

static void fake_init(struct fake_vmm *f)
{
	memset(f, 0, sizeof(*f));
	f->shutdown_fd = -1;
	f->last_path = -2;
	f->nr = 2;
	snprintf(f->dev[0].bdf, sizeof(f->dev[0].bdf), "0000:00:04.1");
	snprintf(f->dev[0].guest, sizeof(f->dev[0].guest), "00:01.0");
	snprintf(f->dev[0].driver, sizeof(f->dev[0].driver), "vfpost");
	f->dev[0].irq_path = "vfpost";
	f->dev[0].backend = "iommufd";
	f->dev[0].attached = true;
	f->dev[0].mem_enabled = f->dev[0].bus_master = true;
	f->dev[0].has_msix = f->dev[0].msix_enabled = true;
	f->dev[0].msix_vectors = 65;
	f->dev[0].msix_unmasked = 3;
	f->dev[0].msix_wired = 3;
	f->dev[0].msix_irqfd = 2;
	f->dev[0].has_msi = true;
	snprintf(f->dev[1].bdf, sizeof(f->dev[1].bdf), "0000:00:04.2");
	snprintf(f->dev[1].driver, sizeof(f->dev[1].driver), "vfio-pci");
	f->dev[1].irq_path = "relay";
	f->dev[1].backend = "container";
	f->dev[1].has_intx = f->dev[1].intx_enabled = true;
}

/* api_handle() on a C string, parsed back; the reply must be one line. */
static json_object *handle(struct fake_vmm *f, const char *req, size_t len)
{
	char *reply = api_handle(&fake_ops, f, req, len);
	json_object *o;

	if (!reply || strchr(reply, '\n'))
		abort();
	o = json_tokener_parse(reply);
	free(reply);
	return o;
}

static json_object *member(json_object *o, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

static bool reply_ok(json_object *r)
{
	return r && json_object_get_boolean(member(r, "ok"));
}

static const char *reply_error(json_object *r)
{
	json_object *e = member(r, "error");

	return e && !json_object_get_boolean(member(r, "ok")) ? json_object_get_string(e) : NULL;
}

TEST(list_devices)
{
	struct fake_vmm f;
	json_object *r, *res, *d;

	fake_init(&f);
	r = handle(&f, "{\"command\":\"list-devices\"}", 26);
	ASSERT_TRUE(reply_ok(r));
	res = member(r, "result");
	ASSERT_TRUE(json_object_is_type(res, json_type_array));
	ASSERT_EQ(2U, json_object_array_length(res));
	d = json_object_array_get_idx(res, 0);
	EXPECT_STREQ("0000:00:04.1", json_object_get_string(member(d, "bdf")));
	EXPECT_STREQ("00:01.0", json_object_get_string(member(d, "guest")));
	EXPECT_STREQ("attached", json_object_get_string(member(d, "state")));
	EXPECT_STREQ("vfpost", json_object_get_string(member(d, "irq_path")));
	d = json_object_array_get_idx(res, 1);
	EXPECT_STREQ("detached", json_object_get_string(member(d, "state")));
	EXPECT_EQ(NULL, member(d, "guest"));	/* off the bus: null */
	EXPECT_EQ(0, f.shutdowns);
	json_object_put(r);
}

TEST(stats)
{
	struct fake_vmm f;
	json_object *r, *d, *m;

	fake_init(&f);
	/* empty arguments are accepted; surrounding blanks too */
	r = handle(&f, " {\"command\":\"stats\",\"arguments\":{}} \r",
		   strlen(" {\"command\":\"stats\",\"arguments\":{}} \r"));
	ASSERT_TRUE(reply_ok(r));
	d = json_object_array_get_idx(member(r, "result"), 0);
	ASSERT_NE(NULL, d);
	EXPECT_STREQ("iommufd", json_object_get_string(member(d, "backend")));
	EXPECT_TRUE(json_object_get_boolean(member(member(d, "command"), "memory")));
	EXPECT_FALSE(json_object_get_boolean(member(member(d, "command"), "io")));
	EXPECT_TRUE(json_object_get_boolean(member(member(d, "command"), "bus_master")));
	m = member(d, "msix");
	ASSERT_NE(NULL, m);
	EXPECT_TRUE(json_object_get_boolean(member(m, "enabled")));
	EXPECT_EQ(65, json_object_get_int(member(m, "vectors")));
	EXPECT_EQ(3, json_object_get_int(member(m, "unmasked")));
	EXPECT_EQ(3, json_object_get_int(member(m, "wired")));
	EXPECT_EQ(2, json_object_get_int(member(m, "irqfd")));
	EXPECT_FALSE(json_object_get_boolean(member(member(d, "msi"), "enabled")));
	EXPECT_EQ(NULL, member(d, "intx"));
	d = json_object_array_get_idx(member(r, "result"), 1);
	EXPECT_EQ(NULL, member(d, "msix"));
	EXPECT_TRUE(json_object_get_boolean(member(member(d, "intx"), "enabled")));
	json_object_put(r);
}

TEST(shutdown_command)
{
	struct fake_vmm f;
	json_object *r;

	fake_init(&f);
	r = handle(&f, "{\"command\":\"shutdown\"}", 22);
	ASSERT_TRUE(reply_ok(r));
	EXPECT_EQ(1, f.shutdowns);
	json_object_put(r);
}

TEST(add_and_remove_device)
{
	struct fake_vmm f;
	json_object *r;

	fake_init(&f);
	/* short form normalized; the VM's interrupt path by default */
	r = handle(&f, "{\"command\":\"add-device\",\"arguments\":{\"bdf\":\"00:04.3\"}}",
		   strlen("{\"command\":\"add-device\",\"arguments\":{\"bdf\":\"00:04.3\"}}"));
	ASSERT_TRUE(reply_ok(r));
	EXPECT_STREQ("0000:00:04.3", json_object_get_string(member(member(r, "result"), "bdf")));
	json_object_put(r);
	EXPECT_EQ(3, f.nr);
	EXPECT_EQ(-1, f.last_path);
	r = handle(&f, "{\"command\":\"remove-device\",\"arguments\":{\"bdf\":\"0000:00:04.3\"}}",
		   strlen("{\"command\":\"remove-device\",\"arguments\":{\"bdf\":\"0000:00:04.3\"}}"));
	ASSERT_TRUE(reply_ok(r));
	EXPECT_TRUE(json_object_get_boolean(member(member(r, "result"), "ejected")));
	json_object_put(r);
	EXPECT_EQ(2, f.nr);
	EXPECT_EQ((unsigned int)API_EJECT_MS, f.last_timeout);
	r = handle(&f, "{\"command\":\"add-device\",\"arguments\":{\"irq_path\":\"relay\",\"bdf\":\"0000:00:04.3\"}}",
		   strlen("{\"command\":\"add-device\",\"arguments\":{\"irq_path\":\"relay\",\"bdf\":\"0000:00:04.3\"}}"));
	ASSERT_TRUE(reply_ok(r));
	json_object_put(r);
	EXPECT_EQ(IRQ_PATH_RELAY, f.last_path);
	EXPECT_FALSE(f.last_rom_off);
	/* no time for the guest: removed by force, said so */
	r = handle(&f, "{\"command\":\"remove-device\",\"arguments\":{\"bdf\":\"00:04.3\",\"timeout_ms\":0}}",
		   strlen("{\"command\":\"remove-device\",\"arguments\":{\"bdf\":\"00:04.3\",\"timeout_ms\":0}}"));
	ASSERT_TRUE(reply_ok(r));
	EXPECT_FALSE(json_object_get_boolean(member(member(r, "result"), "ejected")));
	json_object_put(r);
	EXPECT_EQ(0u, f.last_timeout);
	/* --vfio BDF,rom=off's option */
	r = handle(&f, "{\"command\":\"add-device\",\"arguments\":{\"bdf\":\"00:04.3\",\"rom\":\"off\"}}",
		   strlen("{\"command\":\"add-device\",\"arguments\":{\"bdf\":\"00:04.3\",\"rom\":\"off\"}}"));
	ASSERT_TRUE(reply_ok(r));
	json_object_put(r);
	EXPECT_TRUE(f.last_rom_off);
	EXPECT_EQ(0, f.shutdowns);
}

/* Each bad request: one error reply naming the problem, nothing changed. */
TEST(bad_requests)
{
	static const struct {
		const char *req;
		const char *error;	/* a substring of the error */
	} bad[] = {
		{ "", "not complete JSON" },
		{ "{\"command\":\"shutdown\"", "not complete JSON" },
		{ "{command:shutdown}", "malformed JSON" },
		{ "{\"command\":'shutdown'}", "malformed JSON" },
		{ "[\"shutdown\"]", "is a JSON array, not an object" },
		{ "\"shutdown\"", "not an object" },
		{ "{}", "no \"command\" string" },
		{ "{\"command\":7}", "no \"command\" string" },
		{ "{\"command\":\"reboot\"}", "unknown command 'reboot'" },
		{ "{\"command\":\"SHUTDOWN\"}", "unknown command" },
		{ "{\"command\":\"shutdown\",\"force\":true}", "unknown member 'force'" },
		{ "{\"command\":\"shutdown\",\"arguments\":{\"now\":1}}", "takes no arguments" },
		{ "{\"command\":\"shutdown\",\"arguments\":[]}", "takes no arguments" },
		/* json-c's strict mode refuses what follows the object itself */
		{ "{\"command\":\"shutdown\"} {\"command\":\"shutdown\"}", "malformed JSON at byte 23" },
		{ "{\"command\":\"shutdown\"}x", "malformed JSON at byte 22" },
		{ "{\"command\":\"shutdown\",\"arguments\":{\"a\":[[[[[[[[[[1]]]]]]]]]]}}",
		  "malformed JSON" },
		{ "{\"command\":\"shut\xff\"}", "malformed JSON" },
		{ "{\"command\":\"add-device\"}", "needs the argument \"bdf\"" },
		{ "{\"command\":\"add-device\",\"arguments\":{}}", "needs the argument \"bdf\"" },
		{ "{\"command\":\"add-device\",\"arguments\":[\"00:04.3\"]}", "must be an object" },
		{ "{\"command\":\"add-device\",\"arguments\":{\"bdf\":4}}", "must be a string" },
		{ "{\"command\":\"add-device\",\"arguments\":{\"bdf\":\"0000:zz:04.1\"}}",
		  "'0000:zz:04.1' is not a PCI address" },
		{ "{\"command\":\"add-device\",\"arguments\":{\"bdf\":\"00:04.3\",\"irq_path\":\"fast\"}}",
		  "irq_path 'fast' is not an interrupt path" },
		{ "{\"command\":\"add-device\",\"arguments\":{\"bdf\":\"00:04.3\",\"rom\":\"no\"}}",
		  "rom 'no' is neither on nor off" },
		{ "{\"command\":\"add-device\",\"arguments\":{\"bdf\":\"00:04.3\",\"rom\":false}}",
		  "argument \"rom\" must be a string" },
		{ "{\"command\":\"add-device\",\"arguments\":{\"bdf\":\"00:04.3\",\"force\":true}}",
		  "add-device takes no argument 'force'" },
		/* the device layer's refusal, passed on */
		{ "{\"command\":\"add-device\",\"arguments\":{\"bdf\":\"00:04.1\"}}",
		  "add-device: 0000:00:04.1 is already attached" },
		{ "{\"command\":\"remove-device\",\"arguments\":{\"bdf\":\"00:09.0\"}}",
		  "remove-device: 0000:00:09.0 is not attached to this VM" },
		{ "{\"command\":\"remove-device\",\"arguments\":{\"bdf\":\"00:04.1\",\"irq_path\":\"vfio\"}}",
		  "remove-device takes no argument 'irq_path'" },
		{ "{\"command\":\"remove-device\"}", "needs the argument \"bdf\"" },
		{ "{\"command\":\"remove-device\",\"arguments\":{\"bdf\":\"00:04.1\",\"timeout_ms\":-1}}",
		  "timeout_ms must be an integer from 0 to 600000" },
		{ "{\"command\":\"remove-device\",\"arguments\":{\"bdf\":\"00:04.1\",\"timeout_ms\":600001}}",
		  "timeout_ms must be an integer" },
		{ "{\"command\":\"remove-device\",\"arguments\":{\"bdf\":\"00:04.1\",\"timeout_ms\":\"5\"}}",
		  "timeout_ms must be an integer" },
		{ "{\"command\":\"remove-device\",\"arguments\":{\"bdf\":\"00:04.1\",\"timeout_ms\":1.5}}",
		  "timeout_ms must be an integer" },
	};
	struct fake_vmm f, before;
	unsigned int i;

	fake_init(&f);
	before = f;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_object *r = handle(&f, bad[i].req, strlen(bad[i].req));
		const char *e = reply_error(r);

		ASSERT_NE(NULL, e) TH_LOG("request %u (%s) got no error reply", i, bad[i].req);
		EXPECT_NE(NULL, strstr(e, bad[i].error))
			TH_LOG("request %u: error '%s' lacks '%s'", i, e, bad[i].error);
		json_object_put(r);
	}
	/* a NUL byte inside the line */
	{
		json_object *r = handle(&f, "{\"command\":\"shutdown\"}\0", 23);

		EXPECT_NE(NULL, strstr(reply_error(r) ?: "", "NUL byte"));
		json_object_put(r);
	}
	/* over the limit: refused before parsing */
	{
		char *big = malloc(API_MAX_LINE + 2);
		json_object *r;

		ASSERT_NE(NULL, big);
		memset(big, ' ', API_MAX_LINE + 1);
		memcpy(big, "{\"command\":\"shutdown\"}", 22);
		r = handle(&f, big, API_MAX_LINE + 1);
		EXPECT_NE(NULL, strstr(reply_error(r) ?: "", "longer than"));
		json_object_put(r);
		/* at the limit it is fine */
		r = handle(&f, big, API_MAX_LINE);
		EXPECT_TRUE(reply_ok(r));
		json_object_put(r);
		free(big);
		EXPECT_EQ(1, f.shutdowns);
		f.shutdowns = 0;
	}
	EXPECT_EQ(0, memcmp(&before, &f, sizeof(f)));
}

/* ---- the server on a real socket ---- */

struct sock_dir {
	char dir[64];
	char path[96];
};

static void sock_dir_init(struct sock_dir *d)
{
	snprintf(d->dir, sizeof(d->dir), "/tmp/vmm-api-test.XXXXXX");
	if (!mkdtemp(d->dir))
		abort();
	snprintf(d->path, sizeof(d->path), "%s/api.sock", d->dir);
}

static void sock_dir_fini(struct sock_dir *d)
{
	unlink(d->path);
	rmdir(d->dir);
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* One reply line from @fd (5 s at most): parsed, or NULL on EOF/timeout. */
static json_object *read_reply(int fd)
{
	static char buf[1 << 16];
	size_t len = 0;

	while (len < sizeof(buf) - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 5000) <= 0)
			return NULL;
		n = read(fd, buf + len, 1);	/* byte by byte: leave the next reply */
		if (n <= 0)
			return NULL;
		if (buf[len] == '\n') {
			buf[len] = '\0';
			return json_tokener_parse(buf);
		}
		len++;
	}
	return NULL;
}

static json_object *request(int fd, const char *req)
{
	size_t len = strlen(req);

	if (write(fd, req, len) != (ssize_t)len || write(fd, "\n", 1) != 1)
		return NULL;
	return read_reply(fd);
}

/* EOF (the server closed the connection) within 5 s? */
static bool closed_by_server(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	return poll(&p, 1, 5000) == 1 && read(fd, &c, 1) == 0;
}

TEST(server_roundtrip_and_mode)
{
	struct sock_dir d;
	struct fake_vmm f;
	struct api_server *s;
	struct stat st;
	json_object *r;
	int fd;

	sock_dir_init(&d);
	fake_init(&f);
	s = api_server_open(d.path);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, lstat(d.path, &st));
	EXPECT_TRUE(S_ISSOCK(st.st_mode));
	EXPECT_EQ(0600U, st.st_mode & 07777);
	ASSERT_EQ(0, api_server_start(s, &fake_ops, &f));
	fd = connect_to(d.path);
	ASSERT_LE(0, fd);
	r = request(fd, "{\"command\":\"list-devices\"}");
	EXPECT_TRUE(reply_ok(r));
	EXPECT_EQ(2U, json_object_array_length(member(r, "result")));
	json_object_put(r);
	/* two requests in one write, answered in order */
	{
		static const char two[] = "{\"command\":\"stats\"}\n{\"command\":\"bogus\"}\n";

		ASSERT_EQ((ssize_t)strlen(two), write(fd, two, strlen(two)));
	}
	r = read_reply(fd);
	EXPECT_TRUE(reply_ok(r));
	json_object_put(r);
	r = read_reply(fd);
	EXPECT_NE(NULL, strstr(reply_error(r) ?: "", "unknown command 'bogus'"));
	json_object_put(r);
	close(fd);
	api_server_close(s);
	EXPECT_EQ(-1, lstat(d.path, &st));	/* removed at close */
	EXPECT_EQ(0, f.shutdowns);
	sock_dir_fini(&d);
}

TEST(server_refuses_to_replace)
{
	struct sock_dir d;
	struct api_server *s, *s2;
	struct stat st;
	int fd;

	sock_dir_init(&d);
	/* a regular file: refused and left alone */
	fd = open(d.path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ(4, write(fd, "keep", 4));
	close(fd);
	EXPECT_EQ(NULL, api_server_open(d.path));
	ASSERT_EQ(0, lstat(d.path, &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(4, st.st_size);
	unlink(d.path);
	/* a symlink to elsewhere: not followed, refused */
	ASSERT_EQ(0, symlink("/tmp", d.path));
	EXPECT_EQ(NULL, api_server_open(d.path));
	ASSERT_EQ(0, lstat(d.path, &st));
	EXPECT_TRUE(S_ISLNK(st.st_mode));
	unlink(d.path);
	/* a live socket: refused */
	s = api_server_open(d.path);
	ASSERT_NE(NULL, s);
	EXPECT_EQ(NULL, api_server_open(d.path));
	api_server_close(s);
	/* a stale socket: bound once, nobody listening */
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int sfd = socket(AF_UNIX, SOCK_STREAM, 0);

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", d.path);
		ASSERT_EQ(0, bind(sfd, (struct sockaddr *)&sa, sizeof(sa)));
		close(sfd);
	}
	s2 = api_server_open(d.path);
	ASSERT_NE(NULL, s2);
	api_server_close(s2);
	/* a path that does not fit sun_path, and a directory */
	{
		char longp[200];

		memset(longp, 'a', sizeof(longp) - 1);
		longp[0] = '/';
		longp[sizeof(longp) - 1] = '\0';
		EXPECT_EQ(NULL, api_server_open(longp));
	}
	EXPECT_EQ(NULL, api_server_open("/tmp/"));
	EXPECT_EQ(NULL, api_server_open("/nonexistent-dir/api.sock"));
	sock_dir_fini(&d);
}

/*
 * A socket served by a process that does not accept (hung, or busy): its
 * backlog is full.  vibevmm refuses the path at once instead of waiting
 * in connect() for a slot that may never come.
 */
TEST(server_refuses_a_busy_socket_without_waiting)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timespec t0, t1;
	struct sock_dir d;
	struct stat st;
	int lfd, c[8], n = 0, i;

	sock_dir_init(&d);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", d.path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, bind(lfd, (struct sockaddr *)&sa, sizeof(sa)));
	ASSERT_EQ(0, listen(lfd, 0));
	/* fill the backlog: the next connect would block */
	for (i = 0; i < 8; i++) {
		c[n] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		ASSERT_LE(0, c[n]);
		if (connect(c[n++], (struct sockaddr *)&sa, sizeof(sa)) && errno == EAGAIN)
			break;
	}
	ASSERT_GT(8, i) TH_LOG("the backlog never filled");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_EQ(NULL, api_server_open(d.path));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	EXPECT_GT(2, t1.tv_sec - t0.tv_sec);
	ASSERT_EQ(0, lstat(d.path, &st));	/* left alone */
	EXPECT_TRUE(S_ISSOCK(st.st_mode));
	while (n)
		close(c[--n]);
	close(lfd);
	unlink(d.path);
	sock_dir_fini(&d);
}

TEST(server_long_line_and_too_many_clients)
{
	struct sock_dir d;
	struct fake_vmm f;
	struct api_server *s;
	int fd[API_MAX_CLIENTS + 1], i;
	size_t big = 1 << 20;
	char *line;
	json_object *r;

	sock_dir_init(&d);
	fake_init(&f);
	s = api_server_open(d.path);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, api_server_start(s, &fake_ops, &f));
	for (i = 0; i < API_MAX_CLIENTS; i++) {
		fd[i] = connect_to(d.path);
		ASSERT_LE(0, fd[i]);
		/* served (so accepted) before the next connects */
		r = request(fd[i], "{\"command\":\"list-devices\"}");
		ASSERT_TRUE(reply_ok(r));
		json_object_put(r);
	}
	/* one too many: one error reply, then the server closes it */
	fd[i] = connect_to(d.path);
	ASSERT_LE(0, fd[i]);
	r = read_reply(fd[i]);
	EXPECT_NE(NULL, strstr(reply_error(r) ?: "", "too many clients"));
	json_object_put(r);
	EXPECT_TRUE(closed_by_server(fd[i]));
	close(fd[i]);

	/* a 1 MiB line "shutdown" padded: one error, not executed; the connection goes on */
	line = malloc(big + 1);
	ASSERT_NE(NULL, line);
	memset(line, ' ', big);
	memcpy(line, "{\"command\":\"shutdown\"}", 22);
	line[big] = '\n';
	{
		size_t off = 0;

		while (off < big + 1) {
			ssize_t n = write(fd[0], line + off, big + 1 - off);

			ASSERT_LT(0, n);
			off += n;
		}
	}
	free(line);
	r = read_reply(fd[0]);
	EXPECT_NE(NULL, strstr(reply_error(r) ?: "", "longer than 65536 bytes"));
	json_object_put(r);
	r = request(fd[0], "{\"command\":\"list-devices\"}");	/* the next reply is this one's */
	EXPECT_TRUE(reply_ok(r));
	json_object_put(r);
	EXPECT_EQ(0, f.shutdowns);

	/* a client leaves: its place is free again */
	close(fd[1]);
	fd[1] = connect_to(d.path);
	ASSERT_LE(0, fd[1]);
	r = request(fd[1], "{\"command\":\"stats\"}");
	EXPECT_TRUE(reply_ok(r));
	json_object_put(r);
	for (i = 0; i < API_MAX_CLIENTS; i++)
		close(fd[i]);
	api_server_close(s);
	sock_dir_fini(&d);
}

TEST(server_peer_credentials)
{
	struct sock_dir d;
	struct fake_vmm f;
	struct api_server *s;
	int st, pfd[2];
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root to connect as another uid");
	sock_dir_init(&d);
	fake_init(&f);
	s = api_server_open(d.path);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, api_server_start(s, &fake_ops, &f));
	/* let uid 65534 reach the socket through the file mode... */
	ASSERT_EQ(0, chmod(d.dir, 0755));
	ASSERT_EQ(0, chmod(d.path, 0666));
	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		json_object *r;
		int fd, ok;

		close(pfd[0]);
		if (setgid(65534) || setuid(65534))
			_exit(90);
		fd = connect_to(d.path);
		if (fd < 0)
			_exit(91);
		/* ...the credentials check still refuses it */
		r = read_reply(fd);
		ok = strstr(reply_error(r) ?: "", "permission denied") && closed_by_server(fd);
		json_object_put(r);
		_exit(ok ? 0 : 92);
	}
	close(pfd[1]);
	close(pfd[0]);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	api_server_close(s);
	sock_dir_fini(&d);
}

/* The server thread works under vibevmm's seccomp filter, unlink included. */
TEST(server_under_seccomp)
{
	struct sock_dir d;
	struct stat sb;
	int st, pfd[2], fd = -1, tries;
	json_object *r;
	pid_t pid;

	sock_dir_init(&d);
	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct fake_vmm f;
		struct api_server *s;
		char c;

		close(pfd[0]);
		fake_init(&f);
		/* the shutdown command wakes this thread through a pipe */
		{
			int wake[2];

			if (pipe(wake))
				_exit(80);
			f.shutdown_fd = wake[1];
			s = api_server_open(d.path);
			if (!s || api_server_start(s, &fake_ops, &f))
				_exit(81);
			vmm_seccomp_allow_unlinkat(api_server_dirfd(s));
			if (vmm_seccomp_install())
				_exit(82);
			if (write(pfd[1], "r", 1) != 1)
				_exit(83);
			if (read(wake[0], &c, 1) != 1)
				_exit(84);
		}
		api_server_close(s);
		_exit(0);	/* no leak check under the filter */
	}
	close(pfd[1]);
	{
		char c;

		ASSERT_EQ(1, read(pfd[0], &c, 1));	/* confined and serving */
	}
	close(pfd[0]);
	for (tries = 0; tries < 50 && fd < 0; tries++)
		fd = connect_to(d.path);
	ASSERT_LE(0, fd);
	r = request(fd, "{\"command\":\"stats\"}");
	EXPECT_TRUE(reply_ok(r));
	json_object_put(r);
	r = request(fd, "{\"command\":\"shutdown\"}");
	EXPECT_TRUE(reply_ok(r));
	json_object_put(r);
	close(fd);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	EXPECT_EQ(-1, lstat(d.path, &sb));	/* unlinked while confined */
	sock_dir_fini(&d);
}

TEST_HARNESS_MAIN
