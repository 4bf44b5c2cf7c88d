package boot

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/hostadm/hostadm/boot/disk"
	"github.com/hostadm/hostadm/boot/fat"
)

// RefreshOptions tune Refresh.
type RefreshOptions struct {
	// Installing is the kernel version a package hook is installing; it
	// is kept even if it would not be selected otherwise.
	Installing string
}

// RefreshResult says what Refresh did.
type RefreshResult struct {
	// Kernels are the versions synchronised, newest first.
	Kernels []string `json:"kernels"`
	// Cmdline is the options line written to the loader entries.
	Cmdline string `json:"cmdline,omitempty"`
	// Default is the loader.conf default (or GRUB pin) used.
	Default string       `json:"default"`
	ESPs    []ESPRefresh `json:"esps"`
	// Warnings are what proxmox-boot-tool prints as warnings: skipped
	// kernels and ESPs.
	Warnings []string `json:"warnings,omitempty"`
}

// ESPRefresh is what Refresh did on one ESP.
type ESPRefresh struct {
	UUID    string   `json:"uuid"`
	Device  string   `json:"device,omitempty"`
	Mode    string   `json:"mode,omitempty"` // "systemd-boot" or "grub"
	Copied  []string `json:"copied,omitempty"`
	Removed []string `json:"removed,omitempty"`
	Skipped string   `json:"skipped,omitempty"`
}

var fatUUID = regexp.MustCompile(`[0-9a-fA-F]{4}-[0-9a-fA-F]{4}`)

// bootFiles are the kernel and initrd of one version, read from /boot.
type bootFiles struct {
	version        string
	kernel, initrd []byte
}

// Refresh copies the selected kernels and initrds to every ESP in
// /etc/kernel/proxmox-boot-uuids and configures the boot loader on each
// (`proxmox-boot-tool refresh`), writing through the FAT library without
// mounting:
//
// systemd-boot ESPs get EFI/proxmox/VERSION/{vmlinuz,initrd.img}-VERSION,
// loader/entries/proxmox-VERSION.conf (title, version, options from
// /etc/kernel/cmdline, linux, initrd) and the loader.conf default (the
// pinned entry or "proxmox-*"); stale kernels and entries are removed.
// GRUB ESPs get the kernels and initrds in their root, and
// /etc/default/grub.d/proxmox-kernel-pin.cfg follows the pin.
//
// The order makes an interruption at any point harmless: new files are
// written under temporary names and renamed into place, entries are
// written only after their kernel and initrd, loader.conf is switched
// after the entries, and stale entries are removed before their files, so
// every ESP keeps a bootable set, old or new.
//
// Without an ESP list Refresh does nothing on the ESPs and says so in
// Warnings (a plain GRUB system runs update-grub instead).
func (m *Manager) Refresh(ctx context.Context, opts *RefreshOptions) (*RefreshResult, error) {
	var o RefreshOptions
	if opts != nil {
		o = *opts
	}
	lk, err := m.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer lk.Unlock()
	res := &RefreshResult{Kernels: []string{}, ESPs: []ESPRefresh{}}
	uuids, err := m.ESPList()
	if errors.Is(err, ErrNoESPList) {
		res.Warnings = append(res.Warnings, "No "+ESPListFile+" found, skipping ESP sync.")
		return res, m.updateGrub(ctx)
	}
	if err != nil {
		return nil, err
	}
	cmdline, err := m.loaderCmdline()
	if err != nil {
		return nil, err
	}
	res.Cmdline = cmdline
	k, err := m.Kernels(ctx, o.Installing)
	if err != nil {
		return nil, err
	}
	var files []bootFiles
	for _, v := range k.Selected {
		kb, err1 := m.fs.ReadFile("/boot/vmlinuz-" + v)
		ib, err2 := m.fs.ReadFile("/boot/initrd.img-" + v)
		switch {
		case err1 != nil:
			res.Warnings = append(res.Warnings, fmt.Sprintf("No linux-image /boot/vmlinuz-%s found - skipping", v))
		case err2 != nil:
			res.Warnings = append(res.Warnings, fmt.Sprintf("No initrd-image /boot/initrd.img-%s found - skipping", v))
		default:
			files = append(files, bootFiles{v, kb, ib})
			res.Kernels = append(res.Kernels, v)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	res.Default = k.Default()
	devs, err := m.devs.list()
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, u := range uuids {
		er := ESPRefresh{UUID: u}
		if !fatUUID.MatchString(u) {
			er.Skipped = fmt.Sprintf("%s read from %s does not look like a VFAT-UUID", u, ESPListFile)
			res.Warnings = append(res.Warnings, "WARN: "+er.Skipped+" - skipping")
			res.ESPs = append(res.ESPs, er)
			continue
		}
		d, ok := disk.FindByUUID(devs, u)
		if !ok {
			er.Skipped = fmt.Sprintf("/dev/disk/by-uuid/%s does not exist - clean %s!", u, ESPListFile)
			res.Warnings = append(res.Warnings, "WARN: "+er.Skipped+" - skipping")
			res.ESPs = append(res.ESPs, er)
			continue
		}
		er.Device = d.Path
		if err := m.refreshESP(ctx, d, files, cmdline, res.Default, &er); err != nil {
			errs = append(errs, fmt.Errorf("%s (%s): %w", u, d.Path, err))
		}
		if er.Skipped != "" {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s %s - skipping", d.Path, er.Skipped))
		}
		res.ESPs = append(res.ESPs, er)
	}
	return res, errors.Join(errs...)
}

// loaderCmdline returns the options line for loader entries: the first
// line of /etc/kernel/cmdline, which must have root=, or /proc/cmdline
// without initrd= parameters.
func (m *Manager) loaderCmdline() (string, error) {
	if m.fs.Exists(KernelCmdlineFile) {
		line, err := m.firstLine(KernelCmdlineFile)
		if err != nil {
			return "", err
		}
		c := ParseCmdline(line)
		if !c.Has("root") {
			return "", ErrNoCmdlineRoot
		}
		return strings.Join(strings.Fields(c.String()), " "), nil
	}
	c, err := m.RunningCmdline()
	if err != nil {
		return "", fmt.Errorf("no %s and no /proc/cmdline: %w", KernelCmdlineFile, err)
	}
	c.Remove("initrd")
	c.Remove("BOOT_IMAGE")
	return strings.Join(strings.Fields(c.String()), " "), nil
}

func (m *Manager) refreshESP(ctx context.Context, d disk.BlockDevice, files []bootFiles, cmdline, def string, er *ESPRefresh) error {
	dev, err := m.devs.open(d, true)
	if err != nil {
		return err
	}
	defer dev.close()
	g, err := fat.Open(dev.dev, dev.size, dev.start)
	if err != nil {
		return err
	}
	grub := g.Exists(espKernelDir + "/" + grubEFIName())
	var grubCfg []byte
	switch {
	case m.isEFI() && !grub:
		er.Mode = string(InitSystemdBoot)
		if !g.Exists(loaderConfPath) {
			er.Skipped = "contains no loader.conf"
		} else if !g.Exists(espKernelDir) {
			er.Skipped = espKernelDir + " does not exist"
		} else {
			err = m.syncSystemdBoot(ctx, g, files, cmdline, def, er)
		}
	default:
		er.Mode = string(InitGRUB)
		if !g.Exists("grub") {
			er.Skipped = "contains no grub directory"
		} else {
			err = syncGRUB(ctx, g, files, er)
			grubCfg, _ = g.ReadFile("/grub/grub.cfg")
		}
	}
	if cerr := g.Close(); err == nil {
		err = cerr
	}
	// The device is open exclusively: the mount for update-grub needs it
	// closed.
	if cerr := dev.close(); err == nil {
		err = cerr
	}
	if err != nil || er.Skipped != "" || er.Mode != string(InitGRUB) {
		return err
	}
	if err := m.pinGrubESP(def, grubCfg); err != nil {
		return err
	}
	return m.updateGrubOnESP(ctx, d)
}

// pinGrubESP sets the GRUB pin for a GRUB-mode ESP before update-grub
// runs on it, as proxmox-boot-tool does: the menu entry id comes from
// /boot/grub/grub.cfg, or from the ESP's own grub.cfg (espCfg) when the
// root has none. Until a grub.cfg exists (the first refresh after init)
// there is no id and no pin.
func (m *Manager) pinGrubESP(version string, espCfg []byte) error {
	if version == "" {
		return m.writeGrubPin("")
	}
	name, cfg := "/boot/grub/grub.cfg", []byte(nil)
	b, err := m.fs.ReadFile(name)
	switch {
	case err == nil:
		cfg = b
	case !errors.Is(err, fs.ErrNotExist):
		return err
	case espCfg == nil:
		return nil
	default:
		name, cfg = "grub/grub.cfg on the ESP", espCfg
	}
	entry, err := grubDefaultFrom(name, cfg, version)
	if err != nil {
		return err
	}
	return m.writeGrubPin(entry)
}

// EntryName is the systemd-boot entry file of a kernel version.
func EntryName(version string) string { return "proxmox-" + version + ".conf" }

// LoaderEntry returns the loader entry proxmox-boot-tool writes for a
// kernel version.
func LoaderEntry(title, version, cmdline string) []byte {
	dir := "/" + espKernelDir + "/" + version
	return fmt.Appendf(nil, "title    %s\nversion  %s\noptions  %s\nlinux    %s/vmlinuz-%s\ninitrd   %s/initrd.img-%s\n",
		title, version, cmdline, dir, version, dir, version)
}

func (m *Manager) syncSystemdBoot(ctx context.Context, g *fat.FS, files []bootFiles, cmdline, def string, er *ESPRefresh) error {
	keep := map[string]bool{}
	// 1. Kernels and initrds, each complete before it is renamed in.
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		keep[f.version] = true
		dir := "/" + espKernelDir + "/" + f.version
		for name, data := range map[string][]byte{"vmlinuz-" + f.version: f.kernel, "initrd.img-" + f.version: f.initrd} {
			if sameContent(g, dir+"/"+name, data) {
				continue
			}
			if err := writeAtomic(g, dir+"/"+name, data); err != nil {
				return err
			}
			er.Copied = append(er.Copied, dir+"/"+name)
		}
	}
	// 2. Entries, once their files are in place.
	title := m.loaderTitle()
	for _, f := range files {
		p := "/" + loaderEntriesDir + "/" + EntryName(f.version)
		if err := writeAtomic(g, p, LoaderEntry(title, f.version, cmdline)); err != nil {
			return err
		}
	}
	// 3. The default, once the entries exist.
	entry := "proxmox-*"
	if def != "" && keep[def] {
		entry = EntryName(def)
	}
	lc, err := g.ReadFile("/" + loaderConfPath)
	if err != nil {
		return err
	}
	conf := ParseLoaderConf(lc)
	if conf.Set("default", entry) {
		if err := writeAtomic(g, "/"+loaderConfPath, conf.Format()); err != nil {
			return err
		}
	}
	// 4. Stale entries before their files, then the files.
	ents, err := g.ReadDir("/" + loaderEntriesDir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		n := e.Name()
		if strings.HasSuffix(n, ".tmp") {
			g.Remove("/" + loaderEntriesDir + "/" + n)
			continue
		}
		v, ok := strings.CutPrefix(n, "proxmox-")
		v, ok2 := strings.CutSuffix(v, ".conf")
		if ok && ok2 && !keep[v] {
			if err := g.Remove("/" + loaderEntriesDir + "/" + n); err != nil {
				return err
			}
			er.Removed = append(er.Removed, "/"+loaderEntriesDir+"/"+n)
		}
	}
	dirs, err := g.ReadDir("/" + espKernelDir)
	if err != nil {
		return err
	}
	for _, e := range dirs {
		if !e.IsDir() || keep[e.Name()] {
			continue
		}
		p := "/" + espKernelDir + "/" + e.Name()
		if err := g.RemoveAll(p); err != nil {
			return err
		}
		er.Removed = append(er.Removed, p)
	}
	for v := range keep {
		removeTmp(g, "/"+espKernelDir+"/"+v)
	}
	removeTmp(g, "/loader")
	return nil
}

// removeTmp removes leftovers of an interrupted writeAtomic.
func removeTmp(g *fat.FS, dir string) {
	ents, _ := g.ReadDir(dir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".tmp") {
			g.Remove(path.Join(dir, e.Name()))
		}
	}
}

// syncGRUB copies kernels and initrds to the ESP root, where GRUB's
// configuration on the ESP finds them, and removes stale ones.
func syncGRUB(ctx context.Context, g *fat.FS, files []bootFiles, er *ESPRefresh) error {
	keep := map[string]bool{}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		keep["vmlinuz-"+f.version], keep["initrd.img-"+f.version] = true, true
		for name, data := range map[string][]byte{"/vmlinuz-" + f.version: f.kernel, "/initrd.img-" + f.version: f.initrd} {
			if sameContent(g, name, data) {
				continue
			}
			if err := writeAtomic(g, name, data); err != nil {
				return err
			}
			er.Copied = append(er.Copied, name)
		}
	}
	ents, err := g.ReadDir("/")
	if err != nil {
		return err
	}
	var stale []string
	for _, e := range ents {
		n := e.Name()
		if (strings.HasPrefix(n, "vmlinuz-") || strings.HasPrefix(n, "initrd.img-")) && !keep[n] || strings.HasSuffix(n, ".tmp") {
			stale = append(stale, n)
		}
	}
	slices.Sort(stale)
	for _, n := range stale {
		if err := g.Remove("/" + n); err != nil {
			return err
		}
		er.Removed = append(er.Removed, "/"+n)
	}
	return nil
}
