// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: one request line of vibevmm's control socket
 * (vmm/api.c) against two fake devices.
 *
 * Checks: every input gets exactly one reply, a single line of JSON that
 * parses to an object with a boolean "ok"; an error reply carries a
 * non-empty "error" string and no "result", and changed nothing (neither
 * shutdown nor a device added or removed); add-device and remove-device
 * reach the device layer only with a normalized BDF and a valid interrupt
 * path; a successful reply carries "result", and
 * only a well-formed shutdown request calls the hook, once.  Handling is
 * deterministic.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <json.h>

#include "fuzz.h"
#include "vmm/api.h"

static int shutdowns;

static int fake_devices(void *ctx, struct vmm_device_info *out, int max)
{
	int i;

	for (i = 0; i < 2 && i < max; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		snprintf(out[i].bdf, sizeof(out[i].bdf), "0000:00:04.%d", i + 1);
		snprintf(out[i].guest, sizeof(out[i].guest), "00:0%d.0", i + 1);
		snprintf(out[i].driver, sizeof(out[i].driver), "vfpost");
		out[i].irq_path = "vfpost";
		out[i].backend = "iommufd";
		out[i].attached = i == 0;
		out[i].has_msix = true;
		out[i].msix_vectors = 65;
		out[i].has_intx = i == 1;
	}
	return i;
}

static void fake_shutdown(void *ctx)
{
	shutdowns++;
}

static int adds, removes;

/* The device layer refuses 0000:00:04.1 (attached) and accepts any other. */
static int fake_add(void *ctx, const char *bdf, int path, const struct vfio_dev_opts *opts,
		    char *err, size_t errlen)
{
	FUZZ_CHECK(strlen(bdf) >= 12 && strlen(bdf) < VMM_BDF_LEN, "not normalized: %s", bdf);
	FUZZ_CHECK(opts != NULL, "add-device without options");
	FUZZ_CHECK(path >= -1 && path <= IRQ_PATH_RELAY, "path %d", path);
	if (!strcmp(bdf, "0000:00:04.1")) {
		snprintf(err, errlen, "%s is already attached", bdf);
		return -EEXIST;
	}
	adds++;
	return 0;
}

static int fake_remove(void *ctx, const char *bdf, unsigned int timeout_ms, bool *ejected,
		       char *err, size_t errlen)
{
	FUZZ_CHECK(timeout_ms <= API_MAX_EJECT_MS, "timeout %u", timeout_ms);
	*ejected = false;
	FUZZ_CHECK(strlen(bdf) >= 12 && strlen(bdf) < VMM_BDF_LEN, "not normalized: %s", bdf);
	if (strcmp(bdf, "0000:00:04.1")) {
		snprintf(err, errlen, "%s is not attached", bdf);
		return -ENOENT;
	}
	removes++;
	return 0;
}

static const struct api_ops ops = { fake_devices, fake_shutdown, fake_add, fake_remove };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *reply, *again;
	json_object *r, *ok, *v;
	int before = shutdowns, changes = adds + removes;

	reply = api_handle(&ops, NULL, (const char *)data, size);
	FUZZ_CHECK(reply, "no reply");
	FUZZ_CHECK(!strchr(reply, '\n'), "reply is not one line: %s", reply);
	r = json_tokener_parse(reply);
	FUZZ_CHECK(r && json_object_is_type(r, json_type_object), "reply is not an object: %s",
		   reply);
	FUZZ_CHECK(json_object_object_get_ex(r, "ok", &ok) &&
		   json_object_is_type(ok, json_type_boolean), "no boolean ok: %s", reply);
	if (!json_object_get_boolean(ok)) {
		FUZZ_CHECK(json_object_object_get_ex(r, "error", &v) &&
			   json_object_is_type(v, json_type_string) &&
			   json_object_get_string_len(v) > 0, "error reply without error: %s", reply);
		FUZZ_CHECK(!json_object_object_get_ex(r, "result", NULL),
			   "error reply with a result: %s", reply);
		FUZZ_CHECK(shutdowns == before, "an error reply called shutdown: %s", reply);
		FUZZ_CHECK(adds + removes == changes, "an error reply changed devices: %s", reply);
	} else {
		FUZZ_CHECK(json_object_object_get_ex(r, "result", NULL), "no result: %s", reply);
		FUZZ_CHECK(shutdowns == before ||
			   (shutdowns == before + 1 && memmem(data, size, "shutdown", 8)),
			   "shutdown called for: %s", reply);
	}
	json_object_put(r);
	before = shutdowns;
	again = api_handle(&ops, NULL, (const char *)data, size);
	FUZZ_CHECK(again && !strcmp(again, reply), "not deterministic: %s then %s", reply,
		   again ? again : "(null)");
	shutdowns = before;	/* the repeat's shutdown, if any */
	free(again);
	free(reply);
	return 0;
}
