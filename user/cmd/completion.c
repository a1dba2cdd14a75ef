// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The bash completion script, from the tables that parse the command line:
 * command words, each command's options, and the values an option takes
 * (choices, list items, file names, sink schemes). It leans on the
 * bash-completion package (_init_completion, _filedir), which is what
 * loads a script from /usr/share/bash-completion/completions/ anyway.
 */
#include <errno.h>
#include <string.h>

#include "cmd/commands.h"
#include "cmd/completion.h"
#include "output/sinks/sink.h"

/* Every word goes into the script unquoted, inside '...': keep it plain. */
static bool plain_word(const char *w, size_t len)
{
	if (!len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_.:/+,=@%-",
			    w[i]) ||
		    !w[i])
			return false;
	return true;
}

struct gen {
	FILE *f;
	int err; /* the first -EINVAL */
	/* options taking a value, each once (commands share some) */
	const struct cli_option *seen[OPT_PARSER_MAX];
	unsigned int nr_seen;
	const char *sep;
};

static void word(struct gen *g, const char *sep, const char *w, size_t len)
{
	if (!plain_word(w, len)) {
		g->err = -EINVAL;
		return;
	}
	fprintf(g->f, "%s%.*s", sep, (int)len, w);
}

/* The names of every shown command, space-separated. */
static void command_words(struct gen *g)
{
	const char *sep = "";

	for (const struct command *c = commands; c->name; c++) {
		if (c->hidden)
			continue;
		word(g, sep, c->name, strlen(c->name));
		sep = " ";
	}
}

/* An OPTK_LIST's items are the names its error message lists ("a, b"). */
static void list_words(struct gen *g, const char *expect)
{
	const char *sep = "";

	for (const char *p = expect; *p;) {
		size_t len = strcspn(p, ", ");

		if (len)
			word(g, sep, p, len);
		sep = " ";
		p += len;
		p += strspn(p, ", ");
	}
}

/* Sink schemes; one whose usage is "PREFIXPATH" completes file names. */
static void sink_branch(struct gen *g)
{
	const char *usage, *prefix, *sep = "";

	fputs("\t\tcase $cur in\n", g->f);
	for (unsigned int i = 0; (prefix = sink_spec__scheme(i, &usage)); i++) {
		size_t n = strlen(prefix);

		if (strncmp(usage, prefix, n) || strcmp(usage + n, "PATH"))
			continue;
		fputs("\t\t", g->f);
		word(g, "", prefix, n);
		fputs("*)\n\t\t\t_sockscope_path '", g->f);
		word(g, "", prefix, n);
		fputs("'\n\t\t\treturn\n\t\t\t;;\n", g->f);
	}
	fputs("\t\tesac\n\t\t_sockscope_words '", g->f);
	for (unsigned int i = 0; (prefix = sink_spec__scheme(i, &usage)); i++) {
		word(g, sep, prefix, strlen(prefix));
		sep = " ";
	}
	fputs("'\n", g->f);
}

static bool is_path(const struct cli_option *opt)
{
	return !strcmp(opt->metavar, "FILE") || !strcmp(opt->metavar, "PATH");
}

/* Whether the script can offer values for opt (see value_branch()). */
static bool completes_value(const struct cli_option *opt)
{
	return opt->kind == OPTK_CHOICE || opt->kind == OPTK_LIST || is_path(opt) ||
	       !strcmp(opt->metavar, "SPEC");
}

static int collect(const struct cli_option *opt, const char *help, void *arg)
{
	struct gen *g = arg;

	(void)help;
	if (!opt->metavar)
		return 0;
	for (unsigned int i = 0; i < g->nr_seen; i++)
		if (g->seen[i] == opt)
			return 0;
	if (g->nr_seen == OPT_PARSER_MAX)
		return -E2BIG;
	g->seen[g->nr_seen++] = opt;
	return 0;
}

/* "-o | --output" */
static void pattern(struct gen *g, const struct cli_option *opt)
{
	fputs(g->sep, g->f);
	if (opt->letter)
		fprintf(g->f, "-%c | ", opt->letter);
	word(g, "--", opt->name, strlen(opt->name));
	g->sep = " | ";
}

/* The case branch that completes the value of opt. */
static void value_branch(struct gen *g, const struct cli_option *opt)
{
	const char *sep = "";

	g->sep = "\t";
	pattern(g, opt);
	fputs(")\n", g->f);
	if (opt->kind == OPTK_CHOICE) {
		fputs("\t\t_sockscope_words '", g->f);
		for (const struct opt_choice *c = opt->choices; c->name; c++, sep = " ")
			word(g, sep, c->name, strlen(c->name));
		fputs("'\n", g->f);
	} else if (opt->kind == OPTK_LIST) {
		fputs("\t\t_sockscope_list '", g->f);
		list_words(g, opt->expect);
		fputs("'\n", g->f);
	} else if (is_path(opt)) {
		fputs("\t\t_filedir\n", g->f);
	} else {
		sink_branch(g);
	}
	fputs("\t\treturn\n\t\t;;\n", g->f);
}

/* Every option taking a value: one branch each that can offer values, one
 * for the rest (a number, a time, an address: nothing to offer, but not an
 * option name either). */
static void value_branches(struct gen *g)
{
	for (unsigned int i = 0; i < g->nr_seen; i++)
		if (completes_value(g->seen[i]))
			value_branch(g, g->seen[i]);
	g->sep = "\t";
	for (unsigned int i = 0; i < g->nr_seen; i++)
		if (!completes_value(g->seen[i]))
			pattern(g, g->seen[i]);
	if (strcmp(g->sep, "\t"))
		fputs(")\n\t\treturn\n\t\t;;\n", g->f);
}

static int long_name(const struct cli_option *opt, const char *help, void *arg)
{
	struct gen *g = arg;

	(void)help;
	word(g, g->sep, "--", 2);
	word(g, "", opt->name, strlen(opt->name));
	g->sep = " ";
	return 0;
}

static void command_branch(struct gen *g, const struct command *c)
{
	fputs("\t", g->f);
	word(g, "", c->name, strlen(c->name));
	fputs(")\n\t\topts='", g->f);
	g->sep = "";
	opt_table__walk(c->options, long_name, g);
	fputs("'\n", g->f);
	/* help's operand is a command word; who's, a port: nothing to offer */
	if (c->operand && c->id == SS_CMD_HELP) {
		fputs("\t\toperands='", g->f);
		command_words(g);
		fputs("'\n", g->f);
	} else if (c->operand) {
		fputs("\t\toperands=-\n", g->f);
	}
	fputs("\t\t;;\n", g->f);
}

/* clang-format off */
static const char head[] =
"# bash completion for sockscope(8): commands, options, event names, sinks.\n"
"# Generated from sockscope's command and option tables by\n"
"# packaging/completion-gen.c (make completion): do not edit.\n"
"\n"
"_sockscope_words()\n"
"{\n"
"\tCOMPREPLY=($(compgen -W \"$1\" -- \"$cur\"))\n"
"\t# a scheme such as file: or syslog+udp:// goes on with the value\n"
"\t[[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *[:/] ]] && compopt -o nospace\n"
"\t__ltrim_colon_completions \"$cur\"\n"
"}\n"
"\n"
"# A comma-separated list: complete the item after the last comma.\n"
"_sockscope_list()\n"
"{\n"
"\tlocal pre=\n"
"\t[[ $cur == *,* ]] && pre=${cur%,*},\n"
"\tCOMPREPLY=($(compgen -P \"$pre\" -W \"$1\" -- \"${cur##*,}\"))\n"
"\tcompopt -o nospace\n"
"}\n"
"\n"
"# A file name after a prefix (file:PATH).\n"
"_sockscope_path()\n"
"{\n"
"\tlocal pre=$1 f\n"
"\tCOMPREPLY=()\n"
"\twhile IFS= read -r f; do\n"
"\t\t[[ -d $f ]] && f+=/\n"
"\t\tCOMPREPLY+=(\"$pre$f\")\n"
"\tdone < <(compgen -f -- \"${cur#\"$pre\"}\")\n"
"\tcompopt -o nospace\n"
"\t__ltrim_colon_completions \"$cur\"\n"
"}\n"
"\n"
"_sockscope()\n"
"{\n"
"\tlocal cur prev words cword split\n"
"\t_init_completion -s -n : || return\n"
"\n"
"\t# the command word comes first; none: the default command\n"
"\tlocal cmd=";
/* clang-format on */

int completion__bash(FILE *f)
{
	struct gen g = {.f = f};
	const struct command *c, *dflt = commands;

	for (c = commands; c->name; c++)
		if (c->is_default)
			dflt = c;

	fputs(head, f);
	word(&g, "", dflt->name, strlen(dflt->name));
	fputs("\n\tif ((cword > 1)) && [[ ${words[1]} != -* ]]; then\n"
	      "\t\tcmd=${words[1]}\n"
	      "\telif ((cword == 1)) && [[ $cur != -* ]]; then\n"
	      "\t\t_sockscope_words '",
	      f);
	command_words(&g);
	fputs("'\n\t\treturn\n\tfi\n\n\t# the value of the option before the cursor\n\tcase $prev in\n",
	      f);
	for (c = commands; c->name; c++)
		if (!c->hidden && opt_table__walk(c->options, collect, &g))
			return -E2BIG;
	value_branches(&g);
	fputs("\tesac\n\t$split && return\n\n\tlocal opts operands=\n\tcase $cmd in\n", f);
	for (c = commands; c->name; c++)
		if (!c->hidden)
			command_branch(&g, c);
	fputs("\t*)\n\t\treturn\n\t\t;;\n\tesac\n"
	      "\tif [[ $cur == -* || -z $operands ]]; then\n"
	      "\t\tCOMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
	      "\telif [[ $operands != - ]]; then\n"
	      "\t\tCOMPREPLY=($(compgen -W \"$operands\" -- \"$cur\"))\n"
	      "\tfi\n"
	      "} &&\n\tcomplete -F _sockscope sockscope\n",
	      f);
	if (g.err)
		return g.err;
	return ferror(f) ? -EIO : 0;
}
