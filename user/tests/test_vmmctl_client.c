// SPDX-License-Identifier: GPL-2.0
/*
 * vibevmm-ctl's client side: the request for each command, the exchange
 * over a socket (one line out, one line back) and the tables.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vmmctl/vmmctl.h"

static char *req(char *err, size_t errlen, const char *a0, const char *a1, const char *a2,
		 const char *a3)
{
	char *argv[] = { (char *)a0, (char *)a1, (char *)a2, (char *)a3, NULL };
	int argc = 0;

	while (argv[argc])
		argc++;
	return vmmctl_request(argc, argv, err, errlen);
}

TEST(requests)
{
	char err[256], *r;

	r = req(err, sizeof(err), "stats", NULL, NULL, NULL);
	ASSERT_NE(NULL, r);
	EXPECT_STREQ("{\"command\":\"stats\"}", r);
	free(r);
	r = req(err, sizeof(err), "add-device", "00:04.1", "vfio", NULL);
	ASSERT_NE(NULL, r);
	EXPECT_STREQ("{\"command\":\"add-device\",\"arguments\":{\"bdf\":\"00:04.1\",\"irq_path\":\"vfio\"}}",
		     r);
	free(r);
	r = req(err, sizeof(err), "remove-device", "0000:00:04.1", NULL, NULL);
	ASSERT_NE(NULL, r);
	EXPECT_STREQ("{\"command\":\"remove-device\",\"arguments\":{\"bdf\":\"0000:00:04.1\"}}", r);
	free(r);
	EXPECT_EQ(NULL, req(err, sizeof(err), "reboot", NULL, NULL, NULL));
	EXPECT_NE(NULL, strstr(err, "unknown command 'reboot'"));
	EXPECT_EQ(NULL, req(err, sizeof(err), "add-device", NULL, NULL, NULL));
	EXPECT_NE(NULL, strstr(err, "missing operands; usage: add-device BDF[,rom=on|off] [IRQ_PATH]"));
	/* --vfio's device options, as the API's "rom" */
	r = req(err, sizeof(err), "add-device", "00:04.1,rom=off", NULL, NULL);
	ASSERT_NE(NULL, r);
	EXPECT_STREQ("{\"command\":\"add-device\",\"arguments\":{\"bdf\":\"00:04.1\",\"rom\":\"off\"}}",
		     r);
	free(r);
	r = req(err, sizeof(err), "add-device", "00:04.1,rom=on", "relay", NULL);
	ASSERT_NE(NULL, r);
	EXPECT_STREQ("{\"command\":\"add-device\",\"arguments\":{\"bdf\":\"00:04.1\",\"rom\":\"on\",\"irq_path\":\"relay\"}}",
		     r);
	free(r);
	EXPECT_EQ(NULL, req(err, sizeof(err), "add-device", "00:04.1,rom=of", NULL, NULL));
	EXPECT_NE(NULL, strstr(err, "unknown device option 'rom=of'"));
	EXPECT_EQ(NULL, req(err, sizeof(err), "add-device", "00:04.1,", NULL, NULL));
	EXPECT_NE(NULL, strstr(err, "unknown device option ''"));
	EXPECT_EQ(NULL, req(err, sizeof(err), "remove-device", "a", "b", "c"));
	EXPECT_NE(NULL, strstr(err, "too many operands"));
	EXPECT_EQ(NULL, req(err, sizeof(err), "remove-device", "00:04.1", "5s", NULL));
	EXPECT_NE(NULL, strstr(err, "timeout '5s' is not a number of milliseconds"));
	r = req(err, sizeof(err), "remove-device", "00:04.1", "2500", NULL);
	ASSERT_NE(NULL, r);
	EXPECT_STREQ("{\"command\":\"remove-device\",\"arguments\":{\"bdf\":\"00:04.1\",\"timeout_ms\":2500}}",
		     r);
	free(r);
	EXPECT_EQ(NULL, req(err, sizeof(err), "stats", "x", NULL, NULL));
	EXPECT_NE(NULL, strstr(err, "too many operands"));
}

/* The reply written to the other end of a socketpair before the exchange. */
static json_object *exchange(const char *reply, char *sent, size_t sentlen, char *err,
			     size_t errlen)
{
	json_object *r;
	int sv[2];
	ssize_t n;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		abort();
	if (reply && write(sv[1], reply, strlen(reply)) != (ssize_t)strlen(reply))
		abort();
	if (!reply)
		shutdown(sv[1], SHUT_WR);
	r = vmmctl_exchange(sv[0], "{\"command\":\"stats\"}", err, errlen);
	n = read(sv[1], sent, sentlen - 1);
	sent[n > 0 ? n : 0] = '\0';
	close(sv[0]);
	close(sv[1]);
	return r;
}

TEST(exchange_lines)
{
	char sent[256], err[256];
	json_object *r;

	r = exchange("{\"ok\":true,\"result\":[]}\n", sent, sizeof(sent), err, sizeof(err));
	ASSERT_NE(NULL, r);
	EXPECT_STREQ("{\"command\":\"stats\"}\n", sent);
	json_object_put(r);
	EXPECT_EQ(NULL, exchange(NULL, sent, sizeof(sent), err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "closed the connection"));
	EXPECT_EQ(NULL, exchange("[1]\n", sent, sizeof(sent), err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "not a JSON object"));
	EXPECT_EQ(NULL, exchange("{\"ok\":tru\n", sent, sizeof(sent), err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "not a JSON object"));
}

static char *print(const char *cmd, const char *json, int *ret, char *err, size_t errlen)
{
	json_object *o = json_tokener_parse(json);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	*ret = vmmctl_print(f, cmd, o, err, errlen);
	fclose(f);
	json_object_put(o);
	return buf;
}

TEST(tables)
{
	char err[256], *out;
	int ret;

	out = print("list-devices",
		    "[{\"bdf\":\"0000:00:04.1\",\"guest\":\"00:01.0\",\"state\":\"attached\","
		    "\"driver\":\"vfpost\",\"irq_path\":\"vfpost\"},"
		    "{\"bdf\":\"0000:00:04.2\",\"guest\":null,\"state\":\"detached\","
		    "\"driver\":\"vfio-pci\",\"irq_path\":\"relay\"}]", &ret, err, sizeof(err));
	EXPECT_EQ(0, ret);
	EXPECT_STREQ("BDF           GUEST    STATE     DRIVER       IRQ-PATH\n"
		     "0000:00:04.1  00:01.0  attached  vfpost       vfpost\n"
		     "0000:00:04.2  -        detached  vfio-pci     relay\n", out);
	free(out);
	out = print("stats",
		    "[{\"bdf\":\"0000:00:04.1\",\"guest\":\"00:01.0\",\"state\":\"attached\","
		    "\"irq_path\":\"vfpost\",\"command\":{\"memory\":true,\"io\":false,"
		    "\"bus_master\":true},\"msix\":{\"enabled\":true,\"maskall\":false,"
		    "\"vectors\":65,\"unmasked\":3,\"wired\":3,\"irqfd\":2},\"msi\":{\"enabled\":false},"
		    "\"intx\":null}]", &ret, err, sizeof(err));
	EXPECT_EQ(0, ret);
	EXPECT_NE(NULL, strstr(out, "\n0000:00:04.1  00:01.0  attached  vfpost   M-B    on 65/3/3/2"))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, " off  -\n")) TH_LOG("%s", out);
	free(out);
	out = print("add-device", "{\"bdf\":\"0000:00:04.1\"}", &ret, err, sizeof(err));
	EXPECT_EQ(0, ret);
	EXPECT_STREQ("0000:00:04.1: added\n", out);
	free(out);
	out = print("remove-device", "{\"ejected\":false}", &ret, err, sizeof(err));
	EXPECT_EQ(0, ret);
	EXPECT_STREQ("removed by force (the guest did not eject it in time)\n", out);
	free(out);
	/* shutdown prints nothing */
	out = print("shutdown", "null", &ret, err, sizeof(err));
	EXPECT_EQ(0, ret);
	EXPECT_STREQ("", out);
	free(out);
	/* a result of the wrong shape is an error */
	out = print("stats", "{\"a\":1}", &ret, err, sizeof(err));
	EXPECT_EQ(-1, ret);
	EXPECT_NE(NULL, strstr(err, "no device list"));
	free(out);
	out = print("list-devices", "[1]", &ret, err, sizeof(err));
	EXPECT_EQ(-1, ret);
	free(out);
}

TEST_HARNESS_MAIN
