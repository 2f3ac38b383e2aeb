// SPDX-License-Identifier: GPL-2.0
/* The control protocol: parse one request line, dispatch, reply; see api.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json.h>

#include "api.h"
#include "cli.h"

struct api_cmd {
	const char *name;
	/* the members "arguments" may have, NULL-terminated; none: no arguments */
	const char *const *args;
	/* Fill *result (NULL: JSON null) or return an error reply. */
	char *(*run)(const struct api_ops *ops, void *ctx, json_object *args,
		     json_object **result);
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
			       json_object_new_string(!d->attached ? "detached" :
						      d->removing ? "removing" : "attached"));
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

static char *cmd_list(const struct api_ops *ops, void *ctx, json_object *args,
		       json_object **result)
{
	return devices_result(ops, ctx, result, device_brief);
}

static char *cmd_stats(const struct api_ops *ops, void *ctx, json_object *args,
		       json_object **result)
{
	return devices_result(ops, ctx, result, device_stats);
}

static char *cmd_shutdown(const struct api_ops *ops, void *ctx, json_object *args,
		       json_object **result)
{
	ops->shutdown(ctx);
	return NULL;
}

/* String member @key of @args: its value, NULL if absent; an error reply in *bad. */
static const char *str_arg(const char *cmd, json_object *args, const char *key, bool required,
			   char **bad)
{
	json_object *v;

	*bad = NULL;
	if (!args || !json_object_object_get_ex(args, key, &v)) {
		if (required)
			*bad = api_error_reply("%s needs the argument \"%s\"; send {\"command\": \"%s\", \"arguments\": {\"%s\": ...}}",
					       cmd, key, cmd, key);
		return NULL;
	}
	if (!json_object_is_type(v, json_type_string)) {
		*bad = api_error_reply("%s: argument \"%s\" must be a string", cmd, key);
		return NULL;
	}
	return json_object_get_string(v);
}

/* The normalized BDF of argument "bdf", or an error reply in *bad. */
static bool bdf_arg(const char *cmd, json_object *args, char bdf[VMM_BDF_LEN], char **bad)
{
	const char *s = str_arg(cmd, args, "bdf", true, bad);

	if (!s)
		return false;
	if (cli_parse_bdf(s, bdf)) {
		*bad = api_error_reply("%s: '%.32s' is not a PCI address; give DDDD:BB:DD.F or BB:DD.F",
				       cmd, s);
		return false;
	}
	return true;
}

static char *cmd_add(const struct api_ops *ops, void *ctx, json_object *args,
		     json_object **result)
{
	static const enum irq_path paths[] = {
		IRQ_PATH_AUTO, IRQ_PATH_VFPOST, IRQ_PATH_VFIO, IRQ_PATH_RELAY,
	};
	struct vfio_dev_opts opts = { 0 };
	char bdf[VMM_BDF_LEN], err[512], *bad;
	const char *p;
	int path = -1;
	unsigned int i;

	if (!bdf_arg("add-device", args, bdf, &bad))
		return bad;
	p = str_arg("add-device", args, "irq_path", false, &bad);
	if (bad)
		return bad;
	for (i = 0; p && i < sizeof(paths) / sizeof(paths[0]); i++)
		if (!strcmp(p, irq_path_name(paths[i])))
			path = paths[i];
	if (p && path < 0)
		return api_error_reply("add-device: irq_path '%.32s' is not an interrupt path; use auto, vfpost, vfio or relay",
				       p);
	p = str_arg("add-device", args, "rom", false, &bad);
	if (bad)
		return bad;
	if (p && strcmp(p, "on") && strcmp(p, "off"))
		return api_error_reply("add-device: rom '%.32s' is neither on nor off (off hides the device's ROM BAR, as --vfio BDF,rom=off)",
				       p);
	opts.rom_off = p && !strcmp(p, "off");
	if (ops->add_device(ctx, bdf, path, &opts, err, sizeof(err)))
		return api_error_reply("add-device: %s", err);
	*result = json_object_new_object();
	if (*result)
		json_object_object_add(*result, "bdf", json_object_new_string(bdf));
	return NULL;
}

static char *cmd_remove(const struct api_ops *ops, void *ctx, json_object *args,
			json_object **result)
{
	unsigned int timeout = API_EJECT_MS;
	char bdf[VMM_BDF_LEN], err[512], *bad;
	bool ejected;
	json_object *v;

	if (!bdf_arg("remove-device", args, bdf, &bad))
		return bad;
	if (json_object_object_get_ex(args, "timeout_ms", &v)) {
		int64_t ms = json_object_get_int64(v);

		if (!json_object_is_type(v, json_type_int) || ms < 0 || ms > API_MAX_EJECT_MS)
			return api_error_reply("remove-device: timeout_ms must be an integer from 0 to %d (milliseconds the guest has to eject the device)",
					       API_MAX_EJECT_MS);
		timeout = ms;
	}
	if (ops->remove_device(ctx, bdf, timeout, &ejected, err, sizeof(err)))
		return api_error_reply("remove-device: %s", err);
	*result = json_object_new_object();
	if (*result)
		json_object_object_add(*result, "ejected", json_object_new_boolean(ejected));
	return NULL;
}

static const char *const add_args[] = { "bdf", "irq_path", "rom", NULL };
static const char *const remove_args[] = { "bdf", "timeout_ms", NULL };

static const struct api_cmd cmds[] = {
	{ "list-devices", NULL, cmd_list },
	{ "stats", NULL, cmd_stats },
	{ "shutdown", NULL, cmd_shutdown },
	{ "add-device", add_args, cmd_add },
	{ "remove-device", remove_args, cmd_remove },
};
#define CMD_NAMES "list-devices, stats, shutdown, add-device or remove-device"

/* Check @args against what @cmd takes: NULL, or an error reply. */
static char *check_args(const struct api_cmd *cmd, json_object *args)
{
	unsigned int i;

	if (!args)
		return NULL;
	if (!cmd->args && (!json_object_is_type(args, json_type_object) ||
			   json_object_object_length(args)))
		return api_error_reply("command '%s' takes no arguments; send {\"command\": \"%s\"}",
				       cmd->name, cmd->name);
	if (!json_object_is_type(args, json_type_object))
		return api_error_reply("%s: \"arguments\" must be an object", cmd->name);
	json_object_object_foreach(args, key, val) {
		for (i = 0; cmd->args && cmd->args[i]; i++)
			if (!strcmp(key, cmd->args[i]))
				break;
		if (!cmd->args || !cmd->args[i])
			return api_error_reply("%s takes no argument '%.64s'", cmd->name, key);
		(void)val;
	}
	return NULL;
}

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
	bad = check_args(cmd, args);
	if (bad)
		goto out;
	bad = cmd->run(ops, ctx, args, &result);
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
