package vmtest

import (
	"bufio"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hostadm/hostadm/internal/runner"
)

// imageRecipe changes whenever the base image's make-up changes, so that
// cached images are rebuilt.
const imageRecipe = "base-3"

// moduleInclude selects the modules of the base image by path below
// lib/modules/<release>/; their dependencies come along. The rest of the
// kernel's modules stay out to keep the initramfs small, which matters
// under software emulation; a package names any other module it needs in
// its testdata/vm.json ("modules"), and the run adds it.
var moduleInclude = []string{
	// Networking: bonds, VLANs, bridges, tunnels, virtual links.
	"kernel/net/8021q/", "kernel/net/802/", "kernel/net/llc/", "kernel/net/bridge/bridge.ko",
	"kernel/net/core/", "kernel/net/ipv4/", "kernel/net/ipv6/", "kernel/net/packet/",
	"kernel/net/unix/", "kernel/net/key/", "kernel/net/xfrm/", "kernel/net/sched/sch_",
	"kernel/drivers/net/bonding/", "kernel/drivers/net/team/", "kernel/drivers/net/ipvlan/",
	"kernel/drivers/net/vxlan/", "kernel/drivers/net/wireguard/",
	"kernel/drivers/net/dummy.ko", "kernel/drivers/net/veth.ko", "kernel/drivers/net/macvlan.ko",
	"kernel/drivers/net/macvtap.ko", "kernel/drivers/net/geneve.ko", "kernel/drivers/net/tun.ko",
	"kernel/drivers/net/tap.ko", "kernel/drivers/net/virtio_net.ko", "kernel/drivers/net/ifb.ko",
	"kernel/drivers/net/vrf.ko", "kernel/drivers/net/nlmon.ko",
	// Disks: virtio, SCSI, AHCI, NVMe, loop, device-mapper and md.
	"kernel/drivers/md/", "kernel/drivers/block/loop.ko", "kernel/drivers/block/virtio_blk.ko",
	"kernel/drivers/block/nbd.ko", "kernel/drivers/block/brd.ko", "kernel/drivers/block/null_blk/",
	"kernel/drivers/nvme/host/nvme.ko", "kernel/drivers/nvme/host/nvme-core.ko",
	"kernel/drivers/ata/ahci.ko", "kernel/drivers/ata/libahci.ko", "kernel/drivers/ata/libata.ko",
	"kernel/drivers/scsi/scsi_mod.ko", "kernel/drivers/scsi/scsi_common.ko", "kernel/drivers/scsi/sd_mod.ko",
	"kernel/drivers/scsi/sg.ko", "kernel/drivers/scsi/sr_mod.ko", "kernel/drivers/scsi/virtio_scsi.ko",
	"kernel/drivers/virtio/", "kernel/drivers/char/virtio_console.ko",
	"kernel/drivers/char/hw_random/virtio-rng.ko", "kernel/drivers/firmware/efi/",
	// File systems, with the code pages and checksums they load by name.
	"kernel/fs/btrfs/", "kernel/fs/ext4/", "kernel/fs/xfs/", "kernel/fs/fat/", "kernel/fs/efivarfs/",
	"kernel/fs/overlayfs/", "kernel/fs/fuse/", "kernel/fs/squashfs/", "kernel/fs/isofs/", "kernel/fs/9p/",
	"kernel/fs/nls/nls_cp437.ko", "kernel/fs/nls/nls_cp850.ko", "kernel/fs/nls/nls_iso8859-1.ko",
	"kernel/fs/nls/nls_utf8.ko", "kernel/fs/nls/nls_ascii.ko",
	"kernel/crypto/", "kernel/arch/x86/crypto/",
	// OpenZFS, built by DKMS.
	"updates/dkms/",
}

// moduleExclude drops parts of moduleInclude that no test needs.
var moduleExclude = []string{
	"kernel/net/9p/9pnet_rdma.ko", "kernel/net/ipv4/netfilter/", "kernel/net/ipv6/netfilter/",
	"kernel/drivers/md/dm-vdo", "kernel/crypto/async_tx/raid6test.ko",
}

// guestSkip are package paths never copied into the guest.
var guestSkip = []string{
	".debroot", "usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale",
	"usr/share/lintian", "usr/share/bash-completion", "usr/share/zsh", "usr/share/bug",
	"usr/share/initramfs-tools", "usr/include", "usr/lib/udev/hwdb.d", "lib/udev/hwdb.d",
}

// libDirs are searched for shared libraries, after an ELF file's RUNPATH.
var libDirs = []string{"/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib", "/lib"}

// Image is a built base initramfs.
type Image struct {
	// Path is the uncompressed newc cpio archive.
	Path string
	// Files are the guest paths it holds.
	Files map[string]bool

	size int64
}

// manifest is the record of a cached base image: its files, and the host
// files it copied with their size and time, so that an upgrade of the
// host's libraries rebuilds it.
type manifest struct {
	Files []string              `json:"files"`
	Host  map[string]hostRecord `json:"host"`
}

type hostRecord struct {
	Size  int64     `json:"size"`
	MTime time.Time `json:"mtime"`
}

// BaseImage returns the guest's base initramfs (kernel modules with the
// ZFS module, the tools of the guest packages with their libraries, and
// the file system skeleton), building it when the cache has none for
// these assets.
func (e *Env) BaseImage(ctx context.Context, a *Assets) (*Image, error) {
	h := sha256.New()
	fmt.Fprintln(h, imageRecipe, a.KernelRelease, a.ZFSVersion)
	for _, p := range slices.Sorted(func(yield func(string) bool) {
		for k := range a.Versions {
			if !yield(k) {
				return
			}
		}
	}) {
		fmt.Fprintln(h, p, a.Versions[p])
	}
	if b, err := os.ReadFile(filepath.Join(a.ZFSModules, ".built")); err == nil {
		h.Write(b)
	}
	key := hex.EncodeToString(h.Sum(nil))[:16]
	unlock, err := e.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	dir := filepath.Join(e.cache(), "image")
	cpio := filepath.Join(dir, "base-"+key+".cpio")
	man := filepath.Join(dir, "base-"+key+".json")
	if img, ok := loadImage(cpio, man); ok {
		return img, nil
	}
	start := time.Now()
	stage, err := newStageDir(dir)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(stage)
	s := newStager(stage, a)
	if err := s.build(ctx, e.runner(), a); err != nil {
		return nil, err
	}
	m := manifest{Host: s.host}
	for p := range s.added {
		m.Files = append(m.Files, p)
	}
	img, err := saveImage(cpio, man, "base-*", m, func(c *cpioWriter) error {
		c.CharDev("dev/console", 0o600, 5, 1)
		c.CharDev("dev/null", 0o666, 1, 3)
		return c.Tree(stage, "")
	})
	if err != nil {
		return nil, err
	}
	e.logf("stage image: base initramfs %s (%d MiB, %d files) built in %.1fs", filepath.Base(cpio), img.size>>20, len(m.Files), time.Since(start).Seconds())
	return img, nil
}

// newStageDir makes a scratch directory for an image's files in dir.
func newStageDir(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return os.MkdirTemp(dir, "stage-")
}

// saveImage writes an image's archive with write and its manifest, and
// removes the older images of its kind (pattern, in the same directory)
// once no run can still be using them.
func saveImage(cpio, man, pattern string, m manifest, write func(*cpioWriter) error) (*Image, error) {
	sort.Strings(m.Files)
	if err := writeCPIO(cpio, write); err != nil {
		return nil, err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(man, b, 0o644); err != nil {
		return nil, err
	}
	dir := filepath.Dir(cpio)
	old, _ := filepath.Glob(filepath.Join(dir, pattern))
	for _, f := range old {
		if fi, err := os.Stat(f); err == nil && f != cpio && f != man && time.Since(fi.ModTime()) > 6*time.Hour {
			_ = os.Remove(f)
		}
	}
	img, ok := loadImage(cpio, man)
	if !ok {
		return nil, fmt.Errorf("%s: the image just written does not load", cpio)
	}
	return img, nil
}

func loadImage(cpio, man string) (*Image, bool) {
	fi, err := os.Stat(cpio)
	if err != nil {
		return nil, false
	}
	b, err := os.ReadFile(man)
	if err != nil {
		return nil, false
	}
	var m manifest
	if json.Unmarshal(b, &m) != nil {
		return nil, false
	}
	for p, r := range m.Host {
		fi, err := os.Stat(p)
		if err != nil || fi.Size() != r.Size || !fi.ModTime().Equal(r.MTime) {
			return nil, false
		}
	}
	img := &Image{Path: cpio, Files: map[string]bool{}, size: fi.Size()}
	for _, f := range m.Files {
		img.Files[f] = true
	}
	return img, true
}

// writeCPIO writes an archive atomically.
func writeCPIO(name string, fill func(*cpioWriter) error) error {
	f, err := os.CreateTemp(filepath.Dir(name), ".cpio-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	c := newCPIOWriter(f)
	if err := fill(c); err != nil {
		f.Close()
		return err
	}
	if err := c.Close(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}

// stager lays out the guest's root file system in a directory. The guest
// is merged-/usr: /bin, /sbin, /lib and /lib64 are links into /usr.
type stager struct {
	dir   string
	roots []string // package trees, searched in order, then the host
	added map[string]bool
	host  map[string]hostRecord
	// missing are the libraries no root has, as "libx.so.1 (for /usr/bin/y)".
	missing []string
}

func newStager(dir string, a *Assets) *stager {
	return &stager{dir: dir, roots: []string{a.GuestRoot}, added: map[string]bool{}, host: map[string]hostRecord{}}
}

// usrMerged maps a path to its place in a merged-/usr tree.
func usrMerged(p string) string {
	p = path.Clean("/" + p)
	for _, d := range []string{"/bin", "/sbin", "/lib", "/lib64"} {
		if p == d || strings.HasPrefix(p, d+"/") {
			return "/usr" + p
		}
	}
	return p
}

func (s *stager) build(ctx context.Context, run runner.Runner, a *Assets) error {
	for _, d := range []string{"bin", "sbin", "lib", "lib64"} {
		if err := os.MkdirAll(filepath.Join(s.dir, "usr", d), 0o755); err != nil {
			return err
		}
		if err := os.Symlink("usr/"+d, filepath.Join(s.dir, d)); err != nil {
			return err
		}
	}
	for _, d := range []string{"proc", "sys", "dev", "run", "tmp", "root", "mnt", "var/tmp", "var/lib", "var/log", "etc", "hostadm"} {
		if err := os.MkdirAll(filepath.Join(s.dir, d), 0o755); err != nil {
			return err
		}
	}
	if err := s.addTree(a.GuestRoot); err != nil {
		return fmt.Errorf("guest packages: %w", err)
	}
	if len(s.missing) > 0 {
		return fmt.Errorf("guest packages need libraries that neither they nor this machine have: %s", strings.Join(s.missing, ", "))
	}
	if err := s.busybox(ctx, run, a.GuestRoot); err != nil {
		return err
	}
	if err := s.etc(); err != nil {
		return err
	}
	// glibc's iconv modules, for dosfstools' code page conversions.
	for _, g := range []string{"gconv-modules", "gconv-modules.d/gconv-modules-extra.conf", "IBM437.so", "IBM850.so", "ISO8859-1.so", "UTF-16.so", "UTF-32.so"} {
		if err := s.add("/usr/lib/x86_64-linux-gnu/gconv/" + g); err != nil {
			return err
		}
	}
	if err := s.modules(a); err != nil {
		return err
	}
	if _, err := run.Run(ctx, runner.Cmd{Args: []string{"ldconfig", "-r", s.dir}, Timeout: time.Minute}); err != nil {
		return err
	}
	return nil
}

func skipped(rel string) bool {
	for _, p := range guestSkip {
		if rel == p || strings.HasPrefix(rel, p+"/") {
			return true
		}
	}
	return false
}

// addTree adds every file of an unpacked package.
func (s *stager) addTree(root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		if skipped(filepath.ToSlash(rel)) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(s.dir, usrMerged(rel)), 0o755)
		}
		return s.addFrom(root, "/"+filepath.ToSlash(rel))
	})
}

// find returns where a guest path's file is: in a package tree (under its
// own or its merged-/usr name) or on the host.
func (s *stager) find(p string) (root string, ok bool) {
	alt := usrMerged(p)
	for _, r := range s.roots {
		for _, q := range []string{p, alt, strings.TrimPrefix(alt, "/usr")} {
			if _, err := os.Lstat(filepath.Join(r, q)); err == nil {
				return r, true
			}
		}
	}
	if _, err := os.Lstat(p); err == nil {
		return "/", true
	}
	return "", false
}

// add adds the file at guest path p from wherever find locates it.
func (s *stager) add(p string) error {
	if s.added[usrMerged(p)] {
		return nil
	}
	root, ok := s.find(p)
	if !ok {
		return fmt.Errorf("%s: in no guest package and not on this machine", p)
	}
	return s.addFrom(root, p)
}

// addFrom adds the file at p in root, following symbolic links and the
// shared libraries of ELF files.
func (s *stager) addFrom(root, p string) error {
	gp := usrMerged(p)
	if s.added[gp] {
		return nil
	}
	src := ""
	for _, q := range []string{p, gp, strings.TrimPrefix(gp, "/usr")} {
		if _, err := os.Lstat(filepath.Join(root, q)); err == nil {
			src = filepath.Join(root, q)
			break
		}
	}
	if src == "" {
		return fmt.Errorf("%s: not in %s", p, root)
	}
	fi, err := os.Lstat(src)
	if err != nil {
		return err
	}
	s.added[gp] = true
	dst := filepath.Join(s.dir, gp)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		t, err := os.Readlink(src)
		if err != nil {
			return err
		}
		if !path.IsAbs(t) {
			t = path.Join(path.Dir(p), t)
		}
		t = usrMerged(t)
		if err := os.Symlink(t, dst); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		return s.add(t)
	case fi.IsDir():
		return os.MkdirAll(dst, fi.Mode().Perm())
	case !fi.Mode().IsRegular():
		return nil
	}
	if root == "/" {
		s.host[src] = hostRecord{Size: fi.Size(), MTime: fi.ModTime()}
	}
	if err := copyFile(src, dst, fi.Mode().Perm()); err != nil {
		return err
	}
	if fi.Mode()&(fs.ModeSetuid|fs.ModeSetgid) != 0 {
		if err := os.Chmod(dst, fi.Mode()&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid)); err != nil {
			return err
		}
	}
	return s.elfDeps(gp, src)
}

// elfDeps adds the interpreter and the shared libraries an ELF file
// needs, as the dynamic loader would find them.
func (s *stager) elfDeps(gp, src string) error {
	needed, interp, runpath, err := elfInfo(src)
	if err != nil || (len(needed) == 0 && interp == "") {
		return nil // not ELF, or static
	}
	if interp != "" {
		if err := s.add(interp); err != nil {
			return fmt.Errorf("%s: interpreter: %w", gp, err)
		}
	}
	dirs := slices.Clone(libDirs)
	for _, r := range runpath {
		dirs = append([]string{strings.ReplaceAll(r, "$ORIGIN", path.Dir(gp))}, dirs...)
	}
	for _, lib := range needed {
		found := false
		for _, d := range dirs {
			p := path.Join(d, lib)
			if _, ok := s.find(p); ok {
				if err := s.add(p); err != nil {
					return err
				}
				found = true
				break
			}
		}
		if !found {
			s.missing = append(s.missing, fmt.Sprintf("%s (for %s)", lib, gp))
		}
	}
	return nil
}

func elfInfo(name string) (needed []string, interp string, runpath []string, err error) {
	f, err := elf.Open(name)
	if err != nil {
		return nil, "", nil, err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b, err := io.ReadAll(p.Open())
			if err != nil {
				return nil, "", nil, err
			}
			interp = strings.TrimRight(string(b), "\x00")
		}
	}
	needed, err = f.ImportedLibraries()
	if err != nil {
		return nil, "", nil, err
	}
	for _, tag := range []elf.DynTag{elf.DT_RUNPATH, elf.DT_RPATH} {
		v, _ := f.DynString(tag)
		for _, s := range v {
			runpath = append(runpath, strings.Split(s, ":")...)
		}
	}
	return needed, interp, runpath, nil
}

// busybox links the applets of busybox-static that no guest package
// provides (sh among them).
func (s *stager) busybox(ctx context.Context, run runner.Runner, root string) error {
	bin := filepath.Join(root, "bin/busybox")
	res, err := run.Run(ctx, runner.Cmd{Args: []string{bin, "--list-full"}, Timeout: time.Minute})
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(strings.NewReader(string(res.Stdout)))
	for sc.Scan() {
		gp := usrMerged(sc.Text())
		if gp == "/usr" || s.added[gp] || strings.Contains(gp, "..") {
			continue
		}
		if _, err := os.Lstat(filepath.Join(s.dir, gp)); err == nil {
			continue
		}
		if err := os.MkdirAll(filepath.Join(s.dir, path.Dir(gp)), 0o755); err != nil {
			return err
		}
		if err := os.Symlink("/usr/bin/busybox", filepath.Join(s.dir, gp)); err != nil {
			return err
		}
		s.added[gp] = true
	}
	return sc.Err()
}

// etc writes the guest's configuration files.
func (s *stager) etc() error {
	files := map[string]string{
		"etc/passwd":                             "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
		"etc/group":                              "root:x:0:\ndisk:x:6:\ntty:x:5:\nnogroup:x:65534:\n",
		"etc/shadow":                             "root:*:19000:0:99999:7:::\n",
		"etc/hostname":                           "vmtest\n",
		"etc/hosts":                              "127.0.0.1\tlocalhost\n127.0.1.1\tvmtest\n::1\tlocalhost ip6-localhost ip6-loopback\n",
		"etc/nsswitch.conf":                      "passwd: files\ngroup: files\nshadow: files\nhosts: files\n",
		"etc/fstab":                              "# The test guest runs from its initramfs.\n",
		"etc/ld.so.conf":                         "include /etc/ld.so.conf.d/*.conf\n",
		"etc/ld.so.conf.d/x86_64-linux-gnu.conf": "/usr/local/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n",
		// The guest has no systemd to start lvmpolld on demand.
		"etc/lvm/lvmlocal.conf": "global {\n\tuse_lvmpolld = 0\n}\n",
		// Tests make their own bonds and dummies, named as they like.
		"etc/modprobe.d/vmtest.conf": "options bonding max_bonds=0\noptions dummy numdummies=0\n",
	}
	for name, body := range files {
		p := filepath.Join(s.dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		perm := os.FileMode(0o644)
		if name == "etc/shadow" {
			perm = 0o640
		}
		if err := os.WriteFile(p, []byte(body), perm); err != nil {
			return err
		}
		s.added["/"+name] = true
	}
	if err := s.add("/usr/lib/os-release"); err != nil {
		return err
	}
	for link, target := range map[string]string{"etc/os-release": "../usr/lib/os-release", "etc/mtab": "../proc/self/mounts"} {
		if err := os.Symlink(target, filepath.Join(s.dir, link)); err != nil {
			return err
		}
		s.added["/"+link] = true
	}
	return nil
}

// modules copies the selected kernel modules and their dependencies,
// with the module index of the whole kernel (depmod run by Prepare), so
// that a run can add any other module.
func (s *stager) modules(a *Assets) error {
	mods, err := loadModuleIndex(a)
	if err != nil {
		return err
	}
	var sel []string
	for m := range mods.deps {
		if moduleSelected(m) {
			sel = append(sel, m)
		}
	}
	if err := s.addModules(a, mods, sel); err != nil {
		return err
	}
	kdir := filepath.Join(a.KernelTree, "lib/modules", a.KernelRelease)
	dst := filepath.Join(s.dir, "usr/lib/modules", a.KernelRelease)
	idx, err := filepath.Glob(filepath.Join(kdir, "modules.*"))
	if err != nil {
		return err
	}
	for _, f := range idx {
		if err := copyFile(f, filepath.Join(dst, filepath.Base(f)), 0o644); err != nil {
			return err
		}
		s.added[path.Join("/usr/lib/modules", a.KernelRelease, filepath.Base(f))] = true
	}
	return nil
}

// moduleIndex is the kernel's modules.dep.
type moduleIndex struct {
	deps   map[string][]string // path -> paths it needs
	byName map[string]string   // name (underscores) -> path
}

func loadModuleIndex(a *Assets) (*moduleIndex, error) {
	deps, err := readModulesDep(filepath.Join(a.KernelTree, "lib/modules", a.KernelRelease, "modules.dep"))
	if err != nil {
		return nil, err
	}
	idx := &moduleIndex{deps: deps, byName: map[string]string{}}
	for m := range deps {
		idx.byName[moduleName(m)] = m
	}
	return idx, nil
}

// moduleName returns "dm_thin_pool" for "kernel/drivers/md/dm-thin-pool.ko".
func moduleName(p string) string {
	n := path.Base(p)
	n = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, ".xz"), ".zst"), ".ko")
	return strings.ReplaceAll(n, "-", "_")
}

// resolve returns the paths of the named modules (and of their
// dependencies).
func (idx *moduleIndex) resolve(names []string) ([]string, error) {
	var out []string
	for _, n := range names {
		p, ok := idx.byName[strings.ReplaceAll(n, "-", "_")]
		if !ok {
			return nil, fmt.Errorf("kernel module %q: the guest kernel has no such module (it may be built in)", n)
		}
		out = append(out, p)
	}
	return out, nil
}

// addModules copies module files and their dependencies into the stage.
func (s *stager) addModules(a *Assets, idx *moduleIndex, mods []string) error {
	kdir := filepath.Join(a.KernelTree, "lib/modules", a.KernelRelease)
	var visit func(string) error
	visit = func(m string) error {
		gp := path.Join("/usr/lib/modules", a.KernelRelease, m)
		if s.added[gp] {
			return nil
		}
		s.added[gp] = true
		p := filepath.Join(s.dir, gp)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := copyFile(filepath.Join(kdir, m), p, 0o644); err != nil {
			return err
		}
		for _, d := range idx.deps[m] {
			if err := visit(d); err != nil {
				return err
			}
		}
		return nil
	}
	for _, m := range mods {
		if err := visit(m); err != nil {
			return err
		}
	}
	return nil
}

func moduleSelected(m string) bool {
	for _, x := range moduleExclude {
		if strings.HasPrefix(m, x) {
			return false
		}
	}
	for _, p := range moduleInclude {
		if strings.HasPrefix(m, p) {
			return true
		}
	}
	return false
}

// readModulesDep parses modules.dep: "kernel/a.ko: kernel/b.ko kernel/c.ko".
func readModulesDep(name string) (map[string][]string, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	deps := map[string][]string{}
	for i, line := range strings.Split(string(b), "\n") {
		if line == "" {
			continue
		}
		m, rest, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("%s:%d: no colon", name, i+1)
		}
		deps[m] = strings.Fields(rest)
	}
	return deps, nil
}
