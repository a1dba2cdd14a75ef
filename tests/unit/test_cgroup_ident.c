// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* cgroup path -> unit, container, runtime, pod: each runtime's layout, and
 * paths chosen by someone hostile. */
#include "testutil.h"

#include <errno.h>
#include <string.h>

#include "model/cgroup_ident.h"

#define ID64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define POD "6f1e3b4a-2c1d-4e5f-8a9b-0c1d2e3f4a5b"
#define POD_ "6f1e3b4a_2c1d_4e5f_8a9b_0c1d2e3f4a5b"

static struct cg_ident id;

static void parse(const char *path)
{
	assert_int_equal(cg_ident_parse(path, &id), 0);
	assert_string_equal(id.path, path);
}

static void plain_service(void **state)
{
	(void)state;
	parse("/system.slice/nginx.service");
	assert_string_equal(id.unit, "nginx.service");
	assert_string_equal(id.container_id, "");
	assert_null(id.runtime);
	assert_string_equal(id.pod_uid, "");
}

static void user_session_and_manager(void **state)
{
	(void)state;
	parse("/user.slice/user-1000.slice/session-3.scope");
	assert_string_equal(id.unit, "session-3.scope");
	parse("/user.slice/user-1000.slice/user@1000.service");
	assert_string_equal(id.unit, "user@1000.service");
	parse("/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service");
	assert_string_equal(id.unit, "foo.service");
	/* a delegated subtree below a unit keeps the unit */
	parse("/system.slice/foo.service/payload");
	assert_string_equal(id.unit, "foo.service");
}

static void root_and_slices(void **state)
{
	(void)state;
	parse("/");
	assert_string_equal(id.unit, "");
	parse("/system.slice");
	assert_string_equal(id.unit, "");
	assert_string_equal(id.container_id, "");
}

static void docker_systemd(void **state)
{
	(void)state;
	parse("/system.slice/docker-" ID64 ".scope");
	assert_string_equal(id.unit, "docker-" ID64 ".scope");
	assert_string_equal(id.container_id, ID64);
	assert_string_equal(id.runtime, "docker");
	assert_string_equal(id.pod_uid, "");
}

static void docker_cgroupfs(void **state)
{
	(void)state;
	parse("/docker/" ID64);
	assert_string_equal(id.unit, "");
	assert_string_equal(id.container_id, ID64);
	assert_string_equal(id.runtime, "docker");
	/* a short name under /docker is not an id */
	parse("/docker/abc");
	assert_string_equal(id.container_id, "");
}

static void containerd_cri(void **state)
{
	(void)state;
	parse("/system.slice/cri-containerd-" ID64 ".scope");
	assert_string_equal(id.container_id, ID64);
	assert_string_equal(id.runtime, "containerd");
}

static void crio_and_conmon(void **state)
{
	(void)state;
	parse("/machine.slice/crio-" ID64 ".scope");
	assert_string_equal(id.container_id, ID64);
	assert_string_equal(id.runtime, "cri-o");
	parse("/machine.slice/crio-conmon-" ID64 ".scope");
	assert_string_equal(id.container_id, "");
	assert_null(id.runtime);
	assert_string_equal(id.unit, "crio-conmon-" ID64 ".scope");
}

static void podman_and_conmon(void **state)
{
	(void)state;
	parse("/machine.slice/libpod-" ID64 ".scope");
	assert_string_equal(id.container_id, ID64);
	assert_string_equal(id.runtime, "podman");
	parse("/machine.slice/libpod-conmon-" ID64 ".scope");
	assert_string_equal(id.container_id, "");
	parse("/libpod_parent/libpod-" ID64);
	assert_string_equal(id.container_id, ID64);
	assert_string_equal(id.runtime, "podman");
	/* a payload subtree inside the container keeps it */
	parse("/machine.slice/libpod-" ID64 ".scope/container");
	assert_string_equal(id.container_id, ID64);
}

static void kubepods_systemd(void **state)
{
	(void)state;
	parse("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" POD_
	      ".slice/cri-containerd-" ID64 ".scope");
	assert_string_equal(id.container_id, ID64);
	assert_string_equal(id.runtime, "containerd");
	assert_string_equal(id.pod_uid, POD);
	assert_string_equal(id.unit, "cri-containerd-" ID64 ".scope");
	/* guaranteed QoS has no class slice */
	parse("/kubepods.slice/kubepods-pod" POD_ ".slice/crio-" ID64 ".scope");
	assert_string_equal(id.pod_uid, POD);
	assert_string_equal(id.runtime, "cri-o");
	/* the pause container's pod without a container yet */
	parse("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" POD_ ".slice");
	assert_string_equal(id.pod_uid, POD);
	assert_string_equal(id.container_id, "");
}

static void kubepods_cgroupfs(void **state)
{
	(void)state;
	parse("/kubepods/burstable/pod" POD "/" ID64);
	assert_string_equal(id.pod_uid, POD);
	assert_string_equal(id.container_id, ID64);
	assert_null(id.runtime); /* the path does not say: not invented */
	parse("/kubepods/pod" POD "/" ID64);
	assert_string_equal(id.pod_uid, POD);
	assert_string_equal(id.container_id, ID64);
	/* "pod..." outside kubepods is just a name */
	parse("/pod" POD "/" ID64);
	assert_string_equal(id.pod_uid, "");
	assert_string_equal(id.container_id, "");
}

static void hostile_paths(void **state)
{
	char longp[CG_PATH_MAX + 10];

	(void)state;
	/* not hex, too short, too long, upper case: no container */
	parse("/system.slice/docker-xyz.scope");
	assert_string_equal(id.container_id, "");
	assert_string_equal(id.unit, "docker-xyz.scope");
	parse("/system.slice/docker-0123456789a.scope");
	assert_string_equal(id.container_id, "");
	parse("/system.slice/docker-" ID64 "0.scope");
	assert_string_equal(id.container_id, "");
	parse("/system.slice/docker-0123456789ABCDEF.scope");
	assert_string_equal(id.container_id, "");
	parse("/system.slice/docker-.scope");
	assert_string_equal(id.container_id, "");
	/* ".service" alone is no unit; odd bytes are kept for escaping */
	parse("/.service");
	assert_string_equal(id.unit, "");
	parse("/a\nb\"c.service");
	assert_string_equal(id.unit, "a\nb\"c.service");
	/* pod uids of the wrong length or alphabet */
	parse("/kubepods/burstable/pod1234/" ID64);
	assert_string_equal(id.pod_uid, "");
	parse("/kubepods.slice/kubepods-podzzzzzzzz_2c1d_4e5f_8a9b_0c1d2e3f4a5b.slice");
	assert_string_equal(id.pod_uid, "");
	/* repeated slashes */
	parse("//system.slice///nginx.service/");
	assert_string_equal(id.unit, "nginx.service");
	/* not a path, too long */
	assert_int_equal(cg_ident_parse("", &id), -EINVAL);
	assert_int_equal(cg_ident_parse("system.slice", &id), -EINVAL);
	assert_int_equal(cg_ident_parse(NULL, &id), -EINVAL);
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	assert_int_equal(cg_ident_parse(longp, &id), -EINVAL);
	assert_string_equal(id.path, "");
	/* a unit name longer than a unit can be is cut, never overflows */
	memset(longp, 'u', CG_PATH_MAX - 20);
	longp[0] = '/';
	strcpy(longp + CG_PATH_MAX - 20, ".service");
	parse(longp);
	assert_int_equal(strlen(id.unit), CG_UNIT_MAX - 1);
}

static void container_filter(void **state)
{
	(void)state;
	assert_true(cg_ident_container_arg_ok("0123456789ab"));
	assert_true(cg_ident_container_arg_ok(ID64));
	assert_false(cg_ident_container_arg_ok("0123456789a"));
	assert_false(cg_ident_container_arg_ok("0123456789ag"));
	assert_false(cg_ident_container_arg_ok(ID64 "0"));
	parse("/system.slice/docker-" ID64 ".scope");
	assert_true(cg_ident_container_matches(&id, "0123456789ab"));
	assert_true(cg_ident_container_matches(&id, ID64));
	assert_false(cg_ident_container_matches(&id, "123456789abc"));
	assert_false(cg_ident_container_matches(NULL, "0123456789ab"));
	parse("/system.slice/nginx.service");
	assert_false(cg_ident_container_matches(&id, "0123456789ab"));
}

static const struct cg_ident *fake(void *ctx, uint64_t cg)
{
	return cg == 42 ? ctx : NULL;
}

static void resolver_hook(void **state)
{
	(void)state;
	assert_null(cg_ident_lookup(42));
	parse("/system.slice/nginx.service");
	cg_ident_set_resolver(fake, &id);
	assert_ptr_equal(cg_ident_lookup(42), &id);
	assert_null(cg_ident_lookup(7));
	assert_null(cg_ident_lookup(0));
	cg_ident_set_resolver(NULL, NULL);
	assert_null(cg_ident_lookup(42));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_service),    cmocka_unit_test(user_session_and_manager),
		cmocka_unit_test(root_and_slices),  cmocka_unit_test(docker_systemd),
		cmocka_unit_test(docker_cgroupfs),  cmocka_unit_test(containerd_cri),
		cmocka_unit_test(crio_and_conmon),  cmocka_unit_test(podman_and_conmon),
		cmocka_unit_test(kubepods_systemd), cmocka_unit_test(kubepods_cgroupfs),
		cmocka_unit_test(hostile_paths),    cmocka_unit_test(container_filter),
		cmocka_unit_test(resolver_hook),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
