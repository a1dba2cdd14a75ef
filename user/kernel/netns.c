// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel/netns.h"
#include "lib/grow.h"

int netns_list__add(struct netns_list *l, uint32_t inode)
{
	for (size_t i = 0; i < l->nr; i++)
		if (l->inodes[i] == inode)
			return 0;
	if (l->nr == l->cap && grow_array(&l->inodes, &l->cap, sizeof(*l->inodes), 16))
		return -ENOMEM;
	l->inodes[l->nr++] = inode;
	return 0;
}

void netns_list__free(struct netns_list *l)
{
	free(l->inodes);
	memset(l, 0, sizeof(*l));
}

static uint32_t inode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : (uint32_t)st.st_ino;
}

uint32_t netns_self(void)
{
	return inode_of("/proc/thread-self/ns/net");
}

/* Calls fn(path, inode) for every candidate namespace path; stops when fn
 * returns non-zero and returns that value. */
static int for_each_netns_path(int (*fn)(const char *path, uint32_t ino, void *arg), void *arg)
{
	char path[300];
	struct dirent *d;
	DIR *dir;
	int rc = 0;

	if ((dir = opendir("/run/netns"))) {
		while (!rc && (d = readdir(dir))) {
			if (d->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/run/netns/%s", d->d_name);
			rc = fn(path, inode_of(path), arg);
		}
		closedir(dir);
	}
	if (rc || !(dir = opendir("/proc")))
		return rc;
	while (!rc && (d = readdir(dir))) {
		char link[64];
		ssize_t n;
		unsigned long ino;

		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", d->d_name);
		/* "net:[4026531840]": readlink is cheaper than stat */
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (sscanf(link, "net:[%lu]", &ino) != 1)
			continue;
		rc = fn(path, (uint32_t)ino, arg);
	}
	closedir(dir);
	return rc;
}

static int add_cb(const char *path, uint32_t ino, void *arg)
{
	(void)path;
	return ino ? netns_list__add(arg, ino) : 0;
}

int netns_list__scan(struct netns_list *l)
{
	return for_each_netns_path(add_cb, l);
}

struct open_arg {
	uint32_t want;
	int fd;
};

static int open_cb(const char *path, uint32_t ino, void *arg)
{
	struct open_arg *a = arg;

	if (ino != a->want)
		return 0;
	a->fd = open(path, O_RDONLY | O_CLOEXEC);
	/* the process may just have exited: keep looking */
	return a->fd >= 0 ? 1 : 0;
}

int netns_open(uint32_t inode)
{
	struct open_arg a = {.want = inode, .fd = -1};

	if (inode == netns_self())
		return open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	for_each_netns_path(open_cb, &a);
	return a.fd >= 0 ? a.fd : -ENOENT;
}
