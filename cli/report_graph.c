/* tapmeet report: the network as a picture, laid out by Graphviz's sfdp
 * (force-directed, made for large graphs). The DOT goes to sfdp through a
 * file and its SVG comes back through another, so neither side can block
 * on a full pipe; sfdp gets REPORT_GRAPH_SECONDS (an alarm, which survives
 * exec) and the page says what happened when it fails or is missing. */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* People with their names beside them; the others are dots with a tooltip. */
#define NAMED_NODES 40

/* A quoted DOT string. Graphviz reads "&amp;" and the like as entities in
 * labels, so '&' is written as one: the SVG then shows the text as typed. */
static void dot_text(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch == '&')
			fputs("&amp;", f);
		else if (ch < 0x20 || ch == 0x7f)
			fputs("\xef\xbf\xbd", f);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

/* sfdp on PATH, as execvp would find it; false when it is not there. */
static bool find_sfdp(char *out, size_t size)
{
	const char *path = getenv("PATH");

	if (!path)
		return false;
	while (*path) {
		size_t len = strcspn(path, ":");

		if (len && (size_t)snprintf(out, size, "%.*s/sfdp", (int)len, path) < size &&
		    access(out, X_OK) == 0)
			return true;
		path += len + (path[len] == ':');
	}
	return false;
}

static int by_people(const void *a, const void *b, void *ctx)
{
	const struct tm_report_person *p = ctx;
	int64_t x = p[*(const size_t *)a].people, y = p[*(const size_t *)b].people;

	if (x != y)
		return x < y ? 1 : -1;
	return (*(const size_t *)a > *(const size_t *)b) - (*(const size_t *)a < *(const size_t *)b);
}

/* The strongest pairs as DOT: nodes are people (sized by how many they
 * met), edges pairs (thicker for more meetings, dashed when every meeting
 * was suspect). */
static int write_dot(FILE *f, const struct tm_report *r)
{
	size_t *slot = calloc(r->n_people ? r->n_people : 1, sizeof(*slot));
	size_t *drawn = calloc(r->n_people ? r->n_people : 1, sizeof(*drawn));
	size_t n = 0;

	if (!slot || !drawn) {
		free(slot);
		free(drawn);
		return -ENOMEM;
	}
	/* slot: 1 + position in drawn, for people in a kept pair. */
	for (size_t i = 0; i < r->n_edges; i++) {
		size_t ends[2] = { r->edges[i].a, r->edges[i].b };

		for (int k = 0; k < 2; k++)
			if (!slot[ends[k]]) {
				drawn[n] = ends[k];
				slot[ends[k]] = ++n;
			}
	}
	qsort_r(drawn, n, sizeof(*drawn), by_people, r->people);
	fputs("graph tapmeet {\n"
	      "graph [outputorder=edgesfirst, overlap=prism, splines=false, bgcolor=\"transparent\", "
	      "forcelabels=true, fontname=\"sans-serif\"];\n"
	      "node [shape=circle, style=filled, fillcolor=\"#2f6fb0\", color=\"#ffffff\", "
	      "penwidth=0.5, label=\"\", fixedsize=true, fontsize=11, fontname=\"sans-serif\"];\n"
	      "edge [color=\"#7a869a80\"];\n",
	      f);
	for (size_t k = 0; k < n; k++) {
		const struct tm_report_person *p = &r->people[drawn[k]];
		char *label = report_label(p);

		if (!label) {
			free(slot);
			free(drawn);
			return -ENOMEM;
		}
		fprintf(f, "n%zu [width=%.2f, tooltip=", drawn[k],
			0.08 + 0.04 * log2(1.0 + (double)p->people));
		dot_text(f, label);
		if (k < NAMED_NODES) {
			fputs(", xlabel=", f);
			dot_text(f, label);
		}
		fputs("];\n", f);
		free(label);
	}
	for (size_t i = 0; i < r->n_edges; i++) {
		const struct tm_report_edge *e = &r->edges[i];

		fprintf(f, "n%zu -- n%zu [weight=%lld, penwidth=%.2f%s];\n", e->a, e->b,
			(long long)e->weight, 0.4 + 0.6 * log2((double)e->weight),
			e->suspect == e->weight ? ", style=dashed" : "");
	}
	fputs("}\n", f);
	free(slot);
	free(drawn);
	return ferror(f) ? -EIO : 0;
}

/* An unlinked temporary file, read and written through f. */
static FILE *scratch(void)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "%s/tapmeet-report.XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	unlink(path);
	f = fdopen(fd, "w+");
	if (!f)
		close(fd);
	return f;
}

/* Runs sfdp from dot to svg; 0, or a note for the page in why. */
static int run_sfdp(const char *sfdp, FILE *dot, FILE *svg, FILE *err, char *why, size_t size)
{
	pid_t pid;
	int status;

	fflush(dot);
	rewind(dot);
	pid = fork();
	if (pid < 0) {
		snprintf(why, size, "sfdp could not be started: %s", strerror(errno));
		return -errno;
	}
	if (pid == 0) {
		char *const argv[] = { (char *)"sfdp", (char *)"-Tsvg", NULL };
		sigset_t none;

		if (dup2(fileno(dot), 0) < 0 || dup2(fileno(svg), 1) < 0 || dup2(fileno(err), 2) < 0)
			_exit(126);
		/* --watch blocks INT and TERM outside its wait; sfdp must not
		 * inherit that, so an interrupt stops it too. */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGALRM, SIG_DFL);
		alarm(REPORT_GRAPH_SECONDS);
		execv(sfdp, argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			snprintf(why, size, "sfdp could not be waited for: %s", strerror(errno));
			return -errno;
		}
	}
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
		snprintf(why, size, "sfdp took longer than %d s and was stopped",
			 REPORT_GRAPH_SECONDS);
		return -ETIMEDOUT;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char line[200] = "";

		rewind(err);
		if (!fgets(line, sizeof(line), err))
			line[0] = '\0';
		line[strcspn(line, "\n")] = '\0';
		if (WIFSIGNALED(status))
			snprintf(why, size, "sfdp was killed by %s", strsignal(WTERMSIG(status)));
		else
			snprintf(why, size, "sfdp failed with exit status %d%s%s",
				 WEXITSTATUS(status), line[0] ? ": " : "", line);
		return -EIO;
	}
	return 0;
}

/* Copies sfdp's SVG into the page from its root element on: the XML
 * declaration, DOCTYPE and comments before it have no place in HTML. */
static int inline_svg(FILE *f, FILE *svg)
{
	char buf[65536];
	bool started = false;
	size_t n;

	rewind(svg);
	while ((n = fread(buf, 1, sizeof(buf) - 1, svg)) > 0) {
		char *from = buf;

		buf[n] = '\0';
		if (!started) {
			/* "<svg" is never split: the prologue is a few hundred bytes. */
			from = strstr(buf, "<svg");
			if (!from)
				continue;
			started = true;
		}
		fwrite(from, 1, n - (size_t)(from - buf), f);
	}
	return started ? 0 : -EPROTO;
}

void report_graph(FILE *f, const struct tm_report *r, struct report_opts *o)
{
	char sfdp[4096], why[400] = "";
	FILE *dot = NULL, *svg = NULL, *err = NULL;

	if (o->no_graph) {
		fputs("<p class=\"note\" id=\"graph-note\">The network picture was left out "
		      "(<code>--no-graph</code>).</p>\n",
		      f);
		return;
	}
	if (r->n_edges == 0) {
		fputs("<p class=\"note\" id=\"graph-note\">Nobody has met anyone yet.</p>\n", f);
		return;
	}
	if (!find_sfdp(sfdp, sizeof(sfdp))) {
		if (!o->warned)
			fprintf(stderr, "tapmeet: warning: sfdp (Graphviz) is not on PATH: the report "
					"has no network picture; install graphviz to see it\n");
		o->warned = true;
		fputs("<p class=\"note\" id=\"graph-note\">Graphviz&#39;s <code>sfdp</code> was not "
		      "found: install graphviz to see the network (Debian: "
		      "<code>apt install graphviz</code>).</p>\n",
		      f);
		return;
	}
	if (!(dot = scratch()) || !(svg = scratch()) || !(err = scratch())) {
		snprintf(why, sizeof(why), "no temporary file for sfdp: %s", strerror(errno));
	} else if (write_dot(dot, r) < 0) {
		snprintf(why, sizeof(why), "the graph could not be written for sfdp");
	} else if (run_sfdp(sfdp, dot, svg, err, why, sizeof(why)) == 0) {
		if (r->pairs > (int64_t)r->n_edges)
			fprintf(f,
				"<p class=\"note\" id=\"graph-part\">The %zu strongest of %lld pairs "
				"(most meetings first) are drawn; people met only in weaker pairs "
				"are not.</p>\n",
				r->n_edges, (long long)r->pairs);
		fputs("<div class=\"graph\" id=\"graph\">\n", f);
		if (inline_svg(f, svg) < 0)
			snprintf(why, sizeof(why), "sfdp wrote no SVG");
		fputs("</div>\n", f);
	}
	if (why[0]) {
		fprintf(stderr, "tapmeet: warning: no network picture: %s\n", why);
		fputs("<p class=\"note\" id=\"graph-note\">No network picture: ", f);
		out_markup_text(f, why);
		fputs(".</p>\n", f);
	}
	if (dot)
		fclose(dot);
	if (svg)
		fclose(svg);
	if (err)
		fclose(err);
}
