/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Option tables that both parse a command line and print its --help, after
 * xdp-tools' lib/util/params.h. An option is defined once: its long name,
 * letter, kind, where its value goes, metavar, help line and what a good
 * value looks like. Each command lists the options it takes in its table;
 * an option shared by several commands is the same definition in each, so
 * adding an option is one edit and its help and its parsing cannot drift.
 *
 * Nothing here knows sockscope's options: values go to cfg + offset.
 */
#ifndef SS_CMD_OPTIONS_H
#define SS_CMD_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum opt_kind {
	OPTK_FLAG,    /* no value: the field becomes 1 */
	OPTK_COUNT,   /* no value, repeatable: the field counts them (-vv) */
	OPTK_U64,     /* decimal digits in [min, max] (lib/parse.h parse_u64) */
	OPTK_SIZE,    /* 64K, 16M, ... in [min, max] (parse_size); pow2 */
	OPTK_SECONDS, /* decimal seconds, stored as milliseconds in [min, max]
		       */
	OPTK_STRING,  /* the argument itself, at least min bytes */
	OPTK_CHOICE,  /* one of choices[], stored as its value */
	OPTK_LIST,    /* comma-separated names, stored as the OR of item()s */
	OPTK_CUSTOM,  /* parse() does it */
};

struct opt_choice {
	const char *name;
	uint64_t value;
};

struct cli_option {
	const char *name; /* long name without "--"; NULL for an operand */
	char letter;	  /* short option, 0 if none */
	enum opt_kind kind;
	size_t offset, size; /* the field in the config (OPT_FIELD) */
	const char *metavar; /* set if and only if the option takes a value */
	const char *help;    /* for --help; '\n' continues on an indented line */
	/*
	 * What a good value is, for "bad --port 'x': expected 1-65535"; with
	 * OPTK_STRING the message is "--output needs a file name", with
	 * OPTK_LIST the names it knows.
	 */
	const char *expect;
	uint64_t min, max;		  /* numbers; OPTK_SECONDS: ms; OPTK_STRING: length */
	bool pow2;			  /* OPTK_SIZE: a power of two */
	const struct opt_choice *choices; /* OPTK_CHOICE, ends with a NULL name */
	uint64_t (*item)(const char *name, size_t len); /* OPTK_LIST: 0 unknown */
	const char *noun;				/* OPTK_LIST: what an item is ("event");
					 an operand: what it is ("a port") */
	/* OPTK_CUSTOM: 0, or -errno with a message in err (if err is left
	 * empty, "bad --name 'arg': expect" is written). */
	int (*parse)(const struct cli_option *opt, const char *arg, void *cfg, char *err,
		     size_t errlen);
};

/* .offset and .size of a field of the config struct; nested fields work. */
#define OPT_FIELD(type, member) \
	.offset = offsetof(type, member), .size = sizeof(((type *)0)->member)

/*
 * A command's table: options in the order its --help lists them, section
 * titles, and shared groups spliced in. Ends with an all-zero entry.
 */
struct opt_entry {
	const struct cli_option *opt;
	const char *help;	       /* with opt: this command's own help line for it */
	const char *section;	       /* a title line in --help */
	const struct opt_entry *group; /* another table, listed here */
};

#define OPT(o)              \
	{                   \
		.opt = &(o) \
	}
#define OPT_HELP(o, h)                   \
	{                                \
		.opt = &(o), .help = (h) \
	}
#define OPT_SECTION(title)         \
	{                          \
		.section = (title) \
	}
#define OPT_GROUP(table)         \
	{                        \
		.group = (table) \
	}
#define OPT_END \
	{       \
	}

/* Calls fn for every option of table (groups included), in order. */
int opt_table__walk(const struct opt_entry *table,
		    int (*fn)(const struct cli_option *opt, const char *help, void *arg),
		    void *arg);
bool opt_table__has(const struct opt_entry *table, const struct cli_option *opt);
/* The option lines of table, as --help shows them. */
void opt_table__print(const struct opt_entry *table, FILE *f);

/* A size under an OPTK_SIZE option's rules (min, max, pow2): the one check
 * of, e.g., a ring size, given on the command line or in the config file. */
bool opt__size_ok(const struct cli_option *opt, const char *arg, uint64_t *v);
/* Stores arg (NULL for an option without a value) into cfg. */
int opt__apply(const struct cli_option *opt, const char *arg, void *cfg, char *err, size_t errlen);
/* "--name" or, for an operand, its metavar: for messages. */
const char *opt__label(const struct cli_option *opt, char *buf, size_t len);

#define OPT_PARSER_MAX 64

/* getopt_long over the union of several tables. */
struct opt_parser {
	const struct cli_option *opts[OPT_PARSER_MAX];
	struct option longopts[OPT_PARSER_MAX + 1];
	char shorts[3 * OPT_PARSER_MAX + 2];
	unsigned int nr;
};

void opt_parser__init(struct opt_parser *p);
/* Adds table's options; -E2BIG past OPT_PARSER_MAX, -EEXIST if a name or a
 * letter is already taken by a different option. */
int opt_parser__add(struct opt_parser *p, const struct opt_entry *table, char *err, size_t errlen);
/*
 * The next option of argv: 1 with *opt and *arg set, 0 when only operands
 * are left (from optind on), or -ENOENT (an unknown option) / -EINVAL (no
 * value, or a value it does not take) with a message. getopt's state is
 * global: one parse at a time, restarted by opt_parser__init().
 */
int opt_parser__next(struct opt_parser *p, int argc, char **argv, const struct cli_option **opt,
		     const char **arg, char *err, size_t errlen);

#endif
