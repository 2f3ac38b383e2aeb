// SPDX-License-Identifier: GPL-2.0
/* vfpostctl output formatting: tables for people, JSON for programs. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "format.h"

void fmt_json_str(FILE *f, const char *s)
{
	const unsigned char *p;

	fputc('"', f);
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

/* ,"@key":"@val" unless @val is empty (absent). */
static void json_str_field(FILE *f, const char *key, const char *val)
{
	if (!*val)
		return;
	fprintf(f, ",\"%s\":", key);
	fmt_json_str(f, val);
}

void fmt_time(char *buf, size_t len, uint64_t ns)
{
	time_t sec = (time_t)(ns / 1000000000ULL);
	struct tm tm;
	size_t n;

	if (!gmtime_r(&sec, &tm)) {
		snprintf(buf, len, "%" PRIu64, ns);
		return;
	}
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%06uZ",
		 (unsigned int)(ns % 1000000000ULL / 1000));
}

static const char *or_dash(const char *s)
{
	return *s ? s : "-";
}

void fmt_vf_table_header(FILE *f)
{
	fprintf(f, "%-12s  %-12s  %3s  %-9s  %-12s  %5s  %-8s  %7s  %s\n",
		"BDF", "PF", "VF", "ID", "DRIVER", "GROUP", "STATE", "OWNER",
		"CLAIMED");
}

void fmt_vf_table_row(FILE *f, const struct vfpost_vf *vf)
{
	char id[16], group[16], owner[16];

	snprintf(id, sizeof(id), "%04x:%04x", vf->vendor, vf->device);
	if (vf->iommu_group >= 0)
		snprintf(group, sizeof(group), "%d", vf->iommu_group);
	else
		snprintf(group, sizeof(group), "-");
	if (vf->owner_pid)
		snprintf(owner, sizeof(owner), "%u", vf->owner_pid);
	else
		snprintf(owner, sizeof(owner), "-");
	fprintf(f, "%-12s  %-12s  %3u  %-9s  %-12s  %5s  %-8s  %7s  %s\n",
		vf->bdf, vf->pf_bdf, vf->vf_index, id, or_dash(vf->driver),
		group, vfpost_state_name(vf->state), owner,
		vf->claimed ? "yes" : "no");
}

void fmt_vf_json(FILE *f, const struct vfpost_vf *vf)
{
	fputs("{\"bdf\":", f);
	fmt_json_str(f, vf->bdf);
	fputs(",\"pf\":", f);
	fmt_json_str(f, vf->pf_bdf);
	fprintf(f, ",\"vf_index\":%u,\"vendor\":\"%04x\",\"device\":\"%04x\"",
		vf->vf_index, vf->vendor, vf->device);
	/* Absent values are left out (iproute2 style), never null. */
	json_str_field(f, "driver", vf->driver);
	if (vf->iommu_group >= 0)
		fprintf(f, ",\"iommu_group\":%d", vf->iommu_group);
	fprintf(f, ",\"state\":\"%s\"", vfpost_state_name(vf->state));
	if (vf->owner_pid)
		fprintf(f, ",\"owner_pid\":%u", vf->owner_pid);
	fprintf(f, ",\"claimed\":%s", vf->claimed ? "true" : "false");
	if (vf->claimed) {
		json_str_field(f, "prev_driver", vf->prev_driver);
		json_str_field(f, "prev_override", vf->prev_override);
		if (vf->release_on_close)
			fputs(",\"release_on_close\":true", f);
	}
	fprintf(f, ",\"created_ns\":%" PRIu64 ",\"changed_ns\":%" PRIu64
		",\"seq\":%" PRIu64 "}", vf->created_ns, vf->changed_ns,
		vf->seq);
}

void fmt_vf_detail(FILE *f, const struct vfpost_vf *vf)
{
	char t[64];

	fprintf(f, "%-14s %s\n", "bdf", vf->bdf);
	fprintf(f, "%-14s %s\n", "pf", vf->pf_bdf);
	fprintf(f, "%-14s %u\n", "vf index", vf->vf_index);
	fprintf(f, "%-14s %04x:%04x\n", "id", vf->vendor, vf->device);
	fprintf(f, "%-14s %s\n", "driver", or_dash(vf->driver));
	if (vf->iommu_group >= 0)
		fprintf(f, "%-14s %d\n", "iommu group", vf->iommu_group);
	else
		fprintf(f, "%-14s -\n", "iommu group");
	fprintf(f, "%-14s %s\n", "state", vfpost_state_name(vf->state));
	if (vf->owner_pid)
		fprintf(f, "%-14s %u\n", "owner pid", vf->owner_pid);
	else
		fprintf(f, "%-14s -\n", "owner pid");
	if (vf->claimed)
		fprintf(f, "%-14s yes (was driver %s, override %s)%s\n",
			"claimed", or_dash(vf->prev_driver),
			or_dash(vf->prev_override),
			vf->release_on_close ?
			", until its claimant's socket closes" : "");
	else
		fprintf(f, "%-14s no\n", "claimed");
	fmt_time(t, sizeof(t), vf->created_ns);
	fprintf(f, "%-14s %s\n", "created", t);
	fmt_time(t, sizeof(t), vf->changed_ns);
	fprintf(f, "%-14s %s\n", "changed", t);
}

/*
 * "connected" is marked and explained under the table: it means KVM's irqfd
 * consumer paired with the vector's producer, which 6.1 does even where
 * nothing can be posted.  It is easily read as "posted"; it is not.
 */
static const char connected_note[] =
	"* connected: KVM's irqfd consumer is paired with the vector's producer.\n"
	"  Not proof that interrupts are posted: see \"Verifying posting\" in\n"
	"  Documentation/fast-path.rst.\n";

void fmt_posting(char *buf, size_t len, const struct vfpost_vector *v)
{
	switch (v->posting) {
	case VFPOST_POSTING_POSTED:
		snprintf(buf, len, "posted cpu %u vec 0x%02x", v->posted_vcpu,
			 v->posted_vector);
		break;
	case VFPOST_POSTING_REMAPPED:
		snprintf(buf, len, "remapped");
		break;
	case VFPOST_POSTING_NONE:
		snprintf(buf, len, "-");
		break;
	default:
		snprintf(buf, len, "? (%d)", (int)v->posting);
	}
}

void fmt_age(char *buf, size_t len, uint64_t ns)
{
	uint64_t s = ns / 1000000000ull;

	if (s < 60)
		snprintf(buf, len, "%" PRIu64 ".%" PRIu64 "s", s,
			 ns / 100000000u % 10);
	else if (s < 3600)
		snprintf(buf, len, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%" PRIu64 "h%02" PRIu64 "m", s / 3600,
			 s / 60 % 60);
	else
		snprintf(buf, len, "%" PRIu64 "d%02" PRIu64 "h", s / 86400,
			 s / 3600 % 24);
}

/* How long ago the posting decision of @v changed; 0 if in the future. */
static uint64_t posting_age(const struct vfpost_vector *v, uint64_t now_ns)
{
	return now_ns > v->posting_ns ? now_ns - v->posting_ns : 0;
}

/*
 * CHANGED is the age of the posting decision, POSTING the decision (last,
 * unpadded: its width varies).
 */
void fmt_vectors_table(FILE *f, const struct vfpost_vector *v, unsigned int n,
		       uint64_t now_ns)
{
	bool connected = false;
	unsigned int i;

	fprintf(f, "%6s  %8s  %12s  %12s  %6s  %7s  %-10s  %8s  %7s  %s\n",
		"VECTOR", "HOST_IRQ", "HOST_HITS", "MASKED_HITS", "MASKED",
		"PENDING", "BYPASS", "LAST_CPU", "CHANGED", "POSTING");
	for (i = 0; i < n; i++, v++) {
		char cpu[16], bypass[16], posting[48], age[24] = "-";

		if (v->last_cpu >= 0)
			snprintf(cpu, sizeof(cpu), "%d", v->last_cpu);
		else
			snprintf(cpu, sizeof(cpu), "-");
		snprintf(bypass, sizeof(bypass), "%s%s",
			 vfpost_bypass_name(v->bypass),
			 v->bypass == VFPOST_BYPASS_STATE_CONNECTED ? "*" : "");
		if (v->bypass == VFPOST_BYPASS_STATE_CONNECTED)
			connected = true;
		fmt_posting(posting, sizeof(posting), v);
		if (v->posting != VFPOST_POSTING_NONE)
			fmt_age(age, sizeof(age), posting_age(v, now_ns));
		fprintf(f, "%6u  %8u  %12" PRIu64 "  %12" PRIu64
			"  %6s  %7s  %-10s  %8s  %7s  %s\n", v->index,
			v->host_irq, v->host_hits, v->masked_hits,
			v->masked ? "yes" : "no", v->pending ? "yes" : "no",
			bypass, cpu, age, posting);
	}
	if (connected)
		fputs(connected_note, f);
}

void fmt_vectors_json(FILE *f, const struct vfpost_vector *v, unsigned int n,
		      uint64_t now_ns)
{
	unsigned int i;

	fputc('[', f);
	for (i = 0; i < n; i++, v++) {
		fprintf(f, "%s{\"vector\":%u,\"host_irq\":%u,\"host_hits\":%"
			PRIu64 ",\"masked_hits\":%" PRIu64 ",\"masked\":%s,"
			"\"pending\":%s,\"bypass\":\"%s\"",
			i ? "," : "", v->index, v->host_irq, v->host_hits,
			v->masked_hits, v->masked ? "true" : "false",
			v->pending ? "true" : "false",
			vfpost_bypass_name(v->bypass));
		if (v->last_cpu >= 0)
			fprintf(f, ",\"last_cpu\":%d", v->last_cpu);
		fprintf(f, ",\"posting\":\"%s\"", vfpost_posting_name(v->posting));
		if (v->posting == VFPOST_POSTING_POSTED)
			fprintf(f, ",\"posted_vcpu\":%u,\"posted_vector\":%u",
				v->posted_vcpu, v->posted_vector);
		if (v->posting != VFPOST_POSTING_NONE)
			fprintf(f, ",\"posting_changed_ns\":%" PRIu64
				",\"posting_age_ns\":%" PRIu64, v->posting_ns,
				posting_age(v, now_ns));
		fputc('}', f);
	}
	fputc(']', f);
}

void fmt_event_line(FILE *f, const struct vfpost_event *ev)
{
	char t[64];

	if (ev->type == VFPOST_EVENT_LIB_GAP) {
		fprintf(f, "-- %" PRIu64 " event(s) lost\n", ev->lost);
		return;
	}
	if (ev->type == VFPOST_EVENT_LIB_RESYNC) {
		fprintf(f, "-- events overflowed; resynced at seq %" PRIu64
			" (%u VFs)\n", ev->seq, ev->nr_vfs);
		return;
	}
	if (ev->type == VFPOST_EVENT_LIB_UNLOADED) {
		fputs("-- the vfpost module was unloaded\n", f);
		return;
	}
	if (ev->type == VFPOST_EVENT_LIB_RELOADED) {
		fprintf(f, "-- the vfpost module was loaded again; its events "
			"restart after seq %" PRIu64 " (%u VFs)\n", ev->seq,
			ev->nr_vfs);
		return;
	}
	fmt_time(t, sizeof(t), ev->timestamp_ns);
	fprintf(f, "%" PRIu64 " %s %-16s %s", ev->seq, t,
		vfpost_event_name(ev->type),
		ev->bdf[0] ? ev->bdf : ev->pf_bdf);
	switch (ev->type) {
	case VFPOST_EVENT_VF_ADDED:
		fprintf(f, " pf %s vf %u", ev->pf_bdf, ev->vf_index);
		break;
	case VFPOST_EVENT_DRIVER_BOUND:
	case VFPOST_EVENT_DRIVER_UNBOUND:
		fprintf(f, " driver %s", or_dash(ev->driver));
		break;
	case VFPOST_EVENT_VF_OPENED:
	case VFPOST_EVENT_VF_CLOSED:
		fprintf(f, " pid %u", ev->pid);
		break;
	case VFPOST_EVENT_VF_REMOVE_REQUESTED:
		fprintf(f, " pid %u count %u", ev->pid, ev->request_count);
		break;
	case VFPOST_EVENT_PF_NUMVFS:
		fprintf(f, " numvfs %u", ev->num_vfs);
		break;
	case VFPOST_EVENT_VF_RELEASED:
		fprintf(f, " driver %s", or_dash(ev->driver));
		/* fall through */
	case VFPOST_EVENT_VF_CLAIMED:
		if (ev->error)
			fprintf(f, " failed: %s", strerror(ev->error));
		break;
	}
	fputc('\n', f);
}

void fmt_event_json(FILE *f, const struct vfpost_event *ev)
{
	fprintf(f, "{\"seq\":%" PRIu64 ",\"event\":\"%s\"", ev->seq,
		vfpost_event_name(ev->type));
	if (ev->type == VFPOST_EVENT_LIB_GAP) {
		fprintf(f, ",\"lost\":%" PRIu64 "}\n", ev->lost);
		return;
	}
	if (ev->type == VFPOST_EVENT_LIB_UNLOADED) {
		fputs("}\n", f);
		return;
	}
	if (ev->type == VFPOST_EVENT_LIB_RESYNC ||
	    ev->type == VFPOST_EVENT_LIB_RELOADED) {
		unsigned int i;

		fputs(",\"vfs\":[", f);
		for (i = 0; i < ev->nr_vfs; i++) {
			if (i)
				fputc(',', f);
			fmt_vf_json(f, vfpost_event_vf(ev, i));
		}
		fputs("]}\n", f);
		return;
	}
	fprintf(f, ",\"timestamp_ns\":%" PRIu64, ev->timestamp_ns);
	if (ev->bdf[0]) {
		fputs(",\"bdf\":", f);
		fmt_json_str(f, ev->bdf);
		fprintf(f, ",\"vf_index\":%u", ev->vf_index);
	}
	fputs(",\"pf\":", f);
	fmt_json_str(f, ev->pf_bdf);
	switch (ev->type) {
	case VFPOST_EVENT_DRIVER_BOUND:
	case VFPOST_EVENT_DRIVER_UNBOUND:
		json_str_field(f, "driver", ev->driver);
		break;
	case VFPOST_EVENT_VF_OPENED:
	case VFPOST_EVENT_VF_CLOSED:
		fprintf(f, ",\"pid\":%u", ev->pid);
		break;
	case VFPOST_EVENT_VF_REMOVE_REQUESTED:
		fprintf(f, ",\"pid\":%u,\"request_count\":%u", ev->pid,
			ev->request_count);
		break;
	case VFPOST_EVENT_PF_NUMVFS:
		fprintf(f, ",\"num_vfs\":%u", ev->num_vfs);
		break;
	case VFPOST_EVENT_VF_RELEASED:
		json_str_field(f, "driver", ev->driver);
		/* fall through */
	case VFPOST_EVENT_VF_CLAIMED:
		fprintf(f, ",\"error\":%d", ev->error);
		break;
	}
	fputs("}\n", f);
}

static void newline(FILE *f, unsigned int depth)
{
	fputc('\n', f);
	while (depth--)
		fputs("  ", f);
}

/*
 * Re-indent compact JSON (what the fmt_*_json functions write): one member
 * or element per line, two spaces a level, "key": value.  Strings are
 * copied as they are; empty objects and arrays stay "{}" and "[]".
 */
void fmt_json_pretty(FILE *f, const char *s, size_t len)
{
	unsigned int depth = 0;
	bool in_str = false;
	size_t i;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (in_str) {
			fputc(c, f);
			if (c == '\\' && i + 1 < len)
				fputc(s[++i], f);
			else if (c == '"')
				in_str = false;
			continue;
		}
		switch (c) {
		case '"':
			in_str = true;
			fputc(c, f);
			break;
		case '{':
		case '[':
			fputc(c, f);
			if (i + 1 < len && (s[i + 1] == '}' || s[i + 1] == ']')) {
				fputc(s[++i], f);
				break;
			}
			newline(f, ++depth);
			break;
		case '}':
		case ']':
			if (depth)
				depth--;
			newline(f, depth);
			fputc(c, f);
			break;
		case ',':
			fputc(c, f);
			newline(f, depth);
			break;
		case ':':
			fputs(": ", f);
			break;
		default:
			fputc(c, f);
		}
	}
}
