// SPDX-License-Identifier: GPL-2.0
/* The control protocol: parse one request line, dispatch, reply; see api.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json.h>

#include "api.h"

struct api_cmd {
	const char *name;
	/* Fill *result (NULL: JSON null) or return an error reply. */
	char *(*run)(const struct api_ops *ops, void *ctx, json_object **result);
};

static char *reply_string(json_object *reply)
{
	const char *s = NULL;
	char *out;

	if (reply)
		s = json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN |
						   JSON_C_TO_STRING_NOSLASHESCAPE);
	out = s ? strdup(s) : NULL;
	json_object_put(reply);
	return out;
}

char *api_error_reply(const char *fmt, ...)
{
	json_object *reply = json_object_new_object();
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (reply) {
		json_object_object_add(reply, "ok", json_object_new_boolean(0));
		json_object_object_add(reply, "error", json_object_new_string(msg));
	}
	return reply_string(reply);
}

static json_object *flag(bool b)
{
	return json_object_new_boolean(b);
}

static json_object *device_brief(const struct vmm_device_info *d)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "bdf", json_object_new_string(d->bdf));
	json_object_object_add(o, "guest", d->guest[0] ? json_object_new_string(d->guest) : NULL);
	json_object_object_add(o, "state",
			       json_object_new_string(d->attached ? "attached" : "detached"));
	json_object_object_add(o, "driver", json_object_new_string(d->driver));
	json_object_object_add(o, "irq_path", json_object_new_string(d->irq_path));
	return o;
}

static json_object *device_stats(const struct vmm_device_info *d)
{
	json_object *o = device_brief(d), *c;

	if (!o)
		return NULL;
	json_object_object_add(o, "backend", json_object_new_string(d->backend));
	c = json_object_new_object();
	if (c) {
		json_object_object_add(c, "memory", flag(d->mem_enabled));
		json_object_object_add(c, "io", flag(d->io_enabled));
		json_object_object_add(c, "bus_master", flag(d->bus_master));
	}
	json_object_object_add(o, "command", c);
	c = NULL;
	if (d->has_msix && (c = json_object_new_object())) {
		json_object_object_add(c, "enabled", flag(d->msix_enabled));
		json_object_object_add(c, "maskall", flag(d->msix_maskall));
		json_object_object_add(c, "vectors", json_object_new_int64(d->msix_vectors));
		json_object_object_add(c, "unmasked", json_object_new_int64(d->msix_unmasked));
		json_object_object_add(c, "wired", json_object_new_int64(d->msix_wired));
		json_object_object_add(c, "irqfd", json_object_new_int64(d->msix_irqfd));
	}
	json_object_object_add(o, "msix", c);
	c = NULL;
	if (d->has_msi && (c = json_object_new_object()))
		json_object_object_add(c, "enabled", flag(d->msi_enabled));
	json_object_object_add(o, "msi", c);
	c = NULL;
	if (d->has_intx && (c = json_object_new_object()))
		json_object_object_add(c, "enabled", flag(d->intx_enabled));
	json_object_object_add(o, "intx", c);
	return o;
}

static char *devices_result(const struct api_ops *ops, void *ctx, json_object **result,
			    json_object *(*fmt)(const struct vmm_device_info *))
{
	struct vmm_device_info info[VMM_MAX_VFIO];
	int n = ops->devices(ctx, info, VMM_MAX_VFIO), i;

	*result = json_object_new_array();
	if (!*result)
		return api_error_reply("out of memory");
	for (i = 0; i < n; i++) {
		json_object *o = fmt(&info[i]);

		if (!o || json_object_array_add(*result, o)) {
			json_object_put(o);
			return api_error_reply("out of memory");
		}
	}
	return NULL;
}

static char *cmd_list(const struct api_ops *ops, void *ctx, json_object **result)
{
	return devices_result(ops, ctx, result, device_brief);
}

static char *cmd_stats(const struct api_ops *ops, void *ctx, json_object **result)
{
	return devices_result(ops, ctx, result, device_stats);
}

static char *cmd_shutdown(const struct api_ops *ops, void *ctx, json_object **result)
{
	ops->shutdown(ctx);
	return NULL;
}

static const struct api_cmd cmds[] = {
	{ "list-devices", cmd_list },
	{ "stats", cmd_stats },
	{ "shutdown", cmd_shutdown },
};
#define CMD_NAMES "list-devices, stats or shutdown"

/* Parse @line as exactly one JSON value; NULL with @err set otherwise. */
static json_object *parse(const char *line, size_t len, char *err, size_t errlen)
{
	json_tokener *tok;
	json_object *obj;
	size_t end;

	if (memchr(line, '\0', len)) {
		snprintf(err, errlen, "the request holds a NUL byte; send one JSON object per line");
		return NULL;
	}
	tok = json_tokener_new_ex(API_MAX_DEPTH);
	if (!tok) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, line, (int)len);
	if (!obj) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		if (e == json_tokener_success || e == json_tokener_continue)
			snprintf(err, errlen, "the request is not complete JSON; send one JSON object per line");
		else
			snprintf(err, errlen, "malformed JSON at byte %zu: %s",
				 json_tokener_get_parse_end(tok), json_tokener_error_desc(e));
		json_tokener_free(tok);
		return NULL;
	}
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	while (end < len && strchr(" \t\r", line[end]))
		end++;
	if (end < len) {
		snprintf(err, errlen, "trailing bytes after the JSON object at byte %zu; send one request per line",
			 end);
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

char *api_handle(const struct api_ops *ops, void *ctx, const char *line, size_t len)
{
	json_object *req, *name = NULL, *args = NULL, *result = NULL, *reply;
	const struct api_cmd *cmd = NULL;
	char err[256], *bad;
	const char *s;
	unsigned int i;

	if (len > API_MAX_LINE)
		return api_error_reply("request longer than %d bytes; send one JSON object per line",
				       API_MAX_LINE);
	req = parse(line, len, err, sizeof(err));
	if (!req)
		return api_error_reply("%s", err);
	if (!json_object_is_type(req, json_type_object)) {
		bad = api_error_reply("the request is a JSON %s, not an object; send {\"command\": NAME}",
				      json_type_to_name(json_object_get_type(req)));
		goto out;
	}
	json_object_object_foreach(req, key, val) {
		if (!strcmp(key, "command")) {
			name = val;
		} else if (!strcmp(key, "arguments")) {
			args = val;
		} else {
			bad = api_error_reply("unknown member '%.64s' in the request; only \"command\" and \"arguments\" are read",
					      key);
			goto out;
		}
	}
	if (!name || !json_object_is_type(name, json_type_string)) {
		bad = api_error_reply("the request has no \"command\" string; send {\"command\": NAME} with NAME one of "
				      CMD_NAMES);
		goto out;
	}
	s = json_object_get_string(name);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(s, cmds[i].name))
			cmd = &cmds[i];
	if (!cmd) {
		bad = api_error_reply("unknown command '%.64s'; use " CMD_NAMES, s);
		goto out;
	}
	if (args && (!json_object_is_type(args, json_type_object) ||
		     json_object_object_length(args))) {
		bad = api_error_reply("command '%s' takes no arguments; send {\"command\": \"%s\"}",
				      cmd->name, cmd->name);
		goto out;
	}
	bad = cmd->run(ops, ctx, &result);
	if (bad) {
		json_object_put(result);
		goto out;
	}
	reply = json_object_new_object();
	if (reply) {
		json_object_object_add(reply, "ok", json_object_new_boolean(1));
		json_object_object_add(reply, "result", result);
	} else {
		json_object_put(result);
	}
	json_object_put(req);
	return reply_string(reply);
out:
	json_object_put(req);
	return bad;
}
