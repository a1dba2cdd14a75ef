// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The filters trace, ports, who and history share beyond -p/-c/-P: --uid,
 * --cgroup, --laddr/--raddr, --lport/--rport (and --netns, in cli.c), and
 * the --state of ports and who. One grammar for all four: each value is
 * parsed and resolved here, into the kernel's half (cli_opts.filter, which
 * trace loads into its BPF programs and the row filters test too) and the
 * userspace half (cli_opts.fx).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "cmd/commands.h"
#include "kernel/resolve.h"
#include "lib/err.h"
#include "lib/parse.h"

static int set_uid(const struct cli_option *opt, const char *arg, void *cfg, char *err,
		   size_t errlen)
{
	struct cli_opts *o = cfg;
	char why[128];

	if (resolve_uid(arg, &o->filter.uid, why, sizeof(why)))
		return errf(err, errlen, -EINVAL, "bad --%s '%s': %s", opt->name, arg, why);
	o->filter.has_uid = 1;
	return 0;
}

const struct cli_option opt_uid = {
	.name = "uid",
	.kind = OPTK_CUSTOM,
	.parse = set_uid,
	.metavar = "USER",
	.help = "only processes of this user (uid or name)",
};

static int set_cgroup(const struct cli_option *opt, const char *arg, void *cfg, char *err,
		      size_t errlen)
{
	static struct cgroup_target t; /* 4 KiB: not on the stack */
	struct cli_opts *o = cfg;
	char why[512], mnt[PATH_MAX];
	uint32_t level;

	/* history's rows: the path only, a cgroup of the past may be gone (no
	 * kernel half) */
	if (o->command == SS_CMD_HISTORY) {
		if (resolve_cgroup_path(arg, o->fx.cgroup, sizeof(o->fx.cgroup), &level, mnt,
					sizeof(mnt), why, sizeof(why)))
			return errf(err, errlen, -EINVAL, "bad --%s '%s': %s", opt->name, arg, why);
		return 0;
	}
	if (resolve_cgroup(arg, &t, why, sizeof(why)))
		return errf(err, errlen, -EINVAL, "bad --%s '%s': %s", opt->name, arg, why);
	o->filter.cgroup_id = t.id;
	o->filter.cgroup_level = t.level;
	snprintf(o->fx.cgroup, sizeof(o->fx.cgroup), "%s", t.path);
	return 0;
}

const struct cli_option opt_cgroup = {
	.name = "cgroup",
	.kind = OPTK_CUSTOM,
	.parse = set_cgroup,
	.metavar = "PATH",
	.help = "only processes in this cgroup-v2 cgroup or below it\n"
		"(/system.slice/nginx.service, or its path under the mount;\n"
		"history: it may be gone since)",
};

/* The kernel's form of a prefix (include/sockscope_abi.h, ss_addr_filter). */
static void kernel_prefix(const struct addr_prefix *p, struct ss_addr_filter *k)
{
	struct addr_prefix m = *p;
	unsigned int len = p->len;

	memset(k, 0, sizeof(*k));
	k->family = p->family == AF_INET ? SS_AF_INET : SS_AF_INET6;
	if (p->family == AF_INET) {
		k->has_v4 = 1;
		memcpy(&k->net4, p->addr, 4);
		k->mask4 = len ? htonl(~0u << (32 - len)) : 0;
		/* and the v4-mapped form: ::ffff:a.b.c.d/(96 + len) */
		memset(m.addr, 0, sizeof(m.addr));
		m.addr[10] = m.addr[11] = 0xff;
		memcpy(m.addr + 12, p->addr, 4);
		len += 96;
	}
	for (unsigned int i = 0; i < 16; i++) {
		unsigned int keep = len >= 8 * (i + 1) ? 8 : len > 8 * i ? len - 8 * i : 0;

		k->mask[i] = keep ? (uint8_t)(0xff << (8 - keep)) : 0;
		k->net[i] = m.addr[i] & k->mask[i];
	}
}

static int set_prefix(const struct cli_option *opt, const char *arg, struct addr_prefix *p,
		      struct ss_addr_filter *k, char *err, size_t errlen)
{
	struct addr_prefix net;
	const char *why = "";
	char buf[64];

	if (parse_prefix(arg, p, &net, &why)) {
		if (net.family && strstr(why, "host bits"))
			return errf(err, errlen, -EINVAL, "bad --%s '%s': %s (the network is %s)",
				    opt->name, arg, why, prefix_str(&net, buf, sizeof(buf)));
		return errf(err, errlen, -EINVAL,
			    "bad --%s '%s': %s (expected ADDR or ADDR/LEN, e.g. 10.0.0.0/8, "
			    "fd00::/8)",
			    opt->name, arg, why);
	}
	kernel_prefix(p, k);
	return 0;
}

static int set_laddr(const struct cli_option *opt, const char *arg, void *cfg, char *err,
		     size_t errlen)
{
	struct cli_opts *o = cfg;

	return set_prefix(opt, arg, &o->fx.laddr, &o->filter.laddr, err, errlen);
}

static int set_raddr(const struct cli_option *opt, const char *arg, void *cfg, char *err,
		     size_t errlen)
{
	struct cli_opts *o = cfg;

	return set_prefix(opt, arg, &o->fx.raddr, &o->filter.raddr, err, errlen);
}

const struct cli_option opt_laddr = {
	.name = "laddr",
	.kind = OPTK_CUSTOM,
	.parse = set_laddr,
	.metavar = "ADDR[/LEN]",
	.help = "only local addresses in this prefix (an IPv4\n"
		"prefix also covers its ::ffff:a.b.c.d forms)",
};

const struct cli_option opt_raddr = {
	.name = "raddr",
	.kind = OPTK_CUSTOM,
	.parse = set_raddr,
	.metavar = "ADDR[/LEN]",
	.help = "only remote addresses in this prefix",
};

const struct cli_option opt_lport = {
	.name = "lport",
	.kind = OPTK_U64,
	CLI_FIELD(filter.lport),
	.metavar = "PORT",
	.help = "only this local port",
	.expect = "expected 1-65535",
	.min = 1,
	.max = 65535,
};

const struct cli_option opt_rport = {
	.name = "rport",
	.kind = OPTK_U64,
	CLI_FIELD(filter.rport),
	.metavar = "PORT",
	.help = "only this remote port",
	.expect = "expected 1-65535",
	.min = 1,
	.max = 65535,
};

#define ST(s) (1u << SS_TCP_##s)
#define ST_ALL ((1u << SS_TCP_MAX_STATES) - 2) /* every state, 1 to 13 */

/*
 * The names 'ss state' takes (iproute2 misc/ss.c scan_state) and its
 * groups, and the names sockscope prints ("TIME_WAIT", "UNCONN", "ESTAB"):
 * any case, '_' for '-'. A request socket (NEW_SYN_RECV) is syn-recv, as
 * ss shows it.
 */
static const struct state_name {
	const char *name;
	uint32_t mask;
} state_names[] = {
	{"established", ST(ESTABLISHED)},
	{"estab", ST(ESTABLISHED)},
	{"syn-sent", ST(SYN_SENT)},
	{"syn-recv", ST(SYN_RECV) | ST(NEW_SYN_RECV)},
	{"syn-rcv", ST(SYN_RECV) | ST(NEW_SYN_RECV)},
	{"fin-wait-1", ST(FIN_WAIT1)},
	{"fin-wait-2", ST(FIN_WAIT2)},
	{"fin-wait1", ST(FIN_WAIT1)},
	{"fin-wait2", ST(FIN_WAIT2)},
	{"time-wait", ST(TIME_WAIT)},
	{"closed", ST(CLOSE)},
	{"close", ST(CLOSE)},
	{"unconnected", ST(CLOSE)},
	{"unconn", ST(CLOSE)},
	{"close-wait", ST(CLOSE_WAIT)},
	{"last-ack", ST(LAST_ACK)},
	{"listening", ST(LISTEN)},
	{"listen", ST(LISTEN)},
	{"closing", ST(CLOSING)},
	{"bound-inactive", ST(BOUND_INACTIVE)},
	/* ss's groups */
	{"all", ST_ALL},
	{"connected", ST_ALL & ~(ST(CLOSE) | ST(LISTEN) | ST(BOUND_INACTIVE))},
	{"synchronized", ST_ALL & ~(ST(CLOSE) | ST(LISTEN) | ST(BOUND_INACTIVE) | ST(SYN_SENT))},
	{"bucket", ST(SYN_RECV) | ST(NEW_SYN_RECV) | ST(TIME_WAIT)},
	{"big", ST_ALL & ~(ST(SYN_RECV) | ST(NEW_SYN_RECV) | ST(TIME_WAIT))},
	{NULL, 0},
};

static uint64_t state_bits(const char *name, size_t len)
{
	char norm[32];

	if (!len || len >= sizeof(norm))
		return 0;
	for (size_t i = 0; i < len; i++)
		norm[i] = name[i] == '_' ? '-' : name[i];
	norm[len] = '\0';
	for (const struct state_name *s = state_names; s->name; s++)
		if (!strcasecmp(norm, s->name))
			return s->mask;
	return 0;
}

const struct cli_option opt_state = {
	.name = "state",
	.kind = OPTK_LIST,
	CLI_FIELD(fx.states),
	.item = state_bits,
	.noun = "state",
	.metavar = "LIST",
	.help = "only sockets in these states, as 'ss state' names\n"
		"them: established,time-wait,listening,unconnected,\n"
		"syn-sent,syn-recv,fin-wait-1,fin-wait-2,close-wait,\n"
		"last-ack,closing; groups all, connected, synchronized,\n"
		"bucket, big (ports: instead of listening/--all)",
	.expect = "established, syn-sent, syn-recv, fin-wait-1, fin-wait-2, time-wait, "
		  "closed, unconnected, close-wait, last-ack, listening, closing, "
		  "bound-inactive, all, connected, synchronized, bucket, big",
};

/* clang-format off */
/* Every one of the four commands takes these. */
const struct opt_entry filter_more_options[] = {
	OPT(opt_uid),
	OPT(opt_cgroup),
	OPT(opt_laddr),
	OPT(opt_raddr),
	OPT(opt_lport),
	OPT(opt_rport),
	OPT_END,
};

/* history's: the same with a --cgroup that may be gone, and --netns, which
 * ports and who list already. */
const struct opt_entry filter_past_options[] = {
	OPT(opt_uid),
	OPT(opt_cgroup),
	OPT(opt_netns),
	OPT(opt_laddr),
	OPT(opt_raddr),
	OPT(opt_lport),
	OPT(opt_rport),
	OPT_END,
};
/* clang-format on */
