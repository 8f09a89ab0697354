// SPDX-License-Identifier: GPL-2.0
/*
 * msgq-bench: what the rounds measured, as statistics (median, min, max,
 * the ratio to the reference mechanism), a table on stdout, and
 * results.{csv,json,txt} in --out; with --print-data each file is also
 * printed between marker lines (MSGQ-BENCH-CSV-BEGIN/END, ...; with
 * --data-tag T, MSGQ-BENCH-T-CSV-BEGIN/END) for a host to pick out of a
 * serial console (scripts/bench.sh).
 */
#include "bench.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct stat3 {
	double med, min, max;
	int n;
};

static struct stat3 stats(const double *v, int rounds)
{
	double s[MAX_ROUNDS];
	struct stat3 r = { NAN, NAN, NAN, 0 };
	int i;

	for (i = 0; i < rounds; i++)
		if (!isnan(v[i]))
			s[r.n++] = v[i];
	if (!r.n)
		return r;
	qsort(s, r.n, sizeof(s[0]), cmp_double);
	r.min = s[0];
	r.max = s[r.n - 1];
	r.med = r.n % 2 ? s[r.n / 2] : (s[r.n / 2 - 1] + s[r.n / 2]) / 2;
	return r;
}

/* The statistics of mechanism @m in figure @f */
static struct stat3 fig_stats(const struct figure *f, int m)
{
	return stats(f->v[m], opt.rounds);
}

/*
 * value / reference (POSIX mq) value: the median over the rounds of the
 * ratio within each round, so that a burst of load on the host, which
 * lands on some rounds and not others, weighs on both sides of a ratio
 * alike.
 */
static double ratio(const struct figure *f, int m)
{
	int ref = mech_ref();
	double r[MAX_ROUNDS];
	int i;

	if (!f->has[ref])
		return NAN;
	for (i = 0; i < opt.rounds; i++)
		r[i] = f->v[ref][i] > 0 ? f->v[m][i] / f->v[ref][i] : NAN;
	return stats(r, opt.rounds).med;
}

static void fmt_num(char *buf, size_t n, double v)
{
	if (isnan(v))
		snprintf(buf, n, "-");
	else if (v >= 1e6)
		snprintf(buf, n, "%.2fM", v / 1e6);
	else if (v >= 1e4)
		snprintf(buf, n, "%.1fk", v / 1e3);
	else if (v >= 100)
		snprintf(buf, n, "%.0f", v);
	else if (v >= 10)
		snprintf(buf, n, "%.1f", v);
	else
		snprintf(buf, n, "%.2f", v);
}

/* ------------------------------------------------------------------ */
/* The table */

/* A column in the table: a mechanism selected (--mechs), not a floor */
static bool has_column(int m)
{
	return !mechs[m]->floor && mech_selected(m);
}

static void print_head(FILE *o)
{
	bool fan = false, ho = false;
	int m, fi;

	fprintf(o, "msgq-bench: kernel %s, %ld vCPUs, %d round%s of %d ms "
		"(+%d ms warm-up), scale %d ms%s%s\n", uts.release, ncpu,
		opt.rounds, opt.rounds == 1 ? "" : "s", opt.window_ms,
		opt.warm_ms, opt.scale_ms, *opt.label ? ", " : "", opt.label);
	fprintf(o, "cells: median (x %s: median of the per-round "
		"ratios); latency and cost lower is better, rates higher\n",
		mechs[mech_ref()]->short_name);
	fprintf(o, "msgq: one message per call (%s); msgq fast: batches of "
		"%d, ping-pong one msgq_sendrecv per round trip; msgq io_uring: "
		"batches of %d IORING_OP_WRITE / IORING_OP_READ\n",
		opt.plain_ioctl ? "MSGQ_IOC_SEND/RECV" :
		"msgq_send/msgq_recv = write/read", BATCH, BATCH);
	for (fi = 0; fi < nfigs; fi++) {
		fan |= figs[fi].kind == K_FANOUT && !figs[fi].skipped;
		ho |= figs[fi].kind == K_HANDOFF && !figs[fi].skipped;
	}
	if (fan)
		fprintf(o, "1->%d: one sender, %d subscriber processes, each "
			"message to all (msg/s: messages each delivered to all "
			"%d); fan-out: msgq one MSGQ_O_FANOUT mailbox, the "
			"others a queue per subscriber; %d queues: that for "
			"msgq too\n", FAN_N, FAN_N, FAN_N, FAN_N);
	if (ho)
		fprintf(o, "handoff, copied: payloads of %zu KiB stamped and "
			"checked; "
			"handoff: msgq and AF_UNIX pass a sealed memfd, POSIX mq "
			"copies %zu KiB messages; copied: that for msgq too\n",
			handoff_size >> 10, handoff_chunk >> 10);
	fputc('\n', o);
	fprintf(o, "| %-30s |", "figure");
	for (m = 0; m < NMECH; m++)
		if (has_column(m))
			fprintf(o, " %-17s |", mechs[m]->short_name);
	fprintf(o, "\n|%s|", "--------------------------------");
	for (m = 0; m < NMECH; m++)
		if (has_column(m))
			fprintf(o, "%s|", "-------------------");
	fputc('\n', o);
}

/* One cell: the median and its ratio, or why there is none */
static void fmt_cell(char *cell, size_t n, const struct figure *f, int m)
{
	struct stat3 s = fig_stats(f, m);
	double r = ratio(f, m);
	char a[32];

	if (!f->has[m])
		snprintf(cell, n, "n/a");
	else if (isnan(s.med))
		snprintf(cell, n, "FAILED");
	else {
		fmt_num(a, sizeof(a), s.med);
		if (isnan(r))
			snprintf(cell, n, "%s", a);
		else
			snprintf(cell, n, "%s (%.2fx)", a, r);
	}
}

static void print_rows(FILE *o)
{
	char cell[64], t[64];
	int fi, m;

	for (fi = 0; fi < nfigs; fi++) {
		const struct figure *f = &figs[fi];

		if (f->skipped)
			continue;
		snprintf(t, sizeof(t), "%s (%s)", f->title, f->unit);
		fprintf(o, "| %-30s |", t);
		for (m = 0; m < NMECH; m++) {
			if (!has_column(m))
				continue;
			fmt_cell(cell, sizeof(cell), f, m);
			fprintf(o, " %-17s |", cell);
		}
		fputc('\n', o);
	}
}

/* A mechanism without a column (the futex floor): one line, same cells */
static void print_floor(FILE *o, int m)
{
	const char *sep = "";
	char a[32];
	int fi;

	for (fi = 0; fi < nfigs; fi++) {
		const struct figure *f = &figs[fi];
		struct stat3 s = fig_stats(f, m);
		double r = ratio(f, m);

		if (f->skipped || !f->has[m] || !mech_selected(m))
			continue;
		if (!*sep)
			fprintf(o, "\nfloor: %s:", mechs[m]->floor);
		fprintf(o, "%s %s ", sep, f->one_cpu ? "1 vCPU" : "2 vCPUs");
		sep = ",";
		if (isnan(s.med)) {
			fprintf(o, "FAILED");
			continue;
		}
		fmt_num(a, sizeof(a), s.med);
		fprintf(o, "%s %s", a, f->unit);
		if (!isnan(r))
			fprintf(o, " (%.2fx %s)", r,
				mechs[mech_ref()]->short_name);
	}
	if (*sep)
		fputc('\n', o);
}

/* Flatness: the deepest and 32-priority costs against the lightest */
static void print_flatness(FILE *o)
{
	const struct figure *q[2][NDEPTH] = { { NULL } };
	int fi, m;

	for (fi = 0; fi < nfigs; fi++)
		if (figs[fi].kind == K_SCALE && !figs[fi].skipped)
			q[figs[fi].nprio ? 1 : 0][figs[fi].depth] = &figs[fi];
	if (!q[0][0] || !q[0][2] || !q[1][0] || !q[1][2])
		return;
	fprintf(o, "\nflatness (cost / cost at q=%u, 1 prio): ",
		scale_depths[0]);
	for (m = 0; m < NMECH; m++) {
		double base = fig_stats(q[0][0], m).med;

		if (!q[0][0]->has[m] || isnan(base))
			continue;
		fprintf(o, "%s q=%u %.2f, 32 prio %.2f/%.2f; ",
			mechs[m]->short_name, scale_depths[2],
			fig_stats(q[0][2], m).med / base,
			fig_stats(q[1][0], m).med / base,
			fig_stats(q[1][2], m).med / base);
	}
	fputc('\n', o);
}

/*
 * The ratio of mechanism @m's cost in figure @f to its cost in figure @b,
 * the median of the per-round ratios, and their min..max in @lo, @hi
 */
static double ratio_to(const struct figure *f, const struct figure *b,
		       int m, double *lo, double *hi)
{
	double r[MAX_ROUNDS];
	struct stat3 s;
	int i;

	for (i = 0; i < opt.rounds; i++)
		r[i] = b->v[m][i] > 0 ? f->v[m][i] / b->v[m][i] : NAN;
	s = stats(r, opt.rounds);
	*lo = s.min;
	*hi = s.max;
	return s.med;
}

/* Levels: each mechanism's cost with 32 and 32768 levels against 1 level */
static void print_levels(FILE *o)
{
	const struct figure *q[NLEVELS] = { NULL };
	double r, lo, hi;
	int fi, m, i;

	for (fi = 0; fi < nfigs; fi++)
		for (i = 0; i < NLEVELS; i++)
			if (figs[fi].kind == K_LEVELS && !figs[fi].skipped &&
			    figs[fi].levels == levels_n[i])
				q[i] = &figs[fi];
	if (!q[0])
		return;
	fprintf(o, "\nlevels (cost / cost with 1 level, median of the "
		"per-round ratios, min..max):");
	for (m = 0; m < NMECH; m++) {
		if (!q[0]->has[m] || !mech_selected(m) ||
		    isnan(fig_stats(q[0], m).med))
			continue;
		fprintf(o, "\n  %-17s", mechs[m]->short_name);
		for (i = 1; i < NLEVELS; i++) {
			if (!q[i])
				continue;
			r = ratio_to(q[i], q[0], m, &lo, &hi);
			fprintf(o, "  %u levels %.2f (%.2f..%.2f)", levels_n[i],
				r, lo, hi);
		}
	}
	fputc('\n', o);
}

/*
 * Mechanism @m's ratio to the reference (POSIX mq) in figure @f, over the
 * same in figure @b: the median of the per-round ratios. A drift of the
 * host that slows a whole variant's turn cancels out.
 */
static double ratio_to_ref(const struct figure *f, const struct figure *b,
			   int m)
{
	int ref = mech_ref(), i;
	double r[MAX_ROUNDS];

	for (i = 0; i < opt.rounds; i++)
		r[i] = f->v[m][i] * b->v[ref][i] / (f->v[ref][i] * b->v[m][i]);
	return stats(r, opt.rounds).med;
}

/* --variant: each variant's figures against the first variant's */
static void print_variants(FILE *o)
{
	const struct figure *f, *b;
	int fi, bi, m, ref = mech_ref();
	double r, lo, hi;

	if (opt.nvariants < 2)
		return;
	fprintf(o, "\nvariants (value / value with %s: median of the "
		"per-round ratios, min..max; [the same of the ratios to %s "
		"in each variant's turn])\n", opt.variant[0].name,
		mechs[ref]->short_name);
	for (bi = 0; bi < nfigs; bi++) {
		b = &figs[bi];
		if (b->variant != 0 || b->skipped)
			continue;
		for (m = 0; m < NMECH; m++) {
			if (!b->has[m] || !mech_selected(m) ||
			    isnan(fig_stats(b, m).med))
				continue;
			fprintf(o, "  %-26.*s %-17s", (int)strcspn(b->title,
				"]") + 1, b->title, mechs[m]->short_name);
			for (fi = 0; fi < nfigs; fi++) {
				f = &figs[fi];
				if (f->variant <= 0 || strncmp(f->id, b->id,
				    strcspn(b->id, "@") + 1))
					continue;
				r = ratio_to(f, b, m, &lo, &hi);
				fprintf(o, "  %s %.3f (%.3f..%.3f)",
					opt.variant[f->variant].name, r, lo,
					hi);
				if (m != ref && b->has[ref] &&
				    mech_selected(ref))
					fprintf(o, " [%.3f]",
						ratio_to_ref(f, b, m));
			}
			fputc('\n', o);
		}
	}
}

static void print_spread(FILE *o)
{
	char a[32], b[32], c[32];
	int fi, m;

	fprintf(o, "\nspread: min..max over rounds, and MB/s for throughput\n");
	for (fi = 0; fi < nfigs; fi++) {
		const struct figure *f = &figs[fi];

		if (f->skipped)
			continue;
		fprintf(o, "  %-26s", f->title);
		for (m = 0; m < NMECH; m++) {
			struct stat3 s = fig_stats(f, m);

			if (!f->has[m] || isnan(s.med))
				continue;
			fmt_num(a, sizeof(a), s.min);
			fmt_num(b, sizeof(b), s.max);
			if (f->kind == K_TPUT) {
				fmt_num(c, sizeof(c), s.med * f->size / 1e6);
				fprintf(o, "  %s %s..%s %sMB/s;",
					mechs[m]->short_name, a, b, c);
			} else {
				fprintf(o, "  %s %s..%s;",
					mechs[m]->short_name, a, b);
			}
		}
		fputc('\n', o);
	}
}

void print_table(FILE *o)
{
	int m;

	print_head(o);
	print_rows(o);
	for (m = 0; m < NMECH; m++)
		if (mechs[m]->floor)
			print_floor(o, m);
	print_flatness(o);
	print_levels(o);
	print_variants(o);
	print_spread(o);
}

/* ------------------------------------------------------------------ */
/* CSV and JSON */

/* CSV fields carry no commas: titles are written without any. */
static void write_csv(FILE *o)
{
	int fi, m, r;

	fprintf(o, "figure,title,kind,size,depth,priorities,unit,"
		"higher_is_better,mechanism,median,min,max,rounds,"
		"ratio_to_posix_mq,mb_per_s,samples,variant\n");
	for (fi = 0; fi < nfigs; fi++) {
		const struct figure *f = &figs[fi];

		for (m = 0; m < NMECH; m++) {
			struct stat3 s = fig_stats(f, m);
			double rt = ratio(f, m);

			if (!f->has[m] || isnan(s.med))
				continue;
			fprintf(o, "%s,%s,%s,%zu,%u,%u,%s,%d,%s,%.6g,%.6g,%.6g,"
				"%d,", f->id, f->title,
				f->kind == K_PINGPONG ? "latency" :
				f->kind == K_SCALE ? "cost" :
				f->kind == K_LEVELS ? "levels" :
				f->kind == K_FANOUT ? "fanout" :
				f->kind == K_HANDOFF ? "handoff" : "throughput",
				f->size, f->kind == K_SCALE ?
				scale_depths[f->depth] :
				f->kind == K_LEVELS ? levels_depth : 0,
				f->kind == K_SCALE ? (f->nprio ? 32 : 1) :
				f->kind == K_LEVELS ? f->levels : 0,
				f->unit, f->higher_better, mechs[m]->name,
				s.med, s.min, s.max, s.n);
			if (!isnan(rt))
				fprintf(o, "%.4f", rt);
			fputc(',', o);
			if (f->kind == K_TPUT || f->kind == K_CONTEND)
				fprintf(o, "%.4g", s.med * f->size / 1e6);
			fputc(',', o);
			for (r = 0; r < opt.rounds; r++)
				if (!isnan(f->v[m][r]))
					fprintf(o, "%s%.6g", r ? " " : "",
						f->v[m][r]);
			fprintf(o, ",%s\n", f->variant < 0 ? "" :
				opt.variant[f->variant].name);
		}
	}
}

/* ", "@key": " and @v, or null */
static void json_num(FILE *o, const char *key, double v)
{
	if (key)
		fprintf(o, ", \"%s\": ", key);
	if (isnan(v))
		fprintf(o, "null");
	else
		fprintf(o, "%.6g", v);
}

static void write_json(FILE *o)
{
	int fi, m, r, first = 1;

	fprintf(o, "{\"kernel\": \"%s\", \"vcpus\": %ld, \"rounds\": %d, "
		"\"window_ms\": %d, \"warm_ms\": %d, \"scale_ms\": %d, "
		"\"queue_depth\": %d, \"batch\": %d, \"smoke\": %s, "
		"\"plain\": \"%s\", \"label\": \"%s\",\n \"results\": [\n",
		uts.release, ncpu, opt.rounds, opt.window_ms, opt.warm_ms,
		opt.scale_ms, QDEPTH, BATCH, opt.smoke ? "true" : "false",
		opt.plain_ioctl ? "ioctl" : "read/write", opt.label);
	for (fi = 0; fi < nfigs; fi++) {
		const struct figure *f = &figs[fi];

		for (m = 0; m < NMECH; m++) {
			struct stat3 s = fig_stats(f, m);

			if (!f->has[m] || isnan(s.med))
				continue;
			fprintf(o, "%s  {\"figure\": \"%s\", \"title\": \"%s\", "
				"\"unit\": \"%s\", \"higher_is_better\": %s, "
				"\"size\": %zu, \"mechanism\": \"%s\", "
				"\"median\": ", first ? "" : ",\n", f->id,
				f->title, f->unit,
				f->higher_better ? "true" : "false", f->size,
				mechs[m]->name);
			first = 0;
			json_num(o, NULL, s.med);
			json_num(o, "min", s.min);
			json_num(o, "max", s.max);
			json_num(o, "ratio_to_posix_mq", ratio(f, m));
			if (f->kind == K_SCALE)
				fprintf(o, ", \"depth\": %u, \"priorities\": %u",
					scale_depths[f->depth],
					f->nprio ? 32 : 1);
			if (f->kind == K_LEVELS)
				fprintf(o, ", \"depth\": %u, \"burst\": %u, "
					"\"priorities\": %u", levels_depth,
					levels_burst, f->levels);
			if (f->variant >= 0)
				fprintf(o, ", \"variant\": \"%s\"",
					opt.variant[f->variant].name);
			if (f->kind == K_TPUT || f->kind == K_CONTEND)
				json_num(o, "mb_per_s", s.med * f->size / 1e6);
			fprintf(o, ", \"samples\": [");
			for (r = 0; r < opt.rounds; r++) {
				fprintf(o, "%s", r ? ", " : "");
				json_num(o, NULL, f->v[m][r]);
			}
			fprintf(o, "]}");
		}
	}
	fprintf(o, "\n ]}\n");
}

/* ------------------------------------------------------------------ */
/* The files */

static void dump_file(const char *path, const char *tag)
{
	char line[4096];
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	printf("MSGQ-BENCH-%s%s%s-BEGIN\n", opt.data_tag,
	       *opt.data_tag ? "-" : "", tag);
	while (fgets(line, sizeof(line), f))
		fputs(line, stdout);
	printf("MSGQ-BENCH-%s%s%s-END\n", opt.data_tag,
	       *opt.data_tag ? "-" : "", tag);
	fclose(f);
	fflush(stdout);
}

/* results.{csv,json,txt} in --out, each printed too with --print-data */
void write_results(void)
{
	static const struct {
		const char *file, *tag;
		void (*write)(FILE *o);
		bool optional;	/* no file is no failure */
	} outs[] = {
		{ "results.csv", "CSV", write_csv, false },
		{ "results.json", "JSON", write_json, false },
		{ "results.txt", "TABLE", print_table, true },
	};
	char path[512];
	unsigned int i;
	FILE *f;

	mkdir(opt.out, 0755);
	for (i = 0; i < sizeof(outs) / sizeof(outs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", opt.out, outs[i].file);
		f = fopen(path, "w");
		if (!f && !outs[i].optional)
			die("%s: %s", path, strerror(errno));
		if (f) {
			outs[i].write(f);
			fclose(f);
		}
		if (opt.print_data)
			dump_file(path, outs[i].tag);
	}
}
