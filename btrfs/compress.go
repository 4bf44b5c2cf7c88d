package btrfs

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/hostadm/hostadm/fstab"
)

// Compression is a btrfs compress= mount option: an algorithm and an
// optional level. By default btrfs does not compress; with the option,
// data written from then on is compressed (data already written is not).
type Compression struct {
	// Algorithm is "zstd", "lzo" or "zlib"; "no" turns compression off.
	Algorithm string `json:"algorithm"`
	// Level is 0 for the algorithm's default, 1..15 for zstd, 1..9 for
	// zlib; lzo has no levels.
	Level int `json:"level,omitempty"`
	// Force compresses even data that does not compress well at first
	// (compress-force=).
	Force bool `json:"force,omitempty"`
}

// String returns the option's value ("zstd:3").
func (c Compression) String() string {
	if c.Level != 0 {
		return c.Algorithm + ":" + strconv.Itoa(c.Level)
	}
	return c.Algorithm
}

// Validate checks the algorithm and level.
func (c Compression) Validate() error {
	maxLevel := 0
	switch c.Algorithm {
	case "zstd":
		maxLevel = 15
	case "zlib":
		maxLevel = 9
	case "lzo", "no":
	default:
		return fmt.Errorf("%w: compression %q (want zstd, lzo or zlib)", ErrInvalid, c.Algorithm)
	}
	if c.Level < 0 || c.Level > maxLevel {
		if maxLevel == 0 {
			return fmt.Errorf("%w: %s has no compression levels", ErrInvalid, c.Algorithm)
		}
		return fmt.Errorf("%w: %s level %d (want 1 to %d)", ErrInvalid, c.Algorithm, c.Level, maxLevel)
	}
	return nil
}

// ParseCompression reads a compress= value such as "zstd", "zlib:3" or
// "lzo"; "yes" reads as zlib, the kernel's default algorithm.
func ParseCompression(s string) (Compression, error) {
	alg, lvl, hasLevel := strings.Cut(s, ":")
	c := Compression{Algorithm: alg}
	if alg == "" || alg == "yes" {
		c.Algorithm = "zlib"
	}
	if hasLevel {
		n, err := strconv.Atoi(lvl)
		if err != nil {
			return c, fmt.Errorf("%w: compression level %q", ErrInvalid, lvl)
		}
		c.Level = n
	}
	return c, c.Validate()
}

// EntryCompression returns the compression set by an fstab entry's
// options, and false when it sets none. The last compress or
// compress-force option wins, as for the kernel.
func EntryCompression(e *fstab.Entry) (Compression, bool, error) {
	for i := len(e.Options) - 1; i >= 0; i-- {
		name := e.Options[i].Name()
		if name != "compress" && name != "compress-force" {
			continue
		}
		v, _ := e.Options[i].Value()
		c, err := ParseCompression(v)
		c.Force = name == "compress-force"
		return c, true, err
	}
	return Compression{}, false, nil
}

// SetEntryCompression adds or changes the compress= option of a btrfs
// fstab entry, as the admin guide shows ("defaults,compress=zstd"), and
// removes any other compress or compress-force option. A zero
// Compression removes compression. It takes effect at the next mount.
func SetEntryCompression(e *fstab.Entry, c Compression) error {
	if e.Type != "btrfs" {
		return fmt.Errorf("%w: %s is %s, not btrfs", ErrInvalid, e.MountPoint, e.Type)
	}
	if c == (Compression{}) {
		e.Options.Delete("compress")
		e.Options.Delete("compress-force")
		return nil
	}
	if err := c.Validate(); err != nil {
		return err
	}
	name, other := "compress", "compress-force"
	if c.Force {
		name, other = other, name
	}
	// Replace the option in place when the other spelling was used.
	for i, o := range e.Options {
		if o.Name() == other {
			e.Options[i] = fstab.Option(name + "=" + c.String())
			break
		}
	}
	e.Options.Delete(other)
	e.Options.Set(name, c.String())
	return nil
}

// SetMountCompression changes the compression option of the btrfs entry
// for mountPoint in the system's fstab, under a lock and atomically.
func (c *Client) SetMountCompression(ctx context.Context, mountPoint string, comp Compression) error {
	tab, err := fstab.New(&fstab.Config{Root: c.fs.Dir()})
	if err != nil {
		return err
	}
	defer tab.Close()
	return tab.Edit(ctx, func(f *fstab.File) error {
		e := f.Lookup(mountPoint)
		if e == nil {
			return fmt.Errorf("%s: no fstab entry for %s", tab.Path(), mountPoint)
		}
		return SetEntryCompression(e, comp)
	})
}

// validPropertyCompression checks a value of the btrfs.compression
// property, which takes an algorithm without level.
func validPropertyCompression(alg string) error {
	switch alg {
	case "", "zstd", "lzo", "zlib", "none", "no":
		return nil
	}
	return fmt.Errorf("%w: compression property %q (want zstd, lzo, zlib or none)", ErrInvalid, alg)
}
