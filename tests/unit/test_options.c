// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Option tables: each option defined once, well formed, parsed by its kind. */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/commands.h"
#include "cmd/options.h"

#define MAX_SEEN 128

struct seen {
	const struct cli_option *opt[MAX_SEEN];
	const char *where[MAX_SEEN];
	unsigned int nr;
	const char *command;
};

static int collect(const struct cli_option *opt, const char *help, void *arg)
{
	struct seen *s = arg;

	(void)help;
	for (unsigned int i = 0; i < s->nr; i++) {
		if (s->opt[i] == opt)
			return 0;
		if (!strcmp(s->opt[i]->name, opt->name))
			fail_msg("--%s is defined twice (in %s's and %s's "
				 "tables)",
				 opt->name, s->where[i], s->command);
		if (opt->letter && s->opt[i]->letter == opt->letter)
			fail_msg("-%c means --%s (%s) and --%s (%s)", opt->letter, s->opt[i]->name,
				 s->where[i], opt->name, s->command);
	}
	assert_true(s->nr < MAX_SEEN);
	s->where[s->nr] = s->command;
	s->opt[s->nr++] = opt;
	return 0;
}

/* Every table of every command, together: one name, one letter, one meaning. */
static void no_option_is_defined_twice(void **state)
{
	struct seen s = {0};

	(void)state;
	for (const struct command *c = commands; c->name; c++) {
		s.command = c->name;
		opt_table__walk(c->options, collect, &s);
	}
	assert_true(s.nr > 20);
	assert_true(s.nr <= OPT_PARSER_MAX);
}

static int well_formed(const struct cli_option *opt, const char *help, void *arg)
{
	bool value = opt->kind != OPTK_FLAG && opt->kind != OPTK_COUNT;
	uint64_t field_max;

	(void)arg;
	assert_non_null(opt->name);
	assert_non_null(help);
	assert_true(help[0]);
	if (opt->kind != OPTK_CUSTOM && (value != (opt->metavar != NULL)))
		fail_msg("--%s: a metavar if and only if it takes a value", opt->name);
	switch (opt->kind) {
	case OPTK_U64:
	case OPTK_SIZE:
	case OPTK_SECONDS:
	case OPTK_CHOICE:
	case OPTK_LIST:
		if (!opt->expect)
			fail_msg("--%s: says nothing of a good value", opt->name);
		assert_true(opt->size == 1 || opt->size == 2 || opt->size == 4 || opt->size == 8);
		field_max = opt->size == 8 ? UINT64_MAX : (1ull << (8 * opt->size)) - 1;
		if (opt->kind != OPTK_SECONDS && opt->max > field_max)
			fail_msg("--%s: max %llu does not fit %zu bytes", opt->name,
				 (unsigned long long)opt->max, opt->size);
		for (const struct opt_choice *ch = opt->choices; ch && ch->name; ch++)
			assert_true(ch->value <= field_max);
		assert_true(opt->min <= opt->max || opt->kind == OPTK_CHOICE ||
			    opt->kind == OPTK_LIST);
		break;
	case OPTK_STRING:
		assert_int_equal(opt->size, sizeof(const char *));
		break;
	case OPTK_CUSTOM:
		assert_non_null(opt->parse);
		break;
	case OPTK_FLAG:
	case OPTK_COUNT:
		assert_true(opt->size >= 1 && opt->size <= 8);
		break;
	}
	if (opt->kind == OPTK_LIST)
		assert_true(opt->item && opt->noun);
	if (opt->kind == OPTK_CHOICE)
		assert_non_null(opt->choices);
	return 0;
}

static int count_same(const struct cli_option *opt, const char *help, void *arg)
{
	const struct cli_option **want = arg;

	(void)help;
	return opt == *want;
}

static int listed_once(const struct cli_option *opt, const char *help, void *arg)
{
	const struct command *c = arg;
	unsigned int n = 0;

	(void)help;
	/* walk again, counting this option */
	for (const struct opt_entry *e = c->options; e->opt || e->section || e->group; e++) {
		if (e->opt == opt)
			n++;
		else if (e->group && opt_table__walk(e->group, count_same, &opt))
			n++;
	}
	if (n != 1)
		fail_msg("%s lists --%s %u times", c->name, opt->name, n);
	return 0;
}

static void every_option_is_well_formed(void **state)
{
	(void)state;
	for (const struct command *c = commands; c->name; c++) {
		opt_table__walk(c->options, well_formed, NULL);
		opt_table__walk(c->options, listed_once, (void *)c);
		/* every command takes the common options */
		assert_true(opt_table__has(c->options, &opt_help));
		assert_true(opt_table__has(c->options, &opt_version));
		if (c->operand) {
			assert_null(c->operand->name);
			assert_non_null(c->operand->metavar);
			assert_non_null(c->operand->noun);
			assert_int_equal(c->operand->kind, OPTK_CUSTOM);
		}
		assert_ptr_equal(command__of(c->id), c);
		if (c->hidden)
			assert_null(command__find(c->name));
		else
			assert_ptr_equal(command__find(c->name), c);
		assert_non_null(c->run);
		assert_non_null(c->summary);
		assert_non_null(c->about);
	}
}

/* The engine on a config of its own: nothing in it knows sockscope's. */
struct cfg {
	uint8_t flag;
	int count;
	uint16_t port;
	uint32_t size;
	uint64_t ms;
	const char *name;
	uint32_t choice;
	uint64_t mask;
	int custom;
};

static uint64_t color_bit(const char *s, size_t len)
{
	static const char *const colors[] = {"red", "green", "blue"};

	for (unsigned int i = 0; i < 3; i++)
		if (strlen(colors[i]) == len && !strncmp(s, colors[i], len))
			return 1ull << i;
	return 0;
}

static int parse_even(const struct cli_option *opt, const char *arg, void *cfg, char *err,
		      size_t errlen)
{
	(void)opt;
	(void)err;
	(void)errlen;
	if (strlen(arg) % 2)
		return -EINVAL;
	((struct cfg *)cfg)->custom = (int)strlen(arg);
	return 0;
}

static const struct cli_option t_flag = {
	.name = "flag", .kind = OPTK_FLAG, OPT_FIELD(struct cfg, flag), .help = "h"};
static const struct cli_option t_count = {.name = "count",
					  .letter = 'c',
					  .kind = OPTK_COUNT,
					  OPT_FIELD(struct cfg, count),
					  .help = "h"};
static const struct cli_option t_port = {.name = "port",
					 .kind = OPTK_U64,
					 OPT_FIELD(struct cfg, port),
					 .metavar = "PORT",
					 .help = "h",
					 .expect = "expected 1-65535",
					 .min = 1,
					 .max = 65535};
static const struct cli_option t_size = {.name = "size",
					 .kind = OPTK_SIZE,
					 OPT_FIELD(struct cfg, size),
					 .metavar = "SIZE",
					 .help = "h",
					 .expect = "a power of two",
					 .min = 4096,
					 .max = 1u << 30,
					 .pow2 = true};
static const struct cli_option t_secs = {.name = "secs",
					 .kind = OPTK_SECONDS,
					 OPT_FIELD(struct cfg, ms),
					 .metavar = "SEC",
					 .help = "h",
					 .expect = "0.5 to 10 s",
					 .min = 500,
					 .max = 10000};
static const struct cli_option t_name = {.name = "name",
					 .kind = OPTK_STRING,
					 OPT_FIELD(struct cfg, name),
					 .metavar = "NAME",
					 .help = "first line\nsecond line",
					 .expect = "a name",
					 .min = 1};
static const struct cli_option t_choice = {
	.name = "pick",
	.kind = OPTK_CHOICE,
	OPT_FIELD(struct cfg, choice),
	.metavar = "a|b",
	.help = "h",
	.expect = "expected a or b",
	.choices = (const struct opt_choice[]){{"a", 7}, {"b", 9}, {}}};
static const struct cli_option t_list = {.name = "colors",
					 .kind = OPTK_LIST,
					 OPT_FIELD(struct cfg, mask),
					 .metavar = "LIST",
					 .help = "h",
					 .expect = "red, green, blue",
					 .item = color_bit,
					 .noun = "color"};
static const struct cli_option t_custom = {.name = "even",
					   .kind = OPTK_CUSTOM,
					   .parse = parse_even,
					   .metavar = "S",
					   .help = "h",
					   .expect = "an even length"};

static const struct opt_entry t_group[] = {OPT(t_count), OPT_END};
static const struct opt_entry t_table[] = {
	OPT_SECTION("Things:"),
	OPT(t_flag),
	OPT_GROUP(t_group),
	OPT(t_port),
	OPT(t_size),
	OPT(t_secs),
	OPT(t_name),
	OPT(t_choice),
	OPT(t_list),
	OPT(t_custom),
	OPT_END,
};

static char err[256];

static int apply(const struct cli_option *opt, const char *arg, struct cfg *c)
{
	return opt__apply(opt, arg, c, err, sizeof(err));
}

static void each_kind_parses_and_refuses(void **state)
{
	struct cfg c = {0};

	(void)state;
	assert_int_equal(apply(&t_flag, NULL, &c), 0);
	assert_int_equal(c.flag, 1);
	assert_int_equal(apply(&t_count, NULL, &c), 0);
	assert_int_equal(apply(&t_count, NULL, &c), 0);
	assert_int_equal(c.count, 2);

	assert_int_equal(apply(&t_port, "8080", &c), 0);
	assert_int_equal(c.port, 8080);
	assert_int_equal(apply(&t_port, "65536", &c), -EINVAL);
	assert_string_equal(err, "bad --port '65536': expected 1-65535");
	assert_int_equal(c.port, 8080);

	assert_int_equal(apply(&t_size, "64K", &c), 0);
	assert_int_equal(c.size, 65536);
	assert_int_equal(apply(&t_size, "12K", &c), -EINVAL);
	assert_string_equal(err, "bad --size '12K': a power of two");
	assert_int_equal(apply(&t_size, "2G", &c), -EINVAL);
	assert_int_equal(apply(&t_size, "64X", &c), -EINVAL);

	assert_int_equal(apply(&t_secs, "1.0001", &c), 0);
	assert_int_equal(c.ms, 1001); /* rounded up */
	assert_int_equal(apply(&t_secs, "0.4", &c), -EINVAL);
	assert_string_equal(err, "bad --secs '0.4': 0.5 to 10 s");
	assert_int_equal(apply(&t_secs, "10.5", &c), -EINVAL);
	assert_int_equal(apply(&t_secs, "nan", &c), -EINVAL);
	assert_int_equal(apply(&t_secs, "", &c), -EINVAL);

	assert_int_equal(apply(&t_name, "x", &c), 0);
	assert_string_equal(c.name, "x");
	assert_int_equal(apply(&t_name, "", &c), -EINVAL);
	assert_string_equal(err, "--name needs a name");

	assert_int_equal(apply(&t_choice, "b", &c), 0);
	assert_int_equal(c.choice, 9);
	assert_int_equal(apply(&t_choice, "c", &c), -EINVAL);
	assert_string_equal(err, "bad --pick 'c': expected a or b");

	assert_int_equal(apply(&t_list, "red,blue", &c), 0);
	assert_int_equal(c.mask, 5);
	assert_int_equal(apply(&t_list, "red,pink", &c), -EINVAL);
	assert_string_equal(err, "unknown color 'pink' in --colors (known: red, green, blue)");
	assert_int_equal(apply(&t_list, "", &c), -EINVAL);
	assert_string_equal(err, "--colors needs at least one color name");

	assert_int_equal(apply(&t_custom, "ab", &c), 0);
	assert_int_equal(c.custom, 2);
	assert_int_equal(apply(&t_custom, "abc", &c), -EINVAL);
	assert_string_equal(err, "bad --even 'abc': an even length");
}

static int next(struct opt_parser *p, int argc, char **argv, const struct cli_option **opt,
		const char **arg)
{
	return opt_parser__next(p, argc, argv, opt, arg, err, sizeof(err));
}

static void parser_reports_each_mistake(void **state)
{
	char *argv[] = {"prog", "--flag", "-cc", "--port", "80", "operand", "--pick=a", NULL};
	char *bad1[] = {"prog", "--flag=1", NULL};
	char *bad2[] = {"prog", "--nope", NULL};
	char *bad3[] = {"prog", "-x", NULL};
	char *bad4[] = {"prog", "--port", NULL};
	const struct cli_option *opt;
	struct opt_parser p;
	const char *arg;

	(void)state;
	opt_parser__init(&p);
	assert_int_equal(opt_parser__add(&p, t_table, err, sizeof(err)), 0);
	assert_int_equal(p.nr, 9);
	assert_int_equal(next(&p, 7, argv, &opt, &arg), 1);
	assert_ptr_equal(opt, &t_flag);
	assert_int_equal(next(&p, 7, argv, &opt, &arg), 1);
	assert_ptr_equal(opt, &t_count);
	assert_int_equal(next(&p, 7, argv, &opt, &arg), 1);
	assert_ptr_equal(opt, &t_count);
	assert_int_equal(next(&p, 7, argv, &opt, &arg), 1);
	assert_ptr_equal(opt, &t_port);
	assert_string_equal(arg, "80");
	assert_int_equal(next(&p, 7, argv, &opt, &arg), 1);
	assert_ptr_equal(opt, &t_choice);
	assert_string_equal(arg, "a");
	assert_int_equal(next(&p, 7, argv, &opt, &arg), 0);
	assert_string_equal(argv[optind], "operand");

	opt_parser__init(&p);
	opt_parser__add(&p, t_table, err, sizeof(err));
	assert_int_equal(next(&p, 2, bad1, &opt, &arg), -EINVAL);
	assert_string_equal(err, "option '--flag' takes no value");
	opt_parser__init(&p);
	opt_parser__add(&p, t_table, err, sizeof(err));
	assert_int_equal(next(&p, 2, bad2, &opt, &arg), -ENOENT);
	assert_string_equal(err, "unknown option '--nope'");
	opt_parser__init(&p);
	opt_parser__add(&p, t_table, err, sizeof(err));
	assert_int_equal(next(&p, 2, bad3, &opt, &arg), -ENOENT);
	assert_string_equal(err, "unknown option '-x'");
	opt_parser__init(&p);
	opt_parser__add(&p, t_table, err, sizeof(err));
	assert_int_equal(next(&p, 2, bad4, &opt, &arg), -EINVAL);
	assert_string_equal(err, "option '--port' needs a value");
}

static void a_name_taken_twice_is_refused(void **state)
{
	static const struct cli_option other_port = {
		.name = "port", .kind = OPTK_FLAG, OPT_FIELD(struct cfg, flag), .help = "h"};
	static const struct cli_option other_c = {.name = "cc",
						  .letter = 'c',
						  .kind = OPTK_FLAG,
						  OPT_FIELD(struct cfg, flag),
						  .help = "h"};
	static const struct opt_entry t1[] = {OPT(other_port), OPT_END};
	static const struct opt_entry t2[] = {OPT(other_c), OPT_END};
	struct opt_parser p;

	(void)state;
	opt_parser__init(&p);
	assert_int_equal(opt_parser__add(&p, t_table, err, sizeof(err)), 0);
	/* the same table again: the same options, nothing new */
	assert_int_equal(opt_parser__add(&p, t_table, err, sizeof(err)), 0);
	assert_int_equal(p.nr, 9);
	assert_int_equal(opt_parser__add(&p, t1, err, sizeof(err)), -EEXIST);
	assert_int_equal(opt_parser__add(&p, t2, err, sizeof(err)), -EEXIST);
}

static void help_lines_are_aligned(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	opt_table__print(t_table, f);
	fclose(f);
	assert_string_equal(buf, "Things:\n"
				 "      --flag             h\n"
				 "  -c, --count            h\n"
				 "      --port PORT        h\n"
				 "      --size SIZE        h\n"
				 "      --secs SEC         h\n"
				 "      --name NAME        first line\n"
				 "                         second line\n"
				 "      --pick a|b         h\n"
				 "      --colors LIST      h\n"
				 "      --even S           h\n");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(no_option_is_defined_twice),
		cmocka_unit_test(every_option_is_well_formed),
		cmocka_unit_test(each_kind_parses_and_refuses),
		cmocka_unit_test(parser_reports_each_mistake),
		cmocka_unit_test(a_name_taken_twice_is_refused),
		cmocka_unit_test(help_lines_are_aligned),
	};

	return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
