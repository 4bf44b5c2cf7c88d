//go:build linux && cgo && libzfs

// C helpers of the libzfs backend. They do what the zpool and zfs
// commands do around each libzfs call (labelling whole disks, enabling
// features at pool creation, the import checks) and write listings as
// the commands' parsable output, which package zfs's parsers read.

#ifndef HOSTADM_HZ_H
#define HOSTADM_HZ_H

#include <stdlib.h>
#include <stdint.h>
#include <libzfs.h>

// Library handle.
int hz_reinit(void);
int hz_errno(void);
const char *hz_error(void);
const char *hz_action(void);
int hz_log_history(const char *line);

// Listings, written into a malloc'd buffer the caller frees.
int hz_list_datasets(const char *root, char **props, int nprops, int types, int depth, int self, char **out);
int hz_get_props(const char *name, char **props, int nprops, char **out);
int hz_pool_props(const char *pool, char **props, int nprops, char **out);
int hz_status(const char *pool, char **out);

// Vdev specifications.
nvlist_t *hz_nvlist(void);
void hz_add_string(nvlist_t *nv, const char *k, const char *v);
nvlist_t *hz_leaf(const char *path, uint64_t ashift, int *err);
nvlist_t *hz_group(const char *type, nvlist_t **kids, int n, uint64_t parity,
    uint64_t ndata, uint64_t nspares, uint64_t ngroups);
void hz_mark(nvlist_t *nv, int cls);
nvlist_t *hz_root(nvlist_t **kids, int n, nvlist_t **cache, int nc, nvlist_t **spares, int ns);
nvlist_t **hz_array(int n);
void hz_aset(nvlist_t **a, int i, nvlist_t *nv);
void hz_free_array(nvlist_t **a, int n);
int hz_in_use(const char *path, int *state, char **pool);

// Pools.
int hz_create(const char *pool, nvlist_t *root, nvlist_t *props, nvlist_t *fsprops);
int hz_add(const char *pool, nvlist_t *root);
int hz_replace(const char *pool, const char *old, const char *new, nvlist_t *root);
int hz_import(const char *name, char **dirs, int ndirs, const char *newname, nvlist_t *props, int force, int nomount);
int hz_pool_prop(const char *pool, const char *name, const char *value);
int hz_upgrade(const char *pool);
int hz_scrub(const char *pool, int action);
int hz_destroy_pool(const char *pool, int force, const char *log);

// Datasets.
int hz_create_dataset(const char *name, int volume, uint64_t volsize, int sparse, int parents, nvlist_t *props);
int hz_snapshot(const char *name, int recursive);
int hz_clone(const char *snap, const char *target, nvlist_t *props);
int hz_rollback(const char *snap, int destroy);
int hz_destroy(const char *name, int recursive);

// Operations of hz_dataset.
enum hz_op { HZ_MOUNT, HZ_UNMOUNT, HZ_SET, HZ_LOAD_KEY, HZ_UNLOAD_KEY, HZ_CHANGE_KEY };
int hz_dataset(const char *name, int op, const char *arg1, const char *arg2, nvlist_t *props);

#endif
