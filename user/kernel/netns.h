/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Finding and entering network namespaces by inode number. */
#ifndef SS_NETNS_H
#define SS_NETNS_H

#include <stddef.h>
#include <stdint.h>

struct netns_list {
	uint32_t *inodes;
	size_t nr;
	size_t cap;
};

/* Every network namespace reachable through /proc/<pid>/ns/net or the
 * files in /run/netns, plus any inodes already in the list. 0 or -errno. */
int netns_list__scan(struct netns_list *l);
int netns_list__add(struct netns_list *l, uint32_t inode);
void netns_list__free(struct netns_list *l);

/* An O_RDONLY fd for the namespace with this inode, or -errno. */
int netns_open(uint32_t inode);
/* Inode of the calling thread's network namespace (0 on error). */
uint32_t netns_self(void);

#endif
