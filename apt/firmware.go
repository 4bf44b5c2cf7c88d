package apt

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/hostadm/hostadm/internal/rootfs"
)

// NonFreeFirmware is the Debian component with non-free firmware and CPU
// microcode (Debian 12 and later).
const NonFreeFirmware = "non-free-firmware"

// sourcesLock serializes hostadm's read-modify-write cycles of sources
// files.
const sourcesLock = "/run/lock/hostadm-apt-sources.lock"

// originOf returns a function that looks up the Origin of a repository
// in its downloaded Release file.
func (c *Client) originOf() func(uri, suite string) string {
	cache := map[string]string{}
	return func(uri, suite string) string {
		k := uri + " " + suite
		if o, ok := cache[k]; ok {
			return o
		}
		o := ""
		if rel := readRelease(c.fs, uri, suite); rel != nil {
			o = rel.Origin
		}
		cache[k] = o
		return o
	}
}

// debianLines returns the enabled entries that point at Debian's
// archives and lack the component, and whether any Debian entry exists.
func debianLines(src *Sources, origin func(uri, suite string) string, comp string) (missing []*Entry, any bool) {
	for _, e := range src.Entries() {
		if !e.Enabled || len(e.Components) == 0 || !containsString(e.Types, "deb") {
			continue
		}
		debian := false
		for _, cl := range e.Classes(origin) {
			if cl.IsDebian() {
				debian = true
			}
		}
		if !debian {
			continue
		}
		any = true
		if !e.HasComponent(comp) {
			missing = append(missing, e)
		}
	}
	return missing, any
}

// NonFreeFirmwareEnabled reports whether every enabled Debian entry
// (main, updates, security, backports) has the non-free-firmware
// component, and there is at least one: what CPU microcode packages
// need.
func (c *Client) NonFreeFirmwareEnabled() (bool, error) {
	src, err := c.Sources()
	if err != nil {
		return false, err
	}
	if len(src.Errors) > 0 {
		return false, src.Errors[0]
	}
	missing, any := debianLines(src, c.originOf(), NonFreeFirmware)
	return any && len(missing) == 0, nil
}

// EnableNonFreeFirmware appends non-free-firmware to every enabled Debian
// entry that lacks it, as the admin guide says, and returns the files it
// changed. Only those entries' lines change. Run [Client.Update]
// afterwards to fetch the component's lists.
func (c *Client) EnableNonFreeFirmware(ctx context.Context) ([]string, error) {
	var changed []string
	err := c.EditSources(ctx, func(src *Sources) ([]*SourceFile, error) {
		missing, any := debianLines(src, c.originOf(), NonFreeFirmware)
		if !any {
			return nil, errors.New("apt: no enabled Debian repository to add non-free-firmware to")
		}
		var files []*SourceFile
		for _, e := range missing {
			f := e.File()
			if err := f.AddComponent(e, NonFreeFirmware); err != nil {
				return nil, err
			}
			if len(files) == 0 || files[len(files)-1] != f {
				files = append(files, f)
				changed = append(changed, f.Path)
			}
		}
		return files, nil
	})
	if err != nil {
		return nil, err
	}
	return changed, nil
}

// EditSources runs a read-modify-write cycle on the sources files under a
// lock: edit receives freshly read sources and returns the files it
// changed (or created with [NewSourceFile]); they are written atomically
// and each write is refused with a [*rootfs.ConflictError] if the file
// changed on disk since it was read. Files that fail to parse are an
// error, so that nothing is written on top of a broken configuration.
func (c *Client) EditSources(ctx context.Context, edit func(src *Sources) ([]*SourceFile, error)) error {
	lock, err := c.fs.Lock(ctx, sourcesLock)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	src, err := c.Sources()
	if err != nil {
		return err
	}
	if len(src.Errors) > 0 {
		return fmt.Errorf("apt: refusing to edit sources: %w", errors.Join(src.Errors...))
	}
	files, err := edit(src)
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := c.WriteSourceFile(f); err != nil {
			return err
		}
	}
	return nil
}

// WriteSourceFile writes a sources file atomically. A file read from disk
// is written only if it still has the content it was read with; a file
// made with [NewSourceFile] only if none exists yet. A file left without
// any line is removed. It takes no lock: for a read-modify-write cycle
// use [Client.EditSources].
func (c *Client) WriteSourceFile(f *SourceFile) error {
	expect := rootfs.Digest{}
	if f.exists {
		expect = f.digest
	}
	data := f.Format()
	if len(data) == 0 && f.exists {
		cur, err := c.fs.ReadFile(f.Path)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if got := rootfs.DigestOf(cur); err != nil || got != f.digest {
			ce := &rootfs.ConflictError{Path: f.Path, Want: f.digest, Exists: err == nil}
			if err == nil {
				ce.Got = got
			}
			return ce
		}
		return c.fs.Remove(f.Path)
	}
	if err := c.fs.WriteFile(f.Path, data, &rootfs.WriteOptions{Perm: 0o644, Expect: &expect}); err != nil {
		return err
	}
	f.digest, f.exists = rootfs.DigestOf(data), true
	return nil
}
