/* Paths inside an image stay inside it. */
#include "base/rootfs.h"
#include "testutil.h"

Test(rootfs, absolute_links_resolve_inside_the_root)
{
	char *d = tu_tmpdir(), out[PATH_MAX];
	ats_err err = {0};
	mkdir(tu_path(d, "etc"), 0755);
	mkdir(tu_path(d, "data"), 0755);
	tu_write_str(tu_path(d, "data/ca.pem"), "x");
	cr_assert_eq(symlink("/data/ca.pem", tu_path(d, "etc/ca.pem")), 0);
	cr_assert_eq(symlink("/data", tu_path(d, "etc/dir")), 0);
	cr_assert_eq(ats_root_path(d, "/etc/ca.pem", out, sizeof(out), &err), 0, "%s", err.msg);
	cr_assert_str_eq(out, tu_path(d, "data/ca.pem"));
	cr_assert_eq(ats_root_path(d, "/etc/dir/ca.pem", out, sizeof(out), &err), 0);
	cr_assert_str_eq(out, tu_path(d, "data/ca.pem"));
	cr_assert_eq(ats_root_path(d, "/etc/new-file", out, sizeof(out), &err), 0);
	cr_assert_str_eq(out, tu_path(d, "etc/new-file"));
	tu_rmtree(d);
}

Test(rootfs, climbing_link_stays_at_the_root_and_loop_is_an_error)
{
	char *d = tu_tmpdir(), out[PATH_MAX], want[PATH_MAX];
	ats_err err = {0};
	/* More ".." than the image is deep: the booted device (and chroot) stops at "/", so the
	 * link means the image's own /etc/passwd, never the host's. */
	cr_assert_eq(symlink("../../../../etc/passwd", tu_path(d, "escape")), 0);
	cr_assert_eq(symlink("loop2", tu_path(d, "loop1")), 0);
	cr_assert_eq(symlink("loop1", tu_path(d, "loop2")), 0);
	cr_assert_eq(ats_root_path(d, "/escape", out, sizeof(out), &err), 0, "%s", err.msg);
	snprintf(want, sizeof(want), "%s/etc/passwd", d);
	cr_assert_str_eq(out, want);
	cr_assert_eq(ats_root_path(d, "/../../etc/x", out, sizeof(out), &err), 0, "%s", err.msg);
	snprintf(want, sizeof(want), "%s/etc/x", d);
	cr_assert_str_eq(out, want);
	cr_assert_neq(ats_root_path(d, "/loop1", out, sizeof(out), &err), 0);
	cr_assert(strstr(err.msg, "loop"), "%s", err.msg);
	tu_rmtree(d);
}

Test(rootfs, no_root_is_the_path_itself)
{
	char out[PATH_MAX];
	cr_assert_eq(ats_root_path(NULL, "/etc/ssl/certs", out, sizeof(out), NULL), 0);
	cr_assert_str_eq(out, "/etc/ssl/certs");
}
