// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Option tables: parse a command line with them, print --help from them. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/options.h"
#include "lib/err.h"
#include "lib/parse.h"

/* --help: option names on the left, help from this column on */
#define HELP_COL 25
/* getopt_long's value for the option at index i of a parser */
#define VAL_BASE 256

int opt_table__walk(const struct opt_entry *table,
		    int (*fn)(const struct cli_option *opt, const char *help, void *arg), void *arg)
{
	int rc;

	for (const struct opt_entry *e = table; e->opt || e->section || e->group; e++) {
		if (e->group)
			rc = opt_table__walk(e->group, fn, arg);
		else if (e->opt)
			rc = fn(e->opt, e->help ? e->help : e->opt->help, arg);
		else
			rc = 0;
		if (rc)
			return rc;
	}
	return 0;
}

static int is_opt(const struct cli_option *opt, const char *help, void *arg)
{
	(void)help;
	return opt == arg;
}

bool opt_table__has(const struct opt_entry *table, const struct cli_option *opt)
{
	return opt_table__walk(table, is_opt, (void *)opt) == 1;
}

static void print_option(const struct cli_option *opt, const char *help, FILE *f)
{
	int n;

	if (opt->letter)
		n = fprintf(f, "  -%c, --%s", opt->letter, opt->name);
	else
		n = fprintf(f, "      --%s", opt->name);
	if (opt->metavar)
		n += fprintf(f, " %s", opt->metavar);
	if (n >= HELP_COL) {
		fputc('\n', f);
		n = 0;
	}
	fprintf(f, "%*s", HELP_COL - n, "");
	for (const char *p = help;;) {
		const char *nl = strchr(p, '\n');

		if (!nl) {
			fprintf(f, "%s\n", p);
			break;
		}
		fprintf(f, "%.*s\n%*s", (int)(nl - p), p, HELP_COL, "");
		p = nl + 1;
	}
}

void opt_table__print(const struct opt_entry *table, FILE *f)
{
	for (const struct opt_entry *e = table; e->opt || e->section || e->group; e++) {
		if (e->group)
			opt_table__print(e->group, f);
		else if (e->section)
			fprintf(f, "%s\n", e->section);
		else
			print_option(e->opt, e->help ? e->help : e->opt->help, f);
	}
}

const char *opt__label(const struct cli_option *opt, char *buf, size_t len)
{
	if (opt->name)
		snprintf(buf, len, "--%s", opt->name);
	else
		snprintf(buf, len, "%s", opt->metavar ? opt->metavar : "argument");
	return buf;
}

static int store_uint(const struct cli_option *opt, void *cfg, uint64_t v, char *err, size_t errlen)
{
	char *p = (char *)cfg + opt->offset;
	uint8_t v8 = (uint8_t)v;
	uint16_t v16 = (uint16_t)v;
	uint32_t v32 = (uint32_t)v;

	switch (opt->size) {
	case 1:
		memcpy(p, &v8, 1);
		return 0;
	case 2:
		memcpy(p, &v16, 2);
		return 0;
	case 4:
		memcpy(p, &v32, 4);
		return 0;
	case 8:
		memcpy(p, &v, 8);
		return 0;
	}
	return errf(err, errlen, -EINVAL, "internal: --%s: a %zu-byte field", opt->name, opt->size);
}

static uint64_t load_uint(const struct cli_option *opt, const void *cfg)
{
	const char *p = (const char *)cfg + opt->offset;
	uint8_t v8;
	uint16_t v16;
	uint32_t v32;
	uint64_t v = 0;

	switch (opt->size) {
	case 1:
		memcpy(&v8, p, 1);
		return v8;
	case 2:
		memcpy(&v16, p, 2);
		return v16;
	case 4:
		memcpy(&v32, p, 4);
		return v32;
	case 8:
		memcpy(&v, p, 8);
		break;
	}
	return v;
}

static int bad_value(const struct cli_option *opt, const char *arg, char *err, size_t errlen)
{
	char label[64];

	return errf(err, errlen, -EINVAL, "bad %s '%s': %s", opt__label(opt, label, sizeof(label)),
		    arg, opt->expect);
}

/* Decimal seconds ("1.5"), held to [min, max] milliseconds, rounded up. */
static int parse_seconds(const struct cli_option *opt, const char *arg, uint64_t *ms)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(d) || d <= 0 ||
	    d * 1000.0 < (double)opt->min || d * 1000.0 > (double)opt->max)
		return -EINVAL;
	*ms = (uint64_t)ceil(d * 1000.0);
	return 0;
}

static int parse_list(const struct cli_option *opt, const char *arg, uint64_t *mask, char *err,
		      size_t errlen)
{
	char label[64];

	opt__label(opt, label, sizeof(label));
	*mask = 0;
	for (const char *p = arg; *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		uint64_t bit = opt->item(p, len);

		if (!bit)
			return errf(err, errlen, -EINVAL, "unknown %s '%.*s' in %s (known: %s)",
				    opt->noun, (int)len, p, label, opt->expect);
		*mask |= bit;
		if (!comma)
			break;
		p = comma + 1;
	}
	if (!*mask)
		return errf(err, errlen, -EINVAL, "%s needs at least one %s name", label,
			    opt->noun);
	return 0;
}

bool opt__size_ok(const struct cli_option *opt, const char *arg, uint64_t *v)
{
	return !parse_size(arg, v) && *v >= opt->min && *v <= opt->max &&
	       !(opt->pow2 && (*v & (*v - 1)));
}

int opt__apply(const struct cli_option *opt, const char *arg, void *cfg, char *err, size_t errlen)
{
	char label[64];
	uint64_t v;
	int rc;

	switch (opt->kind) {
	case OPTK_FLAG:
		return store_uint(opt, cfg, 1, err, errlen);
	case OPTK_COUNT:
		return store_uint(opt, cfg, load_uint(opt, cfg) + 1, err, errlen);
	case OPTK_U64:
		if (parse_u64(arg, opt->min, opt->max, &v))
			return bad_value(opt, arg, err, errlen);
		return store_uint(opt, cfg, v, err, errlen);
	case OPTK_SIZE:
		if (!opt__size_ok(opt, arg, &v))
			return bad_value(opt, arg, err, errlen);
		return store_uint(opt, cfg, v, err, errlen);
	case OPTK_SECONDS:
		if (parse_seconds(opt, arg, &v))
			return bad_value(opt, arg, err, errlen);
		return store_uint(opt, cfg, v, err, errlen);
	case OPTK_STRING:
		if (strlen(arg) < opt->min)
			return errf(err, errlen, -EINVAL, "%s needs %s",
				    opt__label(opt, label, sizeof(label)), opt->expect);
		if (opt->size != sizeof(arg))
			break;
		memcpy((char *)cfg + opt->offset, &arg, sizeof(arg));
		return 0;
	case OPTK_CHOICE:
		for (const struct opt_choice *c = opt->choices; c->name; c++)
			if (!strcmp(arg, c->name))
				return store_uint(opt, cfg, c->value, err, errlen);
		return bad_value(opt, arg, err, errlen);
	case OPTK_LIST:
		rc = parse_list(opt, arg, &v, err, errlen);
		return rc ? rc : store_uint(opt, cfg, v, err, errlen);
	case OPTK_CUSTOM:
		if (errlen)
			err[0] = '\0';
		rc = opt->parse(opt, arg, cfg, err, errlen);
		if (rc && errlen && !err[0])
			bad_value(opt, arg, err, errlen);
		return rc;
	}
	return errf(err, errlen, -EINVAL, "internal: %s: bad option definition",
		    opt__label(opt, label, sizeof(label)));
}

void opt_parser__init(struct opt_parser *p)
{
	memset(p, 0, sizeof(*p));
	p->shorts[0] = ':'; /* a missing value is ':', not '?' */
	optind = 0;	    /* glibc: a full restart, so argv can be parsed again */
	opterr = 0;
}

static int add_one(const struct cli_option *opt, const char *help, void *arg)
{
	struct opt_parser *p = arg;
	size_t n;

	(void)help;
	for (unsigned int i = 0; i < p->nr; i++) {
		if (p->opts[i] == opt)
			return 0;
		if (!strcmp(p->opts[i]->name, opt->name) ||
		    (opt->letter && p->opts[i]->letter == opt->letter))
			return -EEXIST;
	}
	if (p->nr == OPT_PARSER_MAX)
		return -E2BIG;
	p->opts[p->nr] = opt;
	p->longopts[p->nr] = (struct option){
		.name = opt->name,
		.has_arg = opt->metavar ? required_argument : no_argument,
		.val = VAL_BASE + (int)p->nr,
	};
	if (opt->letter) {
		n = strlen(p->shorts);
		p->shorts[n++] = opt->letter;
		if (opt->metavar)
			p->shorts[n++] = ':';
	}
	p->nr++;
	return 0;
}

int opt_parser__add(struct opt_parser *p, const struct opt_entry *table, char *err, size_t errlen)
{
	int rc = opt_table__walk(table, add_one, p);

	if (rc == -EEXIST)
		return errf(err, errlen, rc, "internal: an option name or letter defined twice");
	if (rc)
		return errf(err, errlen, rc, "internal: more than %d options", OPT_PARSER_MAX);
	return 0;
}

int opt_parser__next(struct opt_parser *p, int argc, char **argv, const struct cli_option **opt,
		     const char **arg, char *err, size_t errlen)
{
	int c = getopt_long(argc, argv, p->shorts, p->longopts, NULL);

	if (c == -1)
		return 0;
	if (c == '?') {
		/* glibc: a long option given "=value" it does not take */
		if (optopt >= VAL_BASE && optopt < VAL_BASE + (int)p->nr)
			return errf(err, errlen, -EINVAL, "option '--%s' takes no value",
				    p->opts[optopt - VAL_BASE]->name);
		if (optopt)
			return errf(err, errlen, -ENOENT, "unknown option '-%c'", optopt);
		return errf(err, errlen, -ENOENT, "unknown option '%s'", argv[optind - 1]);
	}
	if (c == ':')
		return errf(err, errlen, -EINVAL, "option '%s' needs a value", argv[optind - 1]);
	*arg = optarg;
	if (c >= VAL_BASE && c < VAL_BASE + (int)p->nr) {
		*opt = p->opts[c - VAL_BASE];
		return 1;
	}
	for (unsigned int i = 0; i < p->nr; i++) {
		if (p->opts[i]->letter == c) {
			*opt = p->opts[i];
			return 1;
		}
	}
	return errf(err, errlen, -ENOENT, "unknown option '-%c'", c);
}
