//go:build linux && cgo && libzfs

package libzfs

/*
#cgo CFLAGS: -I/usr/include/libzfs -I/usr/include/libspl -DHAVE_IOCTL_IN_SYS_IOCTL_H -D_GNU_SOURCE
#cgo LDFLAGS: -lzfs -lzfs_core -lnvpair

#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <errno.h>
#include <libzfs.h>
#include <zfeature_common.h>

// The handle go-libzfs opens in its package init, and its initializer.
extern libzfs_handle_t *libzfsHandle;
extern int go_libzfs_init(void);

// Runs at program load, before the Go runtime and go-libzfs's init: keep
// libzfs_init from loading the module or waiting for /dev/zfs.
__attribute__((constructor)) static void hostadm_libzfs_env(void) {
	setenv("ZFS_MODULE_LOADING", "no", 1);
	setenv("ZFS_MODULE_TIMEOUT", "0", 0);
}

static int hz_reinit(void) {
	if (libzfsHandle == NULL)
		go_libzfs_init();
	if (libzfsHandle == NULL)
		return errno ? errno : ENXIO;
	libzfs_print_on_error(libzfsHandle, B_FALSE);
	return 0;
}

static int hz_errno(void) { return libzfs_errno(libzfsHandle); }
static const char *hz_error(void) { return libzfs_error_description(libzfsHandle); }

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

static int hz_list_datasets(const char *root, char **props, int nprops, int types, int depth, int self, char **out) {
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

static int hz_get_props(const char *name, char **props, int nprops, char **out) {
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

static int hz_pool_props(const char *pool, char **props, int nprops, char **out) {
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

static int hz_upgrade(const char *pool) {
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

static int hz_status(const char *pool, char **out) {
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

static nvlist_t *hz_nvlist(void) {
	nvlist_t *nv = NULL;
	nvlist_alloc(&nv, NV_UNIQUE_NAME, 0);
	return nv;
}

static nvlist_t *hz_leaf(const char *path, int file) {
	nvlist_t *nv = hz_nvlist();
	nvlist_add_string(nv, ZPOOL_CONFIG_TYPE, file ? VDEV_TYPE_FILE : VDEV_TYPE_DISK);
	nvlist_add_string(nv, ZPOOL_CONFIG_PATH, path);
	nvlist_add_uint64(nv, ZPOOL_CONFIG_WHOLE_DISK, 0);
	return nv;
}

static nvlist_t *hz_group(const char *type, nvlist_t **kids, int n, uint64_t parity,
    uint64_t ndata, uint64_t nspares, uint64_t ngroups) {
	nvlist_t *nv = hz_nvlist();
	nvlist_add_string(nv, ZPOOL_CONFIG_TYPE, type);
	if (strcmp(type, "raidz") == 0 || strcmp(type, "draid") == 0)
		nvlist_add_uint64(nv, ZPOOL_CONFIG_NPARITY, parity);
	if (strcmp(type, "draid") == 0) {
		nvlist_add_uint64(nv, ZPOOL_CONFIG_DRAID_NDATA, ndata);
		nvlist_add_uint64(nv, ZPOOL_CONFIG_DRAID_NSPARES, nspares);
		nvlist_add_uint64(nv, ZPOOL_CONFIG_DRAID_NGROUPS, ngroups);
	}
	nvlist_add_nvlist_array(nv, ZPOOL_CONFIG_CHILDREN, kids, n);
	return nv;
}

static void hz_mark(nvlist_t *nv, int cls) {
	if (cls == 1) nvlist_add_uint64(nv, ZPOOL_CONFIG_IS_LOG, 1);
	if (cls == 1) nvlist_add_string(nv, ZPOOL_CONFIG_ALLOCATION_BIAS, VDEV_ALLOC_BIAS_LOG);
	if (cls == 2) nvlist_add_string(nv, ZPOOL_CONFIG_ALLOCATION_BIAS, VDEV_ALLOC_BIAS_SPECIAL);
}

static nvlist_t *hz_root(nvlist_t **kids, int n, nvlist_t **cache, int nc, nvlist_t **spares, int ns) {
	nvlist_t *nv = hz_nvlist();
	nvlist_add_string(nv, ZPOOL_CONFIG_TYPE, VDEV_TYPE_ROOT);
	if (n > 0) nvlist_add_nvlist_array(nv, ZPOOL_CONFIG_CHILDREN, kids, n);
	if (nc > 0) nvlist_add_nvlist_array(nv, ZPOOL_CONFIG_L2CACHE, cache, nc);
	if (ns > 0) nvlist_add_nvlist_array(nv, ZPOOL_CONFIG_SPARES, spares, ns);
	return nv;
}

static nvlist_t **hz_array(int n) { return calloc(n > 0 ? n : 1, sizeof (nvlist_t *)); }
static void hz_aset(nvlist_t **a, int i, nvlist_t *nv) { a[i] = nv; }
static void hz_free_array(nvlist_t **a, int n) {
	for (int i = 0; i < n; i++) nvlist_free(a[i]);
	free(a);
}

static int hz_create(const char *pool, nvlist_t *root, nvlist_t *props, nvlist_t *fsprops) {
	return zpool_create(libzfsHandle, pool, root, props, fsprops);
}

static int hz_add(const char *pool, nvlist_t *root) {
	zpool_handle_t *zh = zpool_open(libzfsHandle, pool);
	if (zh == NULL) return -1;
	int err = zpool_add(zh, root);
	zpool_close(zh);
	return err;
}

static int hz_replace(const char *pool, const char *old, const char *new, nvlist_t *root) {
	zpool_handle_t *zh = zpool_open(libzfsHandle, pool);
	if (zh == NULL) return -1;
	int err = zpool_vdev_attach(zh, old, new, root, B_TRUE, B_FALSE);
	zpool_close(zh);
	return err;
}

static int hz_pool_prop(const char *pool, const char *name, const char *value) {
	zpool_handle_t *zh = zpool_open(libzfsHandle, pool);
	if (zh == NULL) return -1;
	int err = zpool_set_prop(zh, name, value);
	zpool_close(zh);
	return err;
}

// ---- datasets ----

static int hz_create_dataset(const char *name, int volume, uint64_t volsize, int sparse, int parents, nvlist_t *props) {
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

static int hz_snapshot(const char *name, int recursive) {
	return zfs_snapshot(libzfsHandle, name, recursive, NULL);
}

static int hz_clone(const char *snap, const char *target, nvlist_t *props) {
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

static int hz_rollback(const char *snap, int destroy) {
	char fs[ZFS_MAX_DATASET_NAME_LEN];
	strlcpy(fs, snap, sizeof fs);
	char *at = strchr(fs, '@');
	if (at == NULL) return EINVAL;
	*at = 0;
	zfs_handle_t *zh = zfs_open(libzfsHandle, fs, ZFS_TYPE_DATASET);
	if (zh == NULL) return -1;
	zfs_handle_t *sh = zfs_open(libzfsHandle, snap, ZFS_TYPE_SNAPSHOT);
	if (sh == NULL) { zfs_close(zh); return -1; }
	hz_rb rb = {zfs_prop_get_int(sh, ZFS_PROP_CREATETXG), destroy, 0};
	int err = zfs_iter_snapshots(zh, B_FALSE, hz_newer, &rb, 0, 0);
	if (err == 0 && rb.newer > 0 && !destroy)
		err = EEXIST;
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

static int hz_destroy(const char *name, int recursive) {
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

static int hz_mount(const char *name, int mount) {
	zfs_handle_t *zh = zfs_open(libzfsHandle, name, ZFS_TYPE_FILESYSTEM);
	if (zh == NULL) return -1;
	int err = mount ? zfs_mount(zh, NULL, 0) : zfs_unmount(zh, NULL, 0);
	zfs_close(zh);
	return err;
}

static int hz_set(const char *name, const char *prop, const char *value) {
	zfs_handle_t *zh = zfs_open(libzfsHandle, name, ZFS_TYPE_DATASET);
	if (zh == NULL) return -1;
	int err = zfs_prop_set(zh, prop, value);
	zfs_close(zh);
	return err;
}

static int hz_load_key(const char *name, char *location) {
	zfs_handle_t *zh = zfs_open(libzfsHandle, name, ZFS_TYPE_DATASET);
	if (zh == NULL) return -1;
	int err = zfs_crypto_load_key(zh, B_FALSE, location);
	zfs_close(zh);
	return err;
}

static int hz_unload_key(const char *name) {
	zfs_handle_t *zh = zfs_open(libzfsHandle, name, ZFS_TYPE_DATASET);
	if (zh == NULL) return -1;
	int err = zfs_crypto_unload_key(zh);
	zfs_close(zh);
	return err;
}

static int hz_change_key(const char *name, nvlist_t *props) {
	zfs_handle_t *zh = zfs_open(libzfsHandle, name, ZFS_TYPE_DATASET);
	if (zh == NULL) return -1;
	int err = zfs_crypto_rewrap(zh, props, B_FALSE);
	zfs_close(zh);
	return err;
}

static void hz_add_string(nvlist_t *nv, const char *k, const char *v) { nvlist_add_string(nv, k, v); }
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"unsafe"

	gozfs "github.com/bicomsystems/go-libzfs"
	"github.com/hostadm/hostadm/zfs"
)

// Backend is the libzfs implementation of zfs.Backend.
type Backend struct{}

// mu serializes every libzfs call: the library handle is shared and not
// safe for concurrent use.
var mu sync.Mutex

// New checks that ZFS is available and returns the backend. Errors match
// zfs.ErrNoZFS when /dev/zfs is missing or libzfs cannot be initialized,
// and os.ErrPermission when /dev/zfs cannot be opened for lack of
// privileges.
func New() (zfs.Backend, error) {
	st, err := os.Stat("/dev/zfs")
	if err != nil {
		return nil, fmt.Errorf("libzfs: /dev/zfs: %w (%w)", zfs.ErrNoZFS, err)
	}
	if st.Mode()&fs.ModeCharDevice == 0 {
		return nil, fmt.Errorf("libzfs: /dev/zfs is not a character device: %w", zfs.ErrNoZFS)
	}
	mu.Lock()
	defer mu.Unlock()
	if e := C.hz_reinit(); e != 0 {
		errno := syscall.Errno(e)
		if errno == syscall.EACCES || errno == syscall.EPERM {
			return nil, fmt.Errorf("libzfs: open /dev/zfs: %w", os.ErrPermission)
		}
		return nil, fmt.Errorf("libzfs: initializing libzfs: %v: %w", errno, zfs.ErrNoZFS)
	}
	return &Backend{}, nil
}

// Name implements zfs.Backend.
func (b *Backend) Name() string { return "libzfs" }

// libzfs error numbers (libzfs.h, EZFS_*) that map to package zfs errors.
const (
	ezfsNoent     = 2009
	ezfsBadprop   = 2001
	ezfsInvalname = 2013
	ezfsNodevice  = 2017
)

// Error is a failed libzfs call. It matches zfs.ErrNotFound for missing
// pools, datasets and devices, and zfs.ErrInvalid for bad names and
// property values.
type Error struct {
	Op    string // "zpool create tank", "zfs destroy tank/a"
	Errno int    // libzfs error number (EZFS_*), 0 when unknown
	Msg   string // libzfs's description
}

func (e *Error) Error() string { return "libzfs: " + e.Op + ": " + e.Msg }

// Is matches the package zfs sentinels.
func (e *Error) Is(target error) bool {
	switch target {
	case zfs.ErrNotFound:
		return e.Errno == ezfsNoent || e.Errno == ezfsNodevice
	case zfs.ErrInvalid:
		return e.Errno == ezfsBadprop || e.Errno == ezfsInvalname
	}
	return false
}

func lastError(op string) error {
	return &Error{Op: op, Errno: int(C.hz_errno()), Msg: C.GoString(C.hz_error())}
}

// call runs fn under the lock after checking ctx; a non-zero result is
// turned into an *Error.
func call(ctx context.Context, op string, fn func() C.int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	if r := fn(); r != 0 {
		if r > 0 && C.hz_errno() == 0 {
			return &Error{Op: op, Msg: syscall.Errno(r).Error()}
		}
		return lastError(op)
	}
	return nil
}

type cstrings struct{ p []*C.char }

func (c *cstrings) add(s string) *C.char {
	p := C.CString(s)
	c.p = append(c.p, p)
	return p
}

func (c *cstrings) free() {
	for _, p := range c.p {
		C.free(unsafe.Pointer(p))
	}
}

func (c *cstrings) array(list []string) (**C.char, C.int) {
	if len(list) == 0 {
		return nil, 0
	}
	arr := (**C.char)(C.calloc(C.size_t(len(list)), C.size_t(unsafe.Sizeof(uintptr(0)))))
	s := unsafe.Slice(arr, len(list))
	for i, x := range list {
		s[i] = c.add(x)
	}
	c.p = append(c.p, (*C.char)(unsafe.Pointer(arr)))
	return arr, C.int(len(list))
}

// text runs a helper that writes a malloc'd buffer.
func text(ctx context.Context, op string, fn func(out **C.char) C.int) ([]byte, error) {
	var out *C.char
	if err := call(ctx, op, func() C.int { return fn(&out) }); err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(out))
	return []byte(C.GoString(out)), nil
}

// Pools implements zfs.Backend.
func (b *Backend) Pools(ctx context.Context) ([]zfs.Pool, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	mu.Lock()
	pools, err := gozfs.PoolOpenAll()
	mu.Unlock()
	if err != nil {
		return nil, &Error{Op: "zpool list", Msg: err.Error()}
	}
	defer gozfs.PoolCloseAll(pools)
	var out []zfs.Pool
	for _, p := range pools {
		name, err := p.Name()
		if err != nil {
			return nil, &Error{Op: "zpool list", Msg: err.Error()}
		}
		props, err := b.PoolProperties(ctx, name, "name", "size", "allocated", "free", "fragmentation", "capacity", "dedupratio", "health", "guid", "ashift", "altroot")
		if err != nil {
			return nil, err
		}
		row := make([]string, len(props))
		for i, pr := range props {
			row[i] = pr.Value
		}
		list, err := zfs.ParsePoolList("libzfs", []byte(strings.Join(row, "\t")+"\n"))
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
	}
	slices.SortFunc(out, func(a, b zfs.Pool) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// PoolStatus implements zfs.Backend.
func (b *Backend) PoolStatus(ctx context.Context, pool string) ([]*zfs.PoolStatus, error) {
	names := []string{pool}
	if pool == "" {
		pools, err := b.Pools(ctx)
		if err != nil {
			return nil, err
		}
		names = names[:0]
		for _, p := range pools {
			names = append(names, p.Name)
		}
	}
	var out []*zfs.PoolStatus
	for _, n := range names {
		var cs cstrings
		cn := cs.add(n)
		data, err := text(ctx, "zpool status "+n, func(o **C.char) C.int { return C.hz_status(cn, o) })
		cs.free()
		if err != nil {
			return nil, err
		}
		st, err := parseStatusRows(n, data)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// CreatePool implements zfs.Backend.
func (b *Backend) CreatePool(ctx context.Context, p *zfs.Plan) error {
	var cs cstrings
	defer cs.free()
	root := vdevRoot(&cs, p)
	defer C.nvlist_free(root)
	props := stringList(&cs, p.Options)
	defer C.nvlist_free(props)
	fsprops := stringList(&cs, p.FSOptions)
	defer C.nvlist_free(fsprops)
	name := cs.add(p.Pool)
	return call(ctx, "zpool create "+p.Pool, func() C.int { return C.hz_create(name, root, props, fsprops) })
}

// AddVdevs implements zfs.Backend.
func (b *Backend) AddVdevs(ctx context.Context, p *zfs.Plan, force bool) error {
	var cs cstrings
	defer cs.free()
	root := vdevRoot(&cs, p)
	defer C.nvlist_free(root)
	name := cs.add(p.Pool)
	return call(ctx, "zpool add "+p.Pool, func() C.int { return C.hz_add(name, root) })
}

// ReplaceDevice implements zfs.Backend.
func (b *Backend) ReplaceDevice(ctx context.Context, pool, old, new string, force bool) error {
	var cs cstrings
	defer cs.free()
	kids := C.hz_array(1)
	C.hz_aset(kids, 0, leaf(&cs, new))
	root := C.hz_root(kids, 1, nil, 0, nil, 0)
	C.hz_free_array(kids, 1)
	defer C.nvlist_free(root)
	cp, co, cn := cs.add(pool), cs.add(old), cs.add(new)
	return call(ctx, "zpool replace "+pool, func() C.int { return C.hz_replace(cp, co, cn, root) })
}

// ImportPool implements zfs.Backend. Only Dirs and Force are supported.
func (b *Backend) ImportPool(ctx context.Context, name string, opts *zfs.ImportOptions) error {
	if opts == nil {
		opts = &zfs.ImportOptions{}
	}
	if opts.NewName != "" || opts.Altroot != "" || opts.NoMount {
		return fmt.Errorf("libzfs: import with a new name, altroot or without mounting: %w", errors.ErrUnsupported)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	dirs := opts.Dirs
	if len(dirs) == 0 {
		dirs = []string{"/dev/disk/by-id", "/dev"}
	}
	mu.Lock()
	defer mu.Unlock()
	p, err := gozfs.PoolImport(name, dirs)
	if err != nil {
		if strings.Contains(err.Error(), "no pools found") || strings.Contains(err.Error(), "not found") {
			return fmt.Errorf("libzfs: import %s: %v: %w", name, err, zfs.ErrNotFound)
		}
		return &Error{Op: "zpool import " + name, Msg: err.Error()}
	}
	p.Close()
	return nil
}

// ExportPool implements zfs.Backend.
func (b *Backend) ExportPool(ctx context.Context, pool string, force bool) error {
	return b.withPool(ctx, "zpool export", pool, func(p *gozfs.Pool) error { return p.Export(force, "hostadm: zpool export "+pool) })
}

// DestroyPool implements zfs.Backend.
func (b *Backend) DestroyPool(ctx context.Context, pool string, force bool) error {
	return b.withPool(ctx, "zpool destroy", pool, func(p *gozfs.Pool) error { return p.Destroy("hostadm: zpool destroy " + pool) })
}

func (b *Backend) withPool(ctx context.Context, op, pool string, fn func(*gozfs.Pool) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	p, err := gozfs.PoolOpen(pool)
	if err != nil {
		return &Error{Op: op + " " + pool, Errno: ezfsNoent, Msg: err.Error()}
	}
	defer p.Close()
	if err := fn(&p); err != nil {
		return &Error{Op: op + " " + pool, Errno: int(C.hz_errno()), Msg: err.Error()}
	}
	return nil
}

// PoolProperties implements zfs.Backend.
func (b *Backend) PoolProperties(ctx context.Context, pool string, names ...string) ([]zfs.Property, error) {
	var cs cstrings
	defer cs.free()
	cp := cs.add(pool)
	arr, n := cs.array(names)
	data, err := text(ctx, "zpool get "+pool, func(o **C.char) C.int { return C.hz_pool_props(cp, arr, n, o) })
	if err != nil {
		return nil, err
	}
	return zfs.ParseProperties("libzfs", data)
}

// SetPoolProperty implements zfs.Backend.
func (b *Backend) SetPoolProperty(ctx context.Context, pool, name, value string) error {
	var cs cstrings
	defer cs.free()
	cp, cn, cv := cs.add(pool), cs.add(name), cs.add(value)
	return call(ctx, "zpool set "+name+" "+pool, func() C.int { return C.hz_pool_prop(cp, cn, cv) })
}

// UpgradePool implements zfs.Backend.
func (b *Backend) UpgradePool(ctx context.Context, pool string) error {
	var cs cstrings
	defer cs.free()
	cp := cs.add(pool)
	return call(ctx, "zpool upgrade "+pool, func() C.int { return C.hz_upgrade(cp) })
}

// Datasets implements zfs.Backend: it writes what zfs list -Hp would and
// reads it with the same parser.
func (b *Backend) Datasets(ctx context.Context, opts *zfs.ListOptions) ([]zfs.Dataset, error) {
	if opts == nil {
		opts = &zfs.ListOptions{}
	}
	types := C.int(0)
	for _, t := range opts.Types {
		switch t {
		case zfs.Filesystem:
			types |= C.ZFS_TYPE_FILESYSTEM
		case zfs.Volume:
			types |= C.ZFS_TYPE_VOLUME
		case zfs.Snapshot:
			types |= C.ZFS_TYPE_SNAPSHOT
		case zfs.Bookmark:
			types |= C.ZFS_TYPE_BOOKMARK
		}
	}
	if types == 0 {
		types = C.ZFS_TYPE_FILESYSTEM | C.ZFS_TYPE_VOLUME
	}
	depth := C.int(0)
	switch {
	case opts.Depth > 0:
		depth = C.int(opts.Depth)
	case opts.Recursive:
		depth = -1
	case types&(C.ZFS_TYPE_FILESYSTEM|C.ZFS_TYPE_VOLUME) == 0:
		depth = 1 // zfs list -t snapshot FS lists FS's snapshots
	}
	var cs cstrings
	defer cs.free()
	var root *C.char
	if opts.Root != "" {
		root = cs.add(opts.Root)
	}
	arr, n := cs.array(opts.Properties)
	data, err := text(ctx, "zfs list", func(o **C.char) C.int { return C.hz_list_datasets(root, arr, n, types, depth, 1, o) })
	if err != nil {
		return nil, err
	}
	return zfs.ParseDatasetList("libzfs", data, opts)
}

// DatasetProperties implements zfs.Backend.
func (b *Backend) DatasetProperties(ctx context.Context, dataset string, names ...string) ([]zfs.Property, error) {
	var cs cstrings
	defer cs.free()
	cd := cs.add(dataset)
	arr, n := cs.array(names)
	data, err := text(ctx, "zfs get "+dataset, func(o **C.char) C.int { return C.hz_get_props(cd, arr, n, o) })
	if err != nil {
		return nil, err
	}
	return zfs.ParseProperties("libzfs", data)
}

// SetDatasetProperty implements zfs.Backend.
func (b *Backend) SetDatasetProperty(ctx context.Context, dataset, name, value string) error {
	var cs cstrings
	defer cs.free()
	cd, cn, cv := cs.add(dataset), cs.add(name), cs.add(value)
	return call(ctx, "zfs set "+name+" "+dataset, func() C.int { return C.hz_set(cd, cn, cv) })
}

// keyPipe hands key material to libzfs as a file:///proc/self/fd/N
// location, so that it never touches the disk, argv or the environment.
// The caller closes the returned file after the libzfs call.
func keyPipe(key []byte) (string, *os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return "", nil, err
	}
	_, err = w.Write(key) // at most 512 bytes: fits the pipe buffer
	w.Close()
	if err != nil {
		r.Close()
		return "", nil, err
	}
	return fmt.Sprintf("file:///proc/self/fd/%d", r.Fd()), r, nil
}

// CreateDataset implements zfs.Backend.
func (b *Backend) CreateDataset(ctx context.Context, o *zfs.CreateOptions) error {
	var cs cstrings
	defer cs.free()
	props := map[string]string{}
	for k, v := range o.Properties {
		props[k] = v
	}
	if o.Volblocksize != 0 {
		props["volblocksize"] = strconv.FormatUint(o.Volblocksize, 10)
	}
	prompt := false
	if e := o.Encryption; e != nil {
		alg, f, loc := e.Algorithm, string(e.Format), e.Location
		if alg == "" {
			alg = "on"
		}
		if f == "" {
			f = string(zfs.Passphrase)
		}
		if loc == "" {
			loc = zfs.KeyLocationPrompt
		}
		props["encryption"], props["keyformat"], props["keylocation"] = alg, f, loc
		if e.PBKDF2Iters != 0 {
			props["pbkdf2iters"] = strconv.Itoa(e.PBKDF2Iters)
		}
		if loc == zfs.KeyLocationPrompt {
			uri, r, err := keyPipe(e.Key)
			if err != nil {
				return err
			}
			defer r.Close()
			props["keylocation"] = uri
			prompt = true
		}
	}
	nv := stringList(&cs, props)
	defer C.nvlist_free(nv)
	name := cs.add(o.Name)
	vol, sparse, parents := C.int(0), C.int(0), C.int(0)
	if o.Type == zfs.Volume {
		vol = 1
	}
	if o.Sparse {
		sparse = 1
	}
	if o.Parents {
		parents = 1
	}
	err := call(ctx, "zfs create "+o.Name, func() C.int {
		return C.hz_create_dataset(name, vol, C.uint64_t(o.Volsize), sparse, parents, nv)
	})
	if err == nil && prompt {
		err = b.SetDatasetProperty(ctx, o.Name, "keylocation", zfs.KeyLocationPrompt)
	}
	return err
}

// Snapshot implements zfs.Backend.
func (b *Backend) Snapshot(ctx context.Context, snapshot string, recursive bool) error {
	var cs cstrings
	defer cs.free()
	cn := cs.add(snapshot)
	return call(ctx, "zfs snapshot "+snapshot, func() C.int { return C.hz_snapshot(cn, cbool(recursive)) })
}

// Clone implements zfs.Backend.
func (b *Backend) Clone(ctx context.Context, snapshot, target string, props map[string]string) error {
	var cs cstrings
	defer cs.free()
	nv := stringList(&cs, props)
	defer C.nvlist_free(nv)
	cs1, ct := cs.add(snapshot), cs.add(target)
	return call(ctx, "zfs clone "+snapshot, func() C.int { return C.hz_clone(cs1, ct, nv) })
}

// Rollback implements zfs.Backend.
func (b *Backend) Rollback(ctx context.Context, snapshot string, destroyNewer bool) error {
	var cs cstrings
	defer cs.free()
	cn := cs.add(snapshot)
	err := call(ctx, "zfs rollback "+snapshot, func() C.int { return C.hz_rollback(cn, cbool(destroyNewer)) })
	var e *Error
	if errors.As(err, &e) && e.Msg == syscall.EEXIST.Error() {
		e.Msg = "more recent snapshots exist; destroy them to roll back"
	}
	return err
}

// DestroyDataset implements zfs.Backend.
func (b *Backend) DestroyDataset(ctx context.Context, dataset string, recursive bool) error {
	var cs cstrings
	defer cs.free()
	cn := cs.add(dataset)
	return call(ctx, "zfs destroy "+dataset, func() C.int { return C.hz_destroy(cn, cbool(recursive)) })
}

// Mount implements zfs.Backend.
func (b *Backend) Mount(ctx context.Context, dataset string) error {
	var cs cstrings
	defer cs.free()
	cn := cs.add(dataset)
	return call(ctx, "zfs mount "+dataset, func() C.int { return C.hz_mount(cn, 1) })
}

// Unmount implements zfs.Backend.
func (b *Backend) Unmount(ctx context.Context, dataset string) error {
	var cs cstrings
	defer cs.free()
	cn := cs.add(dataset)
	return call(ctx, "zfs unmount "+dataset, func() C.int { return C.hz_mount(cn, 0) })
}

// LoadKey implements zfs.Backend.
func (b *Backend) LoadKey(ctx context.Context, dataset string, key []byte) error {
	var cs cstrings
	defer cs.free()
	cn := cs.add(dataset)
	var loc *C.char
	if key != nil {
		uri, r, err := keyPipe(key)
		if err != nil {
			return err
		}
		defer r.Close()
		loc = cs.add(uri)
	}
	return call(ctx, "zfs load-key "+dataset, func() C.int { return C.hz_load_key(cn, loc) })
}

// UnloadKey implements zfs.Backend.
func (b *Backend) UnloadKey(ctx context.Context, dataset string) error {
	var cs cstrings
	defer cs.free()
	cn := cs.add(dataset)
	return call(ctx, "zfs unload-key "+dataset, func() C.int { return C.hz_unload_key(cn) })
}

// ChangeKey implements zfs.Backend.
func (b *Backend) ChangeKey(ctx context.Context, dataset string, enc *zfs.Encryption) error {
	var cs cstrings
	defer cs.free()
	f, loc := string(enc.Format), enc.Location
	if f == "" {
		f = string(zfs.Passphrase)
	}
	if loc == "" {
		loc = zfs.KeyLocationPrompt
	}
	props := map[string]string{"keyformat": f, "keylocation": loc}
	if enc.PBKDF2Iters != 0 {
		props["pbkdf2iters"] = strconv.Itoa(enc.PBKDF2Iters)
	}
	prompt := loc == zfs.KeyLocationPrompt
	if prompt {
		uri, r, err := keyPipe(enc.Key)
		if err != nil {
			return err
		}
		defer r.Close()
		props["keylocation"] = uri
	}
	nv := stringList(&cs, props)
	defer C.nvlist_free(nv)
	cn := cs.add(dataset)
	err := call(ctx, "zfs change-key "+dataset, func() C.int { return C.hz_change_key(cn, nv) })
	if err == nil && prompt {
		err = b.SetDatasetProperty(ctx, dataset, "keylocation", zfs.KeyLocationPrompt)
	}
	return err
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

func stringList(cs *cstrings, m map[string]string) *C.nvlist_t {
	nv := C.hz_nvlist()
	for k, v := range m {
		C.hz_add_string(nv, cs.add(k), cs.add(v))
	}
	return nv
}

func leaf(cs *cstrings, path string) *C.nvlist_t {
	file := C.int(0)
	if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() {
		file = 1
	}
	return C.hz_leaf(cs.add(path), file)
}

// vdevRoot builds the root vdev of a plan: data, special and log vdevs
// as children, cache and spare devices in their own arrays.
func vdevRoot(cs *cstrings, p *zfs.Plan) *C.nvlist_t {
	type top struct {
		spec zfs.VdevSpec
		cls  C.int // 0 normal, 1 log, 2 special
	}
	var tops []top
	for _, v := range p.Vdevs {
		tops = append(tops, top{v, 0})
	}
	for _, v := range p.Special {
		tops = append(tops, top{v, 2})
	}
	for _, v := range p.Log {
		tops = append(tops, top{v, 1})
	}
	kids := C.hz_array(C.int(len(tops)))
	for i, t := range tops {
		var nv *C.nvlist_t
		if t.spec.Type == "disk" {
			nv = leaf(cs, t.spec.Devices[0])
		} else {
			leaves := C.hz_array(C.int(len(t.spec.Devices)))
			for j, d := range t.spec.Devices {
				C.hz_aset(leaves, C.int(j), leaf(cs, d))
			}
			typ, parity := t.spec.Type, 0
			switch {
			case strings.HasPrefix(typ, "raidz"):
				typ, parity = "raidz", int(typ[5]-'0')
			case strings.HasPrefix(typ, "draid"):
				typ, parity = "draid", int(typ[5]-'0')
			}
			nv = C.hz_group(cs.add(typ), leaves, C.int(len(t.spec.Devices)), C.uint64_t(parity),
				C.uint64_t(t.spec.DRAIDData), C.uint64_t(t.spec.DRAIDSpares), C.uint64_t(t.spec.DRAIDGroups))
			C.hz_free_array(leaves, C.int(len(t.spec.Devices)))
		}
		C.hz_mark(nv, t.cls)
		C.hz_aset(kids, C.int(i), nv)
	}
	cache := C.hz_array(C.int(len(p.Cache)))
	for i, d := range p.Cache {
		C.hz_aset(cache, C.int(i), leaf(cs, d))
	}
	spares := C.hz_array(C.int(len(p.Spares)))
	for i, d := range p.Spares {
		C.hz_aset(spares, C.int(i), leaf(cs, d))
	}
	root := C.hz_root(kids, C.int(len(tops)), cache, C.int(len(p.Cache)), spares, C.int(len(p.Spares)))
	C.hz_free_array(kids, C.int(len(tops)))
	C.hz_free_array(cache, C.int(len(p.Cache)))
	C.hz_free_array(spares, C.int(len(p.Spares)))
	return root
}
