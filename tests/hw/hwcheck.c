/* hwcheck: samples gpio-sim line values while something happens, then
 * compares what the wire did with the pattern table (core/pattern.c).
 *
 *   hwcheck [-w separate|rgb] [-i INVERT] [-t TOTAL_MS] [-a AT_MS] [-r CMD]
 *           [-l LATENCY_MS] -e PATTERN[,PATTERN...] FILE0 FILE1 FILE2 FILE3
 *
 * FILEn is the sysfs "value" file of configured line n ("-" when unused);
 * INVERT is a mask of line indexes that are active-low. At AT_MS after
 * sampling starts, CMD runs (sh -c, not waited for; without -r the caller
 * is expected to act at AT_MS itself); the lights must then
 * play the listed patterns in order, within LATENCY_MS of it: all but the
 * last once, the last looping when it is a looping pattern. A looping
 * pattern may start at any phase (the daemon keeps a background's phase
 * when feedback plays over it), so every phase is tried. NAME@MS stands for
 * a looping pattern shown for MS from its start (e.g. waiting@6000).
 *
 * Step lengths must match within max(TOL_MS, TOL_PCT); flickers shorter than
 * GLITCH_MS are ignored (libgpiod 1.x sets lines one by one, and four sysfs
 * files are not read at one instant). Prints "# " lines; exit 0 on a match.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tapmeet/pattern.h"

#define TOL_MS 150
#define TOL_PCT 25
#define GLITCH_MS 25
#define MAX_SEG 4096
#define MAX_EXP 512

struct seg {
	unsigned mask;
	int64_t start, end; /* ms since sampling began */
};

struct exp {
	unsigned mask;
	int64_t lo, hi; /* allowed length */
	const char *what;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int read_value(int fd)
{
	char c;

	if (pread(fd, &c, 1, 0) != 1)
		return -1;
	return c == '1';
}

static enum tm_pattern pattern_by_name(const char *name)
{
	for (int p = 0; p < TM_PATTERN_COUNT; p++)
		if (strcmp(tm_pattern_name((enum tm_pattern)p), name) == 0)
			return (enum tm_pattern)p;
	fprintf(stderr, "hwcheck: no pattern named %s\n", name);
	exit(2);
}

static void mask_str(unsigned mask, unsigned used, char *buf)
{
	int n = 0;

	for (int i = 0; i < TM_LINES_MAX; i++)
		if (used & (1u << i))
			buf[n++] = (mask >> i) & 1 ? '1' : '0';
	buf[n] = '\0';
}

/* Appends a step, merging it with the previous one when the lines agree. */
static void push(struct exp *e, int *n, unsigned mask, int64_t lo, int64_t hi, const char *what)
{
	if (*n > 0 && e[*n - 1].mask == mask) {
		e[*n - 1].lo += lo;
		e[*n - 1].hi += hi;
		return;
	}
	if (*n >= MAX_EXP)
		return;
	e[*n].mask = mask;
	e[*n].lo = lo;
	e[*n].hi = hi;
	e[*n].what = what;
	(*n)++;
}

static int64_t tol(int64_t ms)
{
	int64_t p = ms * TOL_PCT / 100;

	return p > TOL_MS ? p : TOL_MS;
}

/* How many observed segments, from `first`, follow the expected steps. */
static int match(const struct seg *s, int ns, int first, int64_t t_ev, const struct exp *e, int ne,
		 bool *complete)
{
	int i, k = 0;

	*complete = false;
	for (i = first; i < ns && k < ne; i++, k++) {
		int64_t start = s[i].start < t_ev ? t_ev : s[i].start;
		int64_t len = s[i].end - start;
		bool last = i == ns - 1;

		if (s[i].mask != e[k].mask)
			return i - first;
		if (len > e[k].hi + tol(e[k].hi))
			return i - first;
		/* The first one may have begun before the event; the last is cut short. */
		if (i != first && !last && len < e[k].lo - tol(e[k].lo))
			return i - first;
	}
	*complete = i == ns;
	return i - first;
}

int main(int argc, char **argv)
{
	enum tm_wiring wiring = TM_WIRING_SEPARATE;
	unsigned invert = 0, used = 0;
	int64_t total = 4000, at = 200, latency = 1000;
	const char *cmd = NULL, *expect = NULL;
	int fds[TM_LINES_MAX];
	static struct seg seg[MAX_SEG];
	static struct exp e[MAX_EXP], best_e[MAX_EXP];
	int ns = 0, opt, ne_best = 0, best = -1;
	pid_t child = -1;
	int64_t t0, t_ev = -1, t;
	char buf[8], buf2[8];
	bool matched = false;

	while ((opt = getopt(argc, argv, "w:i:t:a:r:l:e:")) != -1) {
		switch (opt) {
		case 'w':
			wiring = strcmp(optarg, "rgb") == 0 ? TM_WIRING_RGB : TM_WIRING_SEPARATE;
			break;
		case 'i':
			invert = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case 't':
			total = atoll(optarg);
			break;
		case 'a':
			at = atoll(optarg);
			break;
		case 'r':
			cmd = optarg;
			break;
		case 'l':
			latency = atoll(optarg);
			break;
		case 'e':
			expect = optarg;
			break;
		default:
			return 2;
		}
	}
	if (!expect || argc - optind != TM_LINES_MAX || (!cmd && at < 0)) {
		fprintf(stderr, "usage: hwcheck [-w W] [-i INV] [-t MS] [-a MS] [-r CMD] [-l MS] "
				"-e PATTERNS FILE0 FILE1 FILE2 FILE3\n");
		return 2;
	}
	for (int i = 0; i < TM_LINES_MAX; i++) {
		fds[i] = -1;
		if (strcmp(argv[optind + i], "-") == 0)
			continue;
		fds[i] = open(argv[optind + i], O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0) {
			fprintf(stderr, "hwcheck: %s: %s\n", argv[optind + i], strerror(errno));
			return 2;
		}
		used |= 1u << i;
	}

	/* Sample. */
	t0 = now_ms();
	for (t = 0; t < total; t = now_ms() - t0) {
		unsigned mask = 0;
		struct timespec pause = { 0, 2 * 1000 * 1000 };

		if (cmd && t_ev < 0 && t >= at) {
			t_ev = t;
			child = fork();
			if (child == 0) {
				execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
				_exit(127);
			}
		}
		for (int i = 0; i < TM_LINES_MAX; i++)
			if (fds[i] >= 0 && read_value(fds[i]) == 1)
				mask |= 1u << i;
		mask ^= invert & used;
		if (ns == 0 || seg[ns - 1].mask != mask) {
			if (ns > 0)
				seg[ns - 1].end = t;
			if (ns == MAX_SEG)
				break;
			seg[ns].mask = mask;
			seg[ns].start = t;
			ns++;
		}
		nanosleep(&pause, NULL);
	}
	seg[ns - 1].end = now_ms() - t0;
	if (t_ev < 0)
		t_ev = at; /* no command: the caller starts things at AT_MS itself */
	if (child > 0)
		waitpid(child, NULL, WNOHANG);

	/* Drop flickers, then merge neighbours that now agree. */
	{
		int w = 0;

		for (int i = 0; i < ns; i++) {
			bool inner = i > 0 && i < ns - 1;

			if (inner && seg[i].end - seg[i].start < GLITCH_MS) {
				seg[w - 1].end = seg[i].end;
				continue;
			}
			if (w > 0 && seg[w - 1].mask == seg[i].mask) {
				seg[w - 1].end = seg[i].end;
				continue;
			}
			seg[w++] = seg[i];
		}
		ns = w;
	}

	/* Expected steps; try every phase of the last (looping) pattern. */
	{
		char list[256];
		enum tm_pattern pats[16];
		int64_t play_ms[16];
		int np = 0;
		const struct tm_pattern_def *last;

		snprintf(list, sizeof(list), "%s", expect);
		for (char *tok = strtok(list, ","); tok && np < 16; tok = strtok(NULL, ",")) {
			char *atsign = strchr(tok, '@');

			play_ms[np] = 0;
			if (atsign) {
				*atsign = '\0';
				play_ms[np] = atoll(atsign + 1);
			}
			pats[np++] = pattern_by_name(tok);
		}
		last = tm_pattern_get(pats[np - 1]);

		for (int phase = 0; phase < (last->loops ? last->n_steps : 1) && !matched; phase++) {
			int ne = 0, n_once, first, got;
			bool complete;

			for (int p = 0; p < np - 1 || (p == np - 1 && !last->loops); p++) {
				const struct tm_pattern_def *d = tm_pattern_get(pats[p]);
				/* NAME@MS: a looping pattern shown for MS, from its start. */
				int64_t left = play_ms[p] ? play_ms[p] : tm_pattern_length(pats[p]);

				for (int k = 0; left > 0 && d->n_steps; k = (k + 1) % d->n_steps) {
					int64_t ms = d->steps[k].ms < left ? d->steps[k].ms : left;

					push(e, &ne,
					     tm_wiring_lines(wiring, d->steps[k].lights) & used,
					     ms, ms, d->name);
					left -= ms;
				}
			}
			n_once = ne;
			if (last->loops) {
				int64_t span = 0;

				/* The first step of the loop may be entered anywhere in it. */
				for (int k = phase, first_step = 1; span < total + 5000;
				     k = (k + 1) % last->n_steps, first_step = 0) {
					int64_t ms = last->steps[k].ms;

					push(e, &ne, tm_wiring_lines(wiring, last->steps[k].lights) & used,
					     first_step ? 0 : ms, ms, last->name);
					span += ms;
					if (ne >= MAX_EXP - 1)
						break;
				}
			}

			/* The segment showing at the event, if it already has the first
			 * step's lights; otherwise the first later one that has them,
			 * within the latency (lines being requested may flicker first). */
			for (first = 0; first < ns - 1 && seg[first].end <= t_ev; first++)
				;
			for (int i = first; i < ns && seg[i].start - t_ev <= latency; i++) {
				if (seg[i].mask == e[0].mask) {
					first = i;
					break;
				}
			}
			got = match(seg, ns, first, t_ev, e, ne, &complete);
			if (got > best) {
				best = got;
				ne_best = ne;
				memcpy(best_e, e, sizeof(e[0]) * (size_t)ne);
			}
			/* Once-only patterns must have been seen to the end. */
			if (last->loops ? complete && got >= n_once : got >= ne)
				matched = true;
		}
	}

	printf("# sampled %lld ms, event at %lld ms: %d segments%s\n", (long long)total,
	       (long long)t_ev, ns, matched ? " match the table" : " DO NOT match the table");
	if (!matched || getenv("HWCHECK_VERBOSE")) {
		for (int i = 0; i < ns; i++) {
			mask_str(seg[i].mask, used, buf);
			printf("#   observed %6lld..%6lld %5lld ms  %s\n", (long long)seg[i].start,
			       (long long)seg[i].end, (long long)(seg[i].end - seg[i].start), buf);
		}
		for (int k = 0; k < ne_best && k < 24; k++) {
			mask_str(best_e[k].mask, used, buf2);
			printf("#   expected %-14s %4lld..%4lld ms  %s%s\n", best_e[k].what,
			       (long long)best_e[k].lo, (long long)best_e[k].hi, buf2,
			       k == best ? "   <- first mismatch" : "");
		}
	}
	return matched ? 0 : 1;
}
