// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The timewait index finds our row from the local peer's side, whichever
 * family either socket has. */
#include "testutil.h"

#include <arpa/inet.h>
#include <string.h>

#include "model/engine_tw.h"

#define NS 4026531840u

static struct tw_index ix; /* zeroed: empty */

static struct ss_sockinfo tuple(unsigned int family, const char *l, unsigned int lport,
				const char *r, unsigned int rport)
{
	struct ss_sockinfo i;

	memset(&i, 0, sizeof(i));
	i.netns = NS;
	i.family = (__u16)family;
	i.proto = SS_PROTO_TCP;
	inet_pton(family == SS_AF_INET ? AF_INET : AF_INET6, l, i.laddr);
	inet_pton(family == SS_AF_INET ? AF_INET : AF_INET6, r, i.raddr);
	i.lport = (__u16)lport;
	i.rport = (__u16)rport;
	return i;
}

static void peer_finds_our_row(void **state)
{
	struct eng_sock ours = {0};
	struct ss_sockinfo peer;

	(void)state;
	ours.info = tuple(SS_AF_INET, "127.0.0.1", 41000, "127.0.0.2", 80);
	tw_index__add(&ix, &ours);
	tw_index__add(&ix, &ours); /* twice is once */
	assert_true(ours.in_tw_index);

	peer = tuple(SS_AF_INET, "127.0.0.2", 80, "127.0.0.1", 41000);
	assert_ptr_equal(tw_index__peer_of(&ix, &peer), &ours);
	/* an inet6 peer talking IPv4 holds the v4-mapped form */
	peer = tuple(SS_AF_INET6, "::ffff:127.0.0.2", 80, "::ffff:127.0.0.1", 41000);
	assert_ptr_equal(tw_index__peer_of(&ix, &peer), &ours);
	/* not our peer: other port, other namespace, our own side */
	peer = tuple(SS_AF_INET, "127.0.0.2", 81, "127.0.0.1", 41000);
	assert_null(tw_index__peer_of(&ix, &peer));
	peer = tuple(SS_AF_INET, "127.0.0.2", 80, "127.0.0.1", 41000);
	peer.netns = NS + 1;
	assert_null(tw_index__peer_of(&ix, &peer));
	assert_null(tw_index__peer_of(&ix, &ours.info));

	tw_index__del(&ix, &ours);
	assert_false(ours.in_tw_index);
	peer = tuple(SS_AF_INET, "127.0.0.2", 80, "127.0.0.1", 41000);
	assert_null(tw_index__peer_of(&ix, &peer));
	tw_index__del(&ix, &ours); /* not indexed: no-op */
}

static void rows_sharing_a_bucket_stay_apart(void **state)
{
	struct eng_sock rows[3] = {0};
	struct ss_sockinfo peer;

	(void)state;
	for (unsigned int i = 0; i < 3; i++) {
		rows[i].info = tuple(SS_AF_INET6, "::1", 42000 + i, "::1", 80);
		tw_index__add(&ix, &rows[i]);
	}
	tw_index__del(&ix, &rows[1]);
	for (unsigned int i = 0; i < 3; i++) {
		peer = tuple(SS_AF_INET6, "::1", 80, "::1", 42000 + i);
		assert_ptr_equal(tw_index__peer_of(&ix, &peer), i == 1 ? NULL : &rows[i]);
	}
	/* no port: no peer */
	peer = tuple(SS_AF_INET6, "::1", 80, "::1", 0);
	assert_null(tw_index__peer_of(&ix, &peer));
	tw_index__clear(&ix);
	peer = tuple(SS_AF_INET6, "::1", 80, "::1", 42000);
	assert_null(tw_index__peer_of(&ix, &peer));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(peer_finds_our_row),
		cmocka_unit_test(rows_sharing_a_bucket_stay_apart),
	};

	return cmocka_run_group_tests_name("engine_tw", tests, NULL, NULL);
}
