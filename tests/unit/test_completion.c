// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The bash completion script: written from the tables, every option in it. */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/commands.h"
#include "cmd/completion.h"
#include "output/sinks/sink.h"

static char *script(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(completion__bash(f), 0);
	assert_int_equal(fclose(f), 0);
	assert_non_null(buf);
	return buf;
}

/* The "opts='...'" line of a command's branch. */
static const char *opts_of(const char *text, const char *cmd, char *buf, size_t len)
{
	char head[64];
	const char *p, *end;

	snprintf(head, sizeof(head), "\n\t%s)\n\t\topts='", cmd);
	p = strstr(text, head);
	if (!p)
		fail_msg("no branch for '%s'", cmd);
	p += strlen(head);
	end = strchr(p, '\'');
	assert_non_null(end);
	snprintf(buf, len, " %.*s ", (int)(end - p), p);
	return buf;
}

struct ctx {
	const char *opts;
	const char *text;
	const char *command;
};

static int listed(const struct cli_option *opt, const char *help, void *arg)
{
	struct ctx *c = arg;
	char word[64];

	(void)help;
	snprintf(word, sizeof(word), " --%s ", opt->name);
	if (!strstr(c->opts, word))
		fail_msg("'%s' completes without --%s", c->command, opt->name);
	/* an option that takes a value has a case branch: its value is never
	 * completed as an option name */
	if (opt->metavar) {
		snprintf(word, sizeof(word), "--%s)", opt->name);
		if (!strstr(c->text, word)) {
			snprintf(word, sizeof(word), "--%s |", opt->name);
			if (!strstr(c->text, word))
				fail_msg("--%s takes a value but has no case branch", opt->name);
		}
	}
	return 0;
}

static void every_command_and_option(void **state)
{
	char *text = script();
	char opts[2048];

	(void)state;
	assert_non_null(strstr(text, "complete -F _sockscope sockscope"));
	for (const struct command *c = commands; c->name; c++) {
		struct ctx ctx = {.text = text, .command = c->name};

		if (c->hidden) {
			char head[64];

			snprintf(head, sizeof(head), "\n\t%s)\n", c->name);
			assert_null(strstr(text, head));
			continue;
		}
		ctx.opts = opts_of(text, c->name, opts, sizeof(opts));
		opt_table__walk(c->options, listed, &ctx);
	}
	free(text);
}

/* Event names and choices come from the tables, sinks from the schemes. */
static void values(void **state)
{
	char *text = script();
	const char *usage, *prefix;

	(void)state;
	assert_non_null(strstr(text, "-e | --events)\n\t\t_sockscope_list 'socket bind listen "
				     "connect connect_done accept close state'\n"));
	assert_non_null(strstr(text, "--proto)\n\t\t_sockscope_words 'tcp udp'\n"));
	assert_non_null(strstr(text, "-o | --output)\n\t\t_filedir\n"));
	assert_non_null(strstr(text, "\t\tfile:*)\n\t\t\t_sockscope_path 'file:'\n"));
	for (unsigned int i = 0; (prefix = sink_spec__scheme(i, &usage)); i++) {
		assert_non_null(strstr(text, prefix));
		assert_non_null(usage);
	}
	assert_null(sink_spec__scheme(1000, &usage));
	free(text);
}

/* A write error is reported, not a truncated script. */
static void write_error(void **state)
{
	FILE *f = fopen("/dev/full", "w");

	(void)state;
	if (!f)
		skip();
	setvbuf(f, NULL, _IONBF, 0);
	assert_int_equal(completion__bash(f), -EIO);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_command_and_option),
		cmocka_unit_test(values),
		cmocka_unit_test(write_error),
	};

	return cmocka_run_group_tests_name("completion", tests, NULL, NULL);
}
