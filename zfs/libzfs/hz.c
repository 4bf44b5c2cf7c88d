//go:build linux && cgo && libzfs

// C helpers of the libzfs backend (see hz.h).

#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/systeminfo.h>
#include <libzfs.h>
#include <stdarg.h>
#include <libzutil.h>
#include <zfeature_common.h>

#include "hz.h"

// The handle go-libzfs opens in its package init, and its initializer.
extern libzfs_handle_t *libzfsHandle;
extern int go_libzfs_init(void);

// Runs at program load, before the Go runtime and go-libzfs's init: keep
// libzfs_init from loading the module or waiting for /dev/zfs.
__attribute__((constructor)) static void hz_env(void) {
	setenv("ZFS_MODULE_LOADING", "no", 1);
	setenv("ZFS_MODULE_TIMEOUT", "0", 0);
}

int hz_reinit(void) {
	if (libzfsHandle == NULL)
		go_libzfs_init();
	if (libzfsHandle == NULL)
		return errno ? errno : ENXIO;
	libzfs_print_on_error(libzfsHandle, B_FALSE);
	return 0;
}

// libzfs's error reporting (libzfs_impl.h, which needs kernel headers
// that libzfslinux-dev lacks).
extern int zfs_error(libzfs_handle_t *, int, const char *);
extern void zfs_error_aux(libzfs_handle_t *, const char *, ...);
extern int zfs_standard_error(libzfs_handle_t *, int, const char *);

// hz_fail records a system error as libzfs records its own, so that
// every failed helper leaves its error in the handle, and returns -1.
static int hz_fail(int err, const char *fmt, ...) {
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	(void) zfs_standard_error(libzfsHandle, err, msg);
	return -1;
}

int hz_errno(void) { return libzfs_errno(libzfsHandle); }
const char *hz_error(void) { return libzfs_error_description(libzfsHandle); }
const char *hz_action(void) { return libzfs_error_action(libzfsHandle); }

// hz_log_history records a command line in the pool's history, as the
// zpool and zfs commands do after a change (zpool history shows it).
int hz_log_history(const char *line) { return zpool_log_history(libzfsHandle, line); }

// A growing text buffer the helpers write tab-separated rows into.
typedef struct { char *p; size_t n, cap; } hz_buf;

static void hz_put(hz_buf *b, const char *s) {
	size_t l = strlen(s);
	if (b->n + l + 1 > b->cap) {
		size_t c = b->cap ? b->cap * 2 : 4096;
		while (c < b->n + l + 1) c *= 2;
		b->p = realloc(b->p, c);
		b->cap = c;
	}
	memcpy(b->p + b->n, s, l + 1);
	b->n += l;
}

static void hz_putu(hz_buf *b, uint64_t v) {
	char s[32];
	snprintf(s, sizeof s, "%llu", (unsigned long long)v);
	hz_put(b, s);
}

// ---- datasets, written as zfs list -Hp prints them ----

typedef struct {
	hz_buf *b;
	char **props;  // property names, after the fixed columns
	int nprops;
	int types;     // ZFS_TYPE_* mask to print
	int depth;     // remaining depth; -1 unlimited
} hz_list;

static void hz_prop(hz_buf *b, zfs_handle_t *zh, const char *name) {
	char buf[ZFS_MAXPROPLEN];
	zfs_prop_t p = zfs_name_to_prop(name);
	if (p != ZPROP_INVAL) {
		if (zfs_prop_get(zh, p, buf, sizeof buf, NULL, NULL, 0, B_TRUE) == 0)
			hz_put(b, buf);
		else
			hz_put(b, "-");
		return;
	}
	nvlist_t *user = zfs_get_user_props(zh), *pv;
	char *v;
	if (user != NULL && nvlist_lookup_nvlist(user, name, &pv) == 0 &&
	    nvlist_lookup_string(pv, ZPROP_VALUE, &v) == 0)
		hz_put(b, v);
	else
		hz_put(b, "-");
}

static const char *hz_typename(zfs_type_t t) {
	switch (t) {
	case ZFS_TYPE_FILESYSTEM: return "filesystem";
	case ZFS_TYPE_VOLUME: return "volume";
	case ZFS_TYPE_SNAPSHOT: return "snapshot";
	case ZFS_TYPE_BOOKMARK: return "bookmark";
	default: return "-";
	}
}

static void hz_row(hz_list *l, zfs_handle_t *zh) {
	static const char *fixed[] = {"used", "available", "referenced", "mountpoint"};
	hz_put(l->b, zfs_get_name(zh));
	hz_put(l->b, "\t");
	hz_put(l->b, hz_typename(zfs_get_type(zh)));
	for (int i = 0; i < 4; i++) {
		hz_put(l->b, "\t");
		hz_prop(l->b, zh, fixed[i]);
	}
	for (int i = 0; i < l->nprops; i++) {
		hz_put(l->b, "\t");
		hz_prop(l->b, zh, l->props[i]);
	}
	hz_put(l->b, "\n");
}

static int hz_visit(zfs_handle_t *zh, void *arg);

// hz_children visits snapshots and bookmarks, then child datasets.
static int hz_children(zfs_handle_t *zh, hz_list *l) {
	if (l->depth == 0)
		return 0;
	hz_list sub = *l;
	if (sub.depth > 0)
		sub.depth--;
	if (l->types & ZFS_TYPE_SNAPSHOT)
		zfs_iter_snapshots_sorted(zh, hz_visit, &sub, 0, 0);
	if (l->types & ZFS_TYPE_BOOKMARK)
		zfs_iter_bookmarks(zh, hz_visit, &sub);
	return zfs_iter_filesystems(zh, hz_visit, &sub);
}

static int hz_visit(zfs_handle_t *zh, void *arg) {
	hz_list *l = arg;
	zfs_type_t t = zfs_get_type(zh);
	if (t & l->types)
		hz_row(l, zh);
	if (t == ZFS_TYPE_FILESYSTEM || t == ZFS_TYPE_VOLUME)
		hz_children(zh, l);
	zfs_close(zh);
	return 0;
}

int hz_list_datasets(const char *root, char **props, int nprops, int types, int depth, int self, char **out) {
	hz_buf b = {0};
	hz_list l = {&b, props, nprops, types, depth};
	int err = 0;
	hz_put(&b, "");
	if (root == NULL) {
		l.depth = -1;
		err = zfs_iter_root(libzfsHandle, hz_visit, &l);
	} else {
		zfs_handle_t *zh = zfs_open(libzfsHandle, root, ZFS_TYPE_DATASET | ZFS_TYPE_BOOKMARK);
		if (zh == NULL) {
			free(b.p);
			return -1;
		}
		if (self && (zfs_get_type(zh) & types))
			hz_row(&l, zh);
		if (zfs_get_type(zh) != ZFS_TYPE_SNAPSHOT && zfs_get_type(zh) != ZFS_TYPE_BOOKMARK)
			hz_children(zh, &l);
		zfs_close(zh);
	}
	*out = b.p;
	return err;
}

// ---- dataset properties, as zfs get -Hp -o name,property,value,source ----

static void hz_source(hz_buf *b, zprop_source_t src, const char *from) {
	switch (src) {
	case ZPROP_SRC_DEFAULT: hz_put(b, "default"); break;
	case ZPROP_SRC_LOCAL: hz_put(b, "local"); break;
	case ZPROP_SRC_TEMPORARY: hz_put(b, "temporary"); break;
	case ZPROP_SRC_RECEIVED: hz_put(b, "received"); break;
	case ZPROP_SRC_INHERITED: hz_put(b, "inherited from "); hz_put(b, from); break;
	default: hz_put(b, "-");
	}
}

static void hz_get_one(hz_buf *b, zfs_handle_t *zh, zfs_prop_t p) {
	char val[ZFS_MAXPROPLEN], from[ZFS_MAX_DATASET_NAME_LEN];
	zprop_source_t src = ZPROP_SRC_NONE;
	from[0] = 0;
	if (zfs_prop_get(zh, p, val, sizeof val, &src, from, sizeof from, B_TRUE) != 0)
		return;
	hz_put(b, zfs_get_name(zh)); hz_put(b, "\t");
	hz_put(b, zfs_prop_to_name(p)); hz_put(b, "\t");
	hz_put(b, val); hz_put(b, "\t");
	hz_source(b, src, from);
	hz_put(b, "\n");
}

int hz_get_props(const char *name, char **props, int nprops, char **out) {
	zfs_handle_t *zh = zfs_open(libzfsHandle, name, ZFS_TYPE_DATASET | ZFS_TYPE_BOOKMARK);
	if (zh == NULL)
		return -1;
	hz_buf b = {0};
	hz_put(&b, "");
	if (nprops == 0) {
		for (int p = 0; p < ZFS_NUM_PROPS; p++)
			if (zfs_prop_visible(p) && zfs_prop_valid_for_type(p, zfs_get_type(zh), B_FALSE))
				hz_get_one(&b, zh, p);
	}
	for (int i = 0; i < nprops; i++) {
		zfs_prop_t p = zfs_name_to_prop(props[i]);
		if (p != ZPROP_INVAL) {
			hz_get_one(&b, zh, p);
			continue;
		}
		nvlist_t *user = zfs_get_user_props(zh), *pv;
		char *v, *src;
		hz_put(&b, name); hz_put(&b, "\t"); hz_put(&b, props[i]); hz_put(&b, "\t");
		if (user != NULL && nvlist_lookup_nvlist(user, props[i], &pv) == 0 &&
		    nvlist_lookup_string(pv, ZPROP_VALUE, &v) == 0) {
			hz_put(&b, v); hz_put(&b, "\t");
			if (nvlist_lookup_string(pv, ZPROP_SOURCE, &src) == 0 && strcmp(src, name) != 0) {
				hz_put(&b, "inherited from "); hz_put(&b, src);
			} else {
				hz_put(&b, "local");
			}
		} else {
			hz_put(&b, "-\t-");
		}
		hz_put(&b, "\n");
	}
	zfs_close(zh);
	*out = b.p;
	return 0;
}

// ---- pool properties and features, as zpool get -Hp ----

int hz_pool_props(const char *pool, char **props, int nprops, char **out) {
	zpool_handle_t *zh = zpool_open(libzfsHandle, pool);
	if (zh == NULL)
		return -1;
	hz_buf b = {0};
	char val[ZFS_MAXPROPLEN];
	zprop_source_t src;
	hz_put(&b, "");
	int all = nprops == 0;
	int n = all ? ZPOOL_NUM_PROPS + SPA_FEATURES : nprops;
	for (int i = 0; i < n; i++) {
		const char *name;
		int feature = 0;
		if (all && i < ZPOOL_NUM_PROPS) {
			name = zpool_prop_to_name(i);
		} else if (all) {
			static char fname[256];
			snprintf(fname, sizeof fname, "feature@%s", spa_feature_table[i - ZPOOL_NUM_PROPS].fi_uname);
			name = fname;
			feature = 1;
		} else {
			name = props[i];
			feature = strncmp(name, "feature@", 8) == 0;
		}
		src = ZPROP_SRC_NONE;
		if (feature) {
			if (zpool_prop_get_feature(zh, name, val, sizeof val) != 0)
				continue;
			src = ZPROP_SRC_LOCAL;
		} else {
			zpool_prop_t p = zpool_name_to_prop(name);
			if (p == ZPOOL_PROP_INVAL || zpool_get_prop(zh, p, val, sizeof val, &src, B_TRUE) != 0)
				continue;
		}
		hz_put(&b, pool); hz_put(&b, "\t"); hz_put(&b, name); hz_put(&b, "\t");
		hz_put(&b, val); hz_put(&b, "\t");
		hz_source(&b, src, "");
		hz_put(&b, "\n");
	}
	zpool_close(zh);
	*out = b.p;
	return 0;
}

int hz_upgrade(const char *pool) {
	zpool_handle_t *zh = zpool_open(libzfsHandle, pool);
	if (zh == NULL)
		return -1;
	char val[64], name[300];
	int err = 0;
	for (int i = 0; i < SPA_FEATURES && err == 0; i++) {
		snprintf(name, sizeof name, "feature@%s", spa_feature_table[i].fi_uname);
		if (zpool_prop_get_feature(zh, name, val, sizeof val) == 0 && strcmp(val, "disabled") == 0)
			err = zpool_set_prop(zh, name, "enabled");
	}
	zpool_close(zh);
	return err;
}

// ---- vdev trees for zpool status ----

static void hz_vdev(hz_buf *b, zpool_handle_t *zh, nvlist_t *nv, int depth, const char *cls, int spare) {
	nvlist_t **child;
	uint_t n = 0, vsc;
	vdev_stat_t *vs;
	char *type, *path, *bias = NULL;
	uint64_t is_log = 0, hole = 0, np;
	if (nvlist_lookup_string(nv, ZPOOL_CONFIG_TYPE, &type) != 0)
		return;
	(void) nvlist_lookup_uint64(nv, ZPOOL_CONFIG_IS_HOLE, &hole);
	if (hole || strcmp(type, VDEV_TYPE_INDIRECT) == 0)
		return;
	if (depth == 1) {
		(void) nvlist_lookup_uint64(nv, ZPOOL_CONFIG_IS_LOG, &is_log);
		(void) nvlist_lookup_string(nv, ZPOOL_CONFIG_ALLOCATION_BIAS, &bias);
		if (is_log) cls = "logs";
		else if (bias != NULL && strcmp(bias, "special") == 0) cls = "special";
		else if (bias != NULL && strcmp(bias, "dedup") == 0) cls = "dedup";
	}
	if (nvlist_lookup_uint64_array(nv, ZPOOL_CONFIG_VDEV_STATS, (uint64_t **)&vs, &vsc) != 0)
		return;
	char *name = depth == 0 ? strdup(zpool_get_name(zh)) :
	    zpool_vdev_name(libzfsHandle, zh, nv, VDEV_NAME_TYPE_ID);
	const char *state = zpool_state_to_name(vs->vs_state, vs->vs_aux);
	if (spare) {
		if (vs->vs_aux == VDEV_AUX_SPARED) state = "INUSE";
		else if (vs->vs_state == VDEV_STATE_HEALTHY) state = "AVAIL";
	}
	hz_putu(b, depth); hz_put(b, "\t"); hz_put(b, cls); hz_put(b, "\t");
	hz_put(b, type); hz_put(b, "\t");
	if (strcmp(type, "raidz") == 0 || strcmp(type, "draid") == 0) {
		if (nvlist_lookup_uint64(nv, ZPOOL_CONFIG_NPARITY, &np) == 0) hz_putu(b, np);
	}
	hz_put(b, "\t"); hz_put(b, name); hz_put(b, "\t"); hz_put(b, state); hz_put(b, "\t");
	hz_putu(b, vs->vs_read_errors); hz_put(b, "\t");
	hz_putu(b, vs->vs_write_errors); hz_put(b, "\t");
	hz_putu(b, vs->vs_checksum_errors); hz_put(b, "\t");
	if (nvlist_exists(nv, ZPOOL_CONFIG_NOT_PRESENT) && nvlist_lookup_string(nv, ZPOOL_CONFIG_PATH, &path) == 0) {
		hz_put(b, "was "); hz_put(b, path);
	} else if (vs->vs_aux == VDEV_AUX_ERR_EXCEEDED) {
		hz_put(b, "too many errors");
	} else if (vs->vs_aux == VDEV_AUX_OPEN_FAILED) {
		hz_put(b, "cannot open");
	} else if (vs->vs_aux == VDEV_AUX_CORRUPT_DATA) {
		hz_put(b, "corrupted data");
	}
	if (nvlist_lookup_nvlist_array(nv, ZPOOL_CONFIG_CHILDREN, &child, &n) != 0)
		n = 0;
	if (n == 0 && vs->vs_scan_processed != 0 && vs->vs_state != VDEV_STATE_CANT_OPEN)
		hz_put(b, "\tresilvering");
	hz_put(b, "\n");
	free(name);
	for (uint_t i = 0; i < n; i++)
		hz_vdev(b, zh, child[i], depth + 1, cls, spare);
}

int hz_status(const char *pool, char **out) {
	zpool_handle_t *zh = zpool_open_canfail(libzfsHandle, pool);
	if (zh == NULL)
		return -1;
	nvlist_t *config = zpool_get_config(zh, NULL), *nvroot;
	hz_buf b = {0};
	hz_put(&b, "");
	if (config == NULL || nvlist_lookup_nvlist(config, ZPOOL_CONFIG_VDEV_TREE, &nvroot) != 0) {
		zpool_close(zh);
		*out = b.p;
		return 0;
	}
	pool_scan_stat_t *ps = NULL;
	uint_t c;
	if (nvlist_lookup_uint64_array(nvroot, ZPOOL_CONFIG_SCAN_STATS, (uint64_t **)&ps, &c) == 0 && ps != NULL) {
		hz_put(&b, "scan");
		uint64_t v[] = {ps->pss_func, ps->pss_state, ps->pss_start_time, ps->pss_end_time,
		    ps->pss_to_examine, ps->pss_examined, ps->pss_processed, ps->pss_errors,
		    ps->pss_issued, ps->pss_pass_start, ps->pss_pass_exam, ps->pss_pass_issued,
		    ps->pss_pass_scrub_pause, ps->pss_pass_scrub_spent_paused};
		for (int i = 0; i < 14; i++) { hz_put(&b, "\t"); hz_putu(&b, v[i]); }
		hz_put(&b, "\n");
	}
	uint64_t nerr = 0;
	(void) nvlist_lookup_uint64(config, ZPOOL_CONFIG_ERRCOUNT, &nerr);
	hz_put(&b, "errors\t"); hz_putu(&b, nerr); hz_put(&b, "\n");
	// The damaged files, as zpool status -v lists them.
	nvlist_t *errlog = NULL;
	if (nerr > 0 && zpool_get_errlog(zh, &errlog) == 0) {
		char path[MAXPATHLEN * 2];
		for (nvpair_t *e = nvlist_next_nvpair(errlog, NULL); e != NULL; e = nvlist_next_nvpair(errlog, e)) {
			nvlist_t *nv = fnvpair_value_nvlist(e);
			zpool_obj_to_path(zh, fnvlist_lookup_uint64(nv, ZPOOL_ERR_DATASET),
			    fnvlist_lookup_uint64(nv, ZPOOL_ERR_OBJECT), path, sizeof path);
			hz_put(&b, "errfile\t"); hz_put(&b, path); hz_put(&b, "\n");
		}
		nvlist_free(errlog);
	}
	// The message ID of the pool's problem, for the "see:" link.
	char *msgid = NULL;
	zpool_errata_t errata;
	(void) zpool_get_status(zh, &msgid, &errata);
	if (msgid != NULL) {
		hz_put(&b, "see\t"); hz_put(&b, msgid); hz_put(&b, "\n");
	}
	hz_vdev(&b, zh, nvroot, 0, "", 0);
	nvlist_t **aux;
	uint_t n;
	if (nvlist_lookup_nvlist_array(nvroot, ZPOOL_CONFIG_L2CACHE, &aux, &n) == 0)
		for (uint_t i = 0; i < n; i++) hz_vdev(&b, zh, aux[i], 1, "cache", 0);
	if (nvlist_lookup_nvlist_array(nvroot, ZPOOL_CONFIG_SPARES, &aux, &n) == 0)
		for (uint_t i = 0; i < n; i++) hz_vdev(&b, zh, aux[i], 1, "spares", 1);
	zpool_close(zh);
	*out = b.p;
	return 0;
}

// ---- vdev specifications for create, add and replace ----

nvlist_t *hz_nvlist(void) {
	nvlist_t *nv = NULL;
	nvlist_alloc(&nv, NV_UNIQUE_NAME, 0);
	return nv;
}

// hz_leaf describes a device or file as zpool's vdev parser does: a
// whole disk (one zfs_dev_is_whole_disk accepts) is marked for a GPT
// label, a partition or other block device is used as it is, a regular
// file is a file vdev. The given path is kept, so that /dev/disk/by-id
// names survive. On failure it returns NULL with *err set.
nvlist_t *hz_leaf(const char *path, uint64_t ashift, int *err) {
	char real[MAXPATHLEN];
	struct stat64 st;
	boolean_t whole;
	const char *type;

	*err = 0;
	if (realpath(path, real) == NULL) {
		*err = errno;
		return NULL;
	}
	whole = zfs_dev_is_whole_disk(real);
	if (stat64(real, &st) != 0) {
		*err = errno;
		return NULL;
	}
	if (whole || S_ISBLK(st.st_mode)) {
		type = VDEV_TYPE_DISK;
	} else if (S_ISREG(st.st_mode)) {
		type = VDEV_TYPE_FILE;
	} else {
		*err = ENOTBLK;
		return NULL;
	}
	nvlist_t *nv = hz_nvlist();
	fnvlist_add_string(nv, ZPOOL_CONFIG_PATH, path);
	fnvlist_add_string(nv, ZPOOL_CONFIG_TYPE, type);
	if (strcmp(type, VDEV_TYPE_DISK) == 0)
		fnvlist_add_uint64(nv, ZPOOL_CONFIG_WHOLE_DISK, whole);
	if (ashift != 0)
		fnvlist_add_uint64(nv, ZPOOL_CONFIG_ASHIFT, ashift);
	return nv;
}

nvlist_t *hz_group(const char *type, nvlist_t **kids, int n, uint64_t parity,
    uint64_t ndata, uint64_t nspares, uint64_t ngroups) {
	nvlist_t *nv = hz_nvlist();
	fnvlist_add_string(nv, ZPOOL_CONFIG_TYPE, type);
	if (strcmp(type, VDEV_TYPE_RAIDZ) == 0 || strcmp(type, VDEV_TYPE_DRAID) == 0)
		fnvlist_add_uint64(nv, ZPOOL_CONFIG_NPARITY, parity);
	if (strcmp(type, VDEV_TYPE_DRAID) == 0) {
		fnvlist_add_uint64(nv, ZPOOL_CONFIG_DRAID_NDATA, ndata);
		fnvlist_add_uint64(nv, ZPOOL_CONFIG_DRAID_NSPARES, nspares);
		fnvlist_add_uint64(nv, ZPOOL_CONFIG_DRAID_NGROUPS, ngroups);
	}
	fnvlist_add_nvlist_array(nv, ZPOOL_CONFIG_CHILDREN, kids, n);
	return nv;
}

// hz_mark sets a top-level vdev's class: 0 normal, 1 log, 2 special.
void hz_mark(nvlist_t *nv, int cls) {
	fnvlist_add_uint64(nv, ZPOOL_CONFIG_IS_LOG, cls == 1);
	if (cls == 1)
		fnvlist_add_string(nv, ZPOOL_CONFIG_ALLOCATION_BIAS, VDEV_ALLOC_BIAS_LOG);
	if (cls == 2)
		fnvlist_add_string(nv, ZPOOL_CONFIG_ALLOCATION_BIAS, VDEV_ALLOC_BIAS_SPECIAL);
}

nvlist_t *hz_root(nvlist_t **kids, int n, nvlist_t **cache, int nc, nvlist_t **spares, int ns) {
	nvlist_t *nv = hz_nvlist();
	fnvlist_add_string(nv, ZPOOL_CONFIG_TYPE, VDEV_TYPE_ROOT);
	fnvlist_add_nvlist_array(nv, ZPOOL_CONFIG_CHILDREN, kids, n);
	if (nc > 0)
		fnvlist_add_nvlist_array(nv, ZPOOL_CONFIG_L2CACHE, cache, nc);
	if (ns > 0)
		fnvlist_add_nvlist_array(nv, ZPOOL_CONFIG_SPARES, spares, ns);
	return nv;
}

nvlist_t **hz_array(int n) { return calloc(n > 0 ? n : 1, sizeof (nvlist_t *)); }
void hz_aset(nvlist_t **a, int i, nvlist_t *nv) { a[i] = nv; }
void hz_free_array(nvlist_t **a, int n) {
	for (int i = 0; i < n; i++)
		nvlist_free(a[i]);
	free(a);
}

// hz_in_use reports whether a device or file carries the label of a
// pool, with the pool's state (pool_state_t) and name, which the caller
// frees.
int hz_in_use(const char *path, int *state, char **pool) {
	pool_state_t st;
	boolean_t inuse = B_FALSE;
	char *name = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (zpool_in_use(libzfsHandle, fd, &st, &name, &inuse) != 0 || !inuse) {
		free(name);
		close(fd);
		return 0;
	}
	close(fd);
	*state = st;
	*pool = name;
	return 1;
}

static int hz_is_spare(const char *path) {
	int state;
	char *name = NULL;
	int r = hz_in_use(path, &state, &name) && state == POOL_STATE_SPARE;
	free(name);
	return r;
}

// hz_zero_label clears the first 4 KiB of a device, so that blkid does
// not mistake a new vdev for the file system it held before.
static int hz_zero_label(const char *path) {
	char buf[4096];
	int fd = open(path, O_WRONLY | O_EXCL | O_CLOEXEC);
	if (fd < 0)
		return errno;
	memset(buf, 0, sizeof buf);
	ssize_t n = write(fd, buf, sizeof buf);
	int err = n < 0 ? errno : 0;
	(void) fdatasync(fd);
	close(fd);
	if (err == 0 && n != (ssize_t)sizeof buf)
		err = EIO;
	return err;
}

// hz_make_disks prepares the leaves of a vdev tree as zpool does before
// creating, adding or attaching: a whole disk gets a GPT label with
// ZFS's partition 1 and reserved partition 9 (zpool_label_disk), the
// vdev then names partition 1 (/dev/sdb1, or the -part1 link of a
// /dev/disk/by-* path, which it waits for udev to create); other
// devices get their first 4 KiB cleared. Hot spares and devices held
// open exclusively (shared spares) are left alone.
static int hz_make_disks(zpool_handle_t *zh, nvlist_t *nv) {
	nvlist_t **child;
	uint_t n;
	char *type, *path;
	uint64_t whole = 0;

	type = fnvlist_lookup_string(nv, ZPOOL_CONFIG_TYPE);
	if (nvlist_lookup_nvlist_array(nv, ZPOOL_CONFIG_CHILDREN, &child, &n) == 0) {
		for (uint_t i = 0; i < n; i++) {
			int err = hz_make_disks(zh, child[i]);
			if (err != 0)
				return err;
		}
		const char *aux[] = {ZPOOL_CONFIG_SPARES, ZPOOL_CONFIG_L2CACHE};
		for (int a = 0; a < 2; a++) {
			if (nvlist_lookup_nvlist_array(nv, aux[a], &child, &n) != 0)
				continue;
			for (uint_t i = 0; i < n; i++) {
				int err = hz_make_disks(zh, child[i]);
				if (err != 0)
					return err;
			}
		}
		return 0;
	}
	if (strcmp(type, VDEV_TYPE_DISK) != 0)
		return 0;
	path = fnvlist_lookup_string(nv, ZPOOL_CONFIG_PATH);
	(void) nvlist_lookup_uint64(nv, ZPOOL_CONFIG_WHOLE_DISK, &whole);
	if (!whole) {
		if (is_mpath_whole_disk(path))
			update_vdev_config_dev_strs(nv);
		if (!hz_is_spare(path))
			(void) hz_zero_label(path);
		return 0;
	}

	char devpath[MAXPATHLEN], udevpath[MAXPATHLEN];
	if (realpath(path, devpath) == NULL)
		return hz_fail(errno, "cannot resolve path '%s'", path);
	strlcpy(udevpath, path, sizeof udevpath);
	(void) zfs_append_partition(udevpath, sizeof udevpath);

	int exclusive = 0;
	int fd = open(devpath, O_RDWR | O_EXCL | O_CLOEXEC);
	if (fd < 0)
		exclusive = errno == EBUSY;
	else
		close(fd);
	if (!exclusive && !hz_is_spare(udevpath)) {
		struct stat64 st;
		// Remove the old -part1 link, so that only the one udev
		// makes for the new label is waited for.
		if (strncmp(udevpath, UDISK_ROOT, strlen(UDISK_ROOT)) == 0 &&
		    lstat64(udevpath, &st) == 0 && S_ISLNK(st.st_mode))
			(void) unlink(udevpath);
		if (zpool_label_disk(libzfsHandle, zh, strrchr(devpath, '/') + 1) == -1)
			return -1;
		int err = zpool_label_disk_wait(udevpath, DISK_LABEL_WAIT);
		if (err != 0)
			return hz_fail(err < 0 ? ETIMEDOUT : err, "missing link: %s was partitioned but %s is missing", devpath, udevpath);
		if ((err = hz_zero_label(udevpath)) != 0)
			return hz_fail(err, "cannot zero the first 4 KiB of '%s'", udevpath);
	}
	fnvlist_add_string(nv, ZPOOL_CONFIG_PATH, udevpath);
	update_vdev_config_dev_strs(nv);
	return 0;
}

// hz_create creates a pool as zpool create does: every feature the
// module supports is enabled (within the compatibility property's set)
// unless a feature@ property disables it, whole disks are labelled, and
// the pool's root file system is mounted.
int hz_create(const char *pool, nvlist_t *root, nvlist_t *props, nvlist_t *fsprops) {
	boolean_t requested[SPA_FEATURES];
	char *compat = NULL, *v;

	for (int i = 0; i < SPA_FEATURES; i++)
		requested[i] = B_TRUE;
	if (nvlist_lookup_string(props, zpool_prop_to_name(ZPOOL_PROP_COMPATIBILITY), &compat) == 0) {
		char report[1024];
		switch (zpool_load_compat(compat, requested, report, sizeof report)) {
		case ZPOOL_COMPATIBILITY_OK:
		case ZPOOL_COMPATIBILITY_WARNTOKEN:
			break;
		default:
			zfs_error_aux(libzfsHandle, "%s", report);
			return zfs_error(libzfsHandle, EZFS_BADPROP, "invalid compatibility property");
		}
	}
	// A version property asks for a legacy pool without features.
	int features = nvlist_lookup_string(props, zpool_prop_to_name(ZPOOL_PROP_VERSION), &v) != 0;
	for (int i = 0; i < SPA_FEATURES; i++) {
		char name[MAXPATHLEN];
		zfeature_info_t *f = &spa_feature_table[i];
		snprintf(name, sizeof name, "feature@%s", f->fi_uname);
		if (nvlist_lookup_string(props, name, &v) == 0) {
			if (strcmp(v, ZFS_FEATURE_DISABLED) == 0)
				(void) nvlist_remove_all(props, name);
		} else if (features && f->fi_zfs_mod_supported && requested[i]) {
			fnvlist_add_string(props, name, ZFS_FEATURE_ENABLED);
		}
	}
	int err = hz_make_disks(NULL, root);
	if (err != 0)
		return err;
	if (zpool_create(libzfsHandle, pool, root, props, fsprops) != 0)
		return -1;
	zfs_handle_t *zh = zfs_open(libzfsHandle, pool, ZFS_TYPE_FILESYSTEM);
	if (zh != NULL) {
		err = zfs_mount(zh, NULL, 0);
		zfs_close(zh);
	}
	return err;
}

int hz_add(const char *pool, nvlist_t *root) {
	zpool_handle_t *zh = zpool_open(libzfsHandle, pool);
	if (zh == NULL)
		return -1;
	int err = hz_make_disks(zh, root);
	if (err == 0)
		err = zpool_add(zh, root);
	zpool_close(zh);
	return err;
}

int hz_replace(const char *pool, const char *old, const char *new, nvlist_t *root) {
	zpool_handle_t *zh = zpool_open(libzfsHandle, pool);
	if (zh == NULL)
		return -1;
	int err = hz_make_disks(zh, root);
	if (err == 0)
		err = zpool_vdev_attach(zh, old, new, root, B_TRUE, B_FALSE);
	zpool_close(zh);
	return err;
}

// hz_import finds an exported pool by name in dirs (ZFS's default
// search path when there are none) and imports it as zpool import does:
// a pool last used by another host (or still active there, with
// multihost) is refused unless forced, and its file systems are mounted
// unless nomount.
int hz_import(const char *name, char **dirs, int ndirs, const char *newname,
    nvlist_t *props, int force, int nomount) {
	importargs_t args;
	nvlist_t *policy = hz_nvlist(), *pools, *config, *found = NULL;
	nvpair_t *elem = NULL;
	uint64_t state;
	char *pname;
	int err = -1;

	memset(&args, 0, sizeof args);
	args.path = dirs;
	args.paths = ndirs;
	args.poolname = name;
	fnvlist_add_uint64(policy, ZPOOL_LOAD_REQUEST_TXG, UINT64_MAX);
	fnvlist_add_uint32(policy, ZPOOL_LOAD_REWIND_POLICY, ZPOOL_NO_REWIND);
	args.policy = policy;
	pools = zpool_search_import(libzfsHandle, &args, &libzfs_config_ops);
	if (pools == NULL) {
		nvlist_free(policy);
		return zfs_error(libzfsHandle, EZFS_NOENT, "cannot import: no pools found");
	}
	while ((elem = nvlist_next_nvpair(pools, elem)) != NULL) {
		config = fnvpair_value_nvlist(elem);
		if (fnvlist_lookup_uint64(config, ZPOOL_CONFIG_POOL_STATE) == POOL_STATE_DESTROYED)
			continue;
		if (strcmp(fnvlist_lookup_string(config, ZPOOL_CONFIG_POOL_NAME), name) != 0)
			continue;
		if (found != NULL) {
			zfs_error_aux(libzfsHandle, "more than one matching pool: import by numeric ID instead");
			err = zfs_error(libzfsHandle, EZFS_BADTARGET, "cannot import");
			goto out;
		}
		found = config;
	}
	if (found == NULL) {
		err = zfs_error(libzfsHandle, EZFS_NOENT, "cannot import: no such pool available");
		goto out;
	}
	fnvlist_add_nvlist(found, ZPOOL_LOAD_POLICY, policy);
	state = fnvlist_lookup_uint64(found, ZPOOL_CONFIG_POOL_STATE);
	if (!force) {
		uint64_t hostid = 0, mmp = MMP_STATE_INACTIVE;
		nvlist_t *info;
		(void) nvlist_lookup_uint64(found, ZPOOL_CONFIG_HOSTID, &hostid);
		if (nvlist_lookup_nvlist(found, ZPOOL_CONFIG_LOAD_INFO, &info) == 0)
			(void) nvlist_lookup_uint64(info, ZPOOL_CONFIG_MMP_STATE, &mmp);
		if ((state != POOL_STATE_EXPORTED && hostid != get_system_hostid()) || mmp != MMP_STATE_INACTIVE) {
			char *host = "<unknown>";
			(void) nvlist_lookup_string(found, ZPOOL_CONFIG_HOSTNAME, &host);
			zfs_error_aux(libzfsHandle, "pool was previously in use from another system (%s, hostid %lx)",
			    host, (unsigned long)hostid);
			err = zfs_error(libzfsHandle, EZFS_POOL_INVALARG, "cannot import without force");
			goto out;
		}
	}
	if (zpool_import_props(libzfsHandle, found, newname, props, force ? ZFS_IMPORT_ANY_HOST : ZFS_IMPORT_NORMAL) != 0)
		goto out;
	pname = newname != NULL ? (char *)newname : (char *)name;
	zpool_handle_t *zh = zpool_open_canfail(libzfsHandle, pname);
	if (zh == NULL)
		goto out;
	err = 0;
	if (!nomount && zpool_get_state(zh) != POOL_STATE_UNAVAIL && zpool_enable_datasets(zh, NULL, 0) != 0)
		err = -1;
	zpool_close(zh);
out:
	nvlist_free(pools);
	nvlist_free(policy);
	return err;
}

int hz_pool_prop(const char *pool, const char *name, const char *value) {
	zpool_handle_t *zh = zpool_open(libzfsHandle, pool);
	if (zh == NULL) return -1;
	int err = zpool_set_prop(zh, name, value);
	zpool_close(zh);
	return err;
}

// ---- datasets ----

int hz_create_dataset(const char *name, int volume, uint64_t volsize, int sparse, int parents, nvlist_t *props) {
	zfs_type_t type = volume ? ZFS_TYPE_VOLUME : ZFS_TYPE_FILESYSTEM;
	// zfs create -p succeeds when the dataset exists.
	if (parents && zfs_dataset_exists(libzfsHandle, name, type))
		return 0;
	if (parents && zfs_create_ancestors(libzfsHandle, name) != 0)
		return -1;
	if (volume) {
		nvlist_add_uint64(props, zfs_prop_to_name(ZFS_PROP_VOLSIZE), volsize);
		if (!sparse) {
			char pool[ZFS_MAX_DATASET_NAME_LEN];
			strlcpy(pool, name, sizeof pool);
			char *s = strchr(pool, '/');
			if (s) *s = 0;
			zpool_handle_t *zph = zpool_open(libzfsHandle, pool);
			if (zph == NULL) return -1;
			uint64_t resv = zvol_volsize_to_reservation(zph, volsize, props);
			zpool_close(zph);
			nvlist_add_uint64(props, zfs_prop_to_name(ZFS_PROP_REFRESERVATION), resv);
		}
	}
	if (zfs_create(libzfsHandle, name, volume ? ZFS_TYPE_VOLUME : ZFS_TYPE_FILESYSTEM, props) != 0)
		return -1;
	if (volume)
		return 0;
	zfs_handle_t *zh = zfs_open(libzfsHandle, name, ZFS_TYPE_FILESYSTEM);
	if (zh == NULL) return -1;
	int err = 0;
	if (zfs_prop_get_int(zh, ZFS_PROP_CANMOUNT) == ZFS_CANMOUNT_ON && !zfs_is_mounted(zh, NULL))
		err = zfs_mount(zh, NULL, 0);
	zfs_close(zh);
	return err;
}

int hz_snapshot(const char *name, int recursive) {
	return zfs_snapshot(libzfsHandle, name, recursive, NULL);
}

int hz_clone(const char *snap, const char *target, nvlist_t *props) {
	zfs_handle_t *zh = zfs_open(libzfsHandle, snap, ZFS_TYPE_SNAPSHOT);
	if (zh == NULL) return -1;
	int err = zfs_clone(zh, target, props);
	zfs_close(zh);
	if (err) return err;
	zh = zfs_open(libzfsHandle, target, ZFS_TYPE_DATASET);
	if (zh == NULL) return -1;
	if (zfs_get_type(zh) == ZFS_TYPE_FILESYSTEM && zfs_prop_get_int(zh, ZFS_PROP_CANMOUNT) == ZFS_CANMOUNT_ON)
		err = zfs_mount(zh, NULL, 0);
	zfs_close(zh);
	return err;
}

typedef struct { uint64_t txg; int destroy; int newer; } hz_rb;

static int hz_newer(zfs_handle_t *zh, void *arg) {
	hz_rb *rb = arg;
	if (zfs_prop_get_int(zh, ZFS_PROP_CREATETXG) > rb->txg) {
		rb->newer++;
		if (rb->destroy && zfs_destroy(zh, B_FALSE) != 0) {
			zfs_close(zh);
			return -1;
		}
	}
	zfs_close(zh);
	return 0;
}

int hz_rollback(const char *snap, int destroy) {
	char fs[ZFS_MAX_DATASET_NAME_LEN];
	strlcpy(fs, snap, sizeof fs);
	char *at = strchr(fs, '@');
	if (at == NULL) return hz_fail(EINVAL, "cannot roll back to '%s'", snap);
	*at = 0;
	zfs_handle_t *zh = zfs_open(libzfsHandle, fs, ZFS_TYPE_DATASET);
	if (zh == NULL) return -1;
	zfs_handle_t *sh = zfs_open(libzfsHandle, snap, ZFS_TYPE_SNAPSHOT);
	if (sh == NULL) { zfs_close(zh); return -1; }
	hz_rb rb = {zfs_prop_get_int(sh, ZFS_PROP_CREATETXG), destroy, 0};
	int err = zfs_iter_snapshots(zh, B_FALSE, hz_newer, &rb, 0, 0);
	if (err == 0 && rb.newer > 0 && !destroy) {
		zfs_error_aux(libzfsHandle, "more recent snapshots exist; destroy them to roll back");
		err = zfs_error(libzfsHandle, EZFS_EXISTS, "cannot rollback to snapshot");
	}
	if (err == 0)
		err = zfs_rollback(zh, sh, B_FALSE);
	zfs_close(sh);
	zfs_close(zh);
	return err;
}

static int hz_destroy_one(zfs_handle_t *zh, void *arg) {
	int err = zfs_iter_children(zh, hz_destroy_one, arg);
	if (err == 0 && zfs_get_type(zh) == ZFS_TYPE_FILESYSTEM && zfs_is_mounted(zh, NULL))
		err = zfs_unmount(zh, NULL, 0);
	if (err == 0)
		err = zfs_destroy(zh, B_FALSE);
	zfs_close(zh);
	return err;
}

int hz_destroy(const char *name, int recursive) {
	zfs_handle_t *zh = zfs_open(libzfsHandle, name, ZFS_TYPE_DATASET);
	if (zh == NULL) return -1;
	if (strchr(name, '@') != NULL && recursive) {
		zfs_close(zh);
		char fs[ZFS_MAX_DATASET_NAME_LEN];
		strlcpy(fs, name, sizeof fs);
		char *at = strchr(fs, '@');
		*at = 0;
		zfs_handle_t *fh = zfs_open(libzfsHandle, fs, ZFS_TYPE_DATASET);
		if (fh == NULL) return -1;
		int err = zfs_destroy_snaps(fh, at + 1, B_FALSE);
		zfs_close(fh);
		return err;
	}
	if (recursive)
		return hz_destroy_one(zh, NULL);
	int err = 0;
	if (zfs_get_type(zh) == ZFS_TYPE_FILESYSTEM && zfs_is_mounted(zh, NULL))
		err = zfs_unmount(zh, NULL, 0);
	if (err == 0)
		err = zfs_destroy(zh, B_FALSE);
	zfs_close(zh);
	return err;
}

// hz_dataset opens a dataset, does one operation on it (hz_op) with the
// arguments it takes, and closes it.
int hz_dataset(const char *name, int op, const char *arg1, const char *arg2, nvlist_t *props) {
	zfs_handle_t *zh = zfs_open(libzfsHandle, name,
	    op == HZ_MOUNT || op == HZ_UNMOUNT ? ZFS_TYPE_FILESYSTEM : ZFS_TYPE_DATASET);
	if (zh == NULL)
		return -1;
	int err;
	switch (op) {
	case HZ_MOUNT:
		err = zfs_mount(zh, NULL, 0);
		break;
	case HZ_UNMOUNT:
		err = zfs_unmount(zh, NULL, 0);
		break;
	case HZ_SET: // arg1=arg2
		err = zfs_prop_set(zh, arg1, arg2);
		break;
	case HZ_LOAD_KEY: // from arg1, a key location, or the dataset's
		err = zfs_crypto_load_key(zh, B_FALSE, (char *)arg1);
		break;
	case HZ_UNLOAD_KEY:
		err = zfs_crypto_unload_key(zh);
		break;
	case HZ_CHANGE_KEY: // to the keyformat and keylocation of props
		err = zfs_crypto_rewrap(zh, props, B_FALSE);
		break;
	default:
		err = hz_fail(EINVAL, "unknown dataset operation %d", op);
	}
	zfs_close(zh);
	return err;
}

void hz_add_string(nvlist_t *nv, const char *k, const char *v) { nvlist_add_string(nv, k, v); }

// hz_destroy_pool destroys a pool as zpool destroy does: its file
// systems are unmounted first (forcibly with force).
int hz_destroy_pool(const char *pool, int force, const char *log) {
	zpool_handle_t *zh = zpool_open_canfail(libzfsHandle, pool);
	if (zh == NULL)
		return -1;
	int err = zpool_disable_datasets(zh, force);
	if (err == 0)
		err = zpool_destroy(zh, log);
	zpool_close(zh);
	return err;
}

// hz_scrub starts (0), pauses (1) or stops (2) a scrub, as zpool scrub,
// zpool scrub -p and zpool scrub -s do.
int hz_scrub(const char *pool, int action) {
	zpool_handle_t *zh = zpool_open(libzfsHandle, pool);
	if (zh == NULL)
		return -1;
	int err;
	switch (action) {
	case 1:
		err = zpool_scan(zh, POOL_SCAN_SCRUB, POOL_SCRUB_PAUSE);
		break;
	case 2:
		err = zpool_scan(zh, POOL_SCAN_NONE, POOL_SCRUB_NORMAL);
		break;
	default:
		err = zpool_scan(zh, POOL_SCAN_SCRUB, POOL_SCRUB_NORMAL);
	}
	zpool_close(zh);
	return err;
}
