/* SPDX-License-Identifier: GPL-2.0 */
/* vfpostctl output: human tables and JSON (iproute2 style). */
#ifndef _VFPOSTCTL_FORMAT_H
#define _VFPOSTCTL_FORMAT_H

#include <stdio.h>

#include "libvfpost.h"

/* Write @s as a JSON string literal (quotes and escapes). */
void fmt_json_str(FILE *f, const char *s);

/* "2026-11-23T14:55:15.123456Z" (UTC) from CLOCK_REALTIME ns. */
void fmt_time(char *buf, size_t len, uint64_t ns);

void fmt_vf_table_header(FILE *f);
void fmt_vf_table_row(FILE *f, const struct vfpost_vf *vf);
void fmt_vf_json(FILE *f, const struct vfpost_vf *vf);	/* one object */
/* "show": key/value lines. */
void fmt_vf_detail(FILE *f, const struct vfpost_vf *vf);

/*
 * Per-vector statistics.  @now_ns: CLOCK_BOOTTIME now, for the age of each
 * vector's posting decision (struct vfpost_vector posting_ns).
 */
void fmt_vectors_table(FILE *f, const struct vfpost_vector *v, unsigned int n,
		       uint64_t now_ns);
void fmt_vectors_json(FILE *f, const struct vfpost_vector *v, unsigned int n,
		      uint64_t now_ns);
/* The POSTING column: "posted cpu N vec 0xVV", "remapped" or "-". */
void fmt_posting(char *buf, size_t len, const struct vfpost_vector *v);
/* An age for a table: "4.2s", "12m05s", "3h07m", "2d05h". */
void fmt_age(char *buf, size_t len, uint64_t ns);

void fmt_event_line(FILE *f, const struct vfpost_event *ev);
void fmt_event_json(FILE *f, const struct vfpost_event *ev); /* + newline */

/* Write the compact JSON @s (@len bytes) indented, for -p. */
void fmt_json_pretty(FILE *f, const char *s, size_t len);

#endif /* _VFPOSTCTL_FORMAT_H */
