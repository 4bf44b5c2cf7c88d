package efivar

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/hostadm/hostadm/internal/rootfs"
)

// Config configures a Store.
type Config struct {
	// Root is the system's root directory; "" means "/".
	Root string
	// Dir is the efivarfs mount point below Root; "" means
	// /sys/firmware/efi/efivars.
	Dir string
}

// Store reads and writes the EFI variables of one system.
type Store struct {
	fs  *rootfs.FS
	dir string
}

// New opens the variables of the system at cfg.Root; nil means the
// running system. It returns ErrNoEFI when the efivarfs directory does not
// exist. Call Close when done.
func New(cfg *Config) (*Store, error) {
	var c Config
	if cfg != nil {
		c = *cfg
	}
	if c.Dir == "" {
		c.Dir = "/sys/firmware/efi/efivars"
	}
	f, err := rootfs.Open(c.Root)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(c.Dir); err != nil || !fi.IsDir() {
		f.Close()
		return nil, ErrNoEFI
	}
	return &Store{fs: f, dir: c.Dir}, nil
}

// Close releases the root directory.
func (s *Store) Close() error { return s.fs.Close() }

// Get reads a variable. A missing one returns an error matching
// ErrNotFound.
func (s *Store) Get(name, guid string) (Attributes, []byte, error) {
	p := path.Join(s.dir, FileName(name, guid))
	b, err := s.fs.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil, fmt.Errorf("%s: %w", name, ErrNotFound)
	}
	if err != nil {
		return 0, nil, err
	}
	a, d, err := ParseFile(b)
	if err != nil {
		return 0, nil, fmt.Errorf("%s: %w", p, err)
	}
	return a, d, nil
}

// Exists reports whether a variable exists.
func (s *Store) Exists(name, guid string) bool {
	return s.fs.Exists(path.Join(s.dir, FileName(name, guid)))
}

// Names lists the variables as (name, GUID) file names, sorted.
func (s *Store) Names() ([]string, error) {
	ents, err := s.fs.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if _, _, ok := SplitFileName(e.Name()); ok {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

func (s *Store) getUint16(name string) (uint16, bool, error) {
	_, d, err := s.Get(name, GlobalGUID)
	if errors.Is(err, ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	if len(d) != 2 {
		return 0, false, fmt.Errorf("%s: %w: %d bytes, want 2", name, ErrMalformed, len(d))
	}
	return u16(d, 0), true, nil
}

// BootCurrent returns the entry the firmware booted from.
func (s *Store) BootCurrent() (uint16, bool, error) { return s.getUint16("BootCurrent") }

// BootNext returns the entry set for the next boot only.
func (s *Store) BootNext() (uint16, bool, error) { return s.getUint16("BootNext") }

// Timeout returns the firmware boot menu timeout in seconds.
func (s *Store) Timeout() (uint16, bool, error) { return s.getUint16("Timeout") }

// BootOrder returns the boot order; a missing variable is an empty order.
func (s *Store) BootOrder() ([]uint16, error) {
	_, d, err := s.Get("BootOrder", GlobalGUID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return ParseUint16s(d)
}

func (s *Store) getFlag(name string) (bool, bool, error) {
	_, d, err := s.Get(name, GlobalGUID)
	if errors.Is(err, ErrNotFound) {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	if len(d) != 1 {
		return false, false, fmt.Errorf("%s: %w: %d bytes, want 1", name, ErrMalformed, len(d))
	}
	return d[0] == 1, true, nil
}

// SecureBoot reports whether Secure Boot is enabled; known is false if
// the firmware has no SecureBoot variable.
func (s *Store) SecureBoot() (enabled, known bool, err error) { return s.getFlag("SecureBoot") }

// SetupMode reports whether the firmware is in setup mode (no platform
// key enrolled).
func (s *Store) SetupMode() (enabled, known bool, err error) { return s.getFlag("SetupMode") }

// BootEntry reads and decodes Boot####.
func (s *Store) BootEntry(num uint16) (BootEntry, error) {
	name := fmt.Sprintf("Boot%04X", num)
	_, d, err := s.Get(name, GlobalGUID)
	if err != nil {
		return BootEntry{}, err
	}
	o, err := ParseLoadOption(d)
	if err != nil {
		return BootEntry{}, fmt.Errorf("%s: %w", name, err)
	}
	return NewBootEntry(num, o), nil
}

// BootEntries returns every Boot#### variable in number order, as
// efibootmgr lists them. Entries that do not decode are skipped and
// reported in the error (which is nil if all decoded).
func (s *Store) BootEntries() ([]BootEntry, error) {
	names, err := s.Names()
	if err != nil {
		return nil, err
	}
	var out []BootEntry
	var errs []error
	for _, f := range names {
		name, guid, _ := SplitFileName(f)
		num, ok := bootNum(name)
		if !ok || guid != GlobalGUID {
			continue
		}
		e, err := s.BootEntry(num)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b BootEntry) int { return int(a.Num) - int(b.Num) })
	return out, errors.Join(errs...)
}

func bootNum(name string) (uint16, bool) {
	if len(name) != 8 || !strings.HasPrefix(name, "Boot") {
		return 0, false
	}
	v, err := strconv.ParseUint(name[4:], 16, 16)
	if err != nil || strings.ToUpper(name[4:]) != name[4:] {
		return 0, false
	}
	return uint16(v), true
}

// Summary is what `efibootmgr -v` shows.
type Summary struct {
	BootCurrent *uint16     `json:"boot_current,omitempty"`
	BootNext    *uint16     `json:"boot_next,omitempty"`
	Timeout     *uint16     `json:"timeout,omitempty"`
	BootOrder   []uint16    `json:"boot_order"`
	Entries     []BootEntry `json:"entries"`
	SecureBoot  *bool       `json:"secure_boot,omitempty"`
	SetupMode   *bool       `json:"setup_mode,omitempty"`
}

// Summary reads the boot manager state.
func (s *Store) Summary() (*Summary, error) {
	sum := &Summary{BootOrder: []uint16{}, Entries: []BootEntry{}}
	var err error
	opt := func(v uint16, ok bool, e error) *uint16 {
		if e != nil && err == nil {
			err = e
		}
		if !ok {
			return nil
		}
		return &v
	}
	sum.BootCurrent = opt(s.BootCurrent())
	sum.BootNext = opt(s.BootNext())
	sum.Timeout = opt(s.Timeout())
	flag := func(v, ok bool, e error) *bool {
		if e != nil && err == nil {
			err = e
		}
		if !ok {
			return nil
		}
		return &v
	}
	sum.SecureBoot = flag(s.SecureBoot())
	sum.SetupMode = flag(s.SetupMode())
	order, oerr := s.BootOrder()
	if oerr != nil {
		return nil, oerr
	}
	if order != nil {
		sum.BootOrder = order
	}
	entries, eerr := s.BootEntries()
	if entries != nil {
		sum.Entries = entries
	}
	return sum, errors.Join(err, eerr)
}

// Format prints the summary as `efibootmgr -v` (version 17) does.
func (sum *Summary) Format() string {
	var b strings.Builder
	if sum.BootNext != nil {
		fmt.Fprintf(&b, "BootNext: %04X\n", *sum.BootNext)
	}
	if sum.BootCurrent != nil {
		fmt.Fprintf(&b, "BootCurrent: %04X\n", *sum.BootCurrent)
	}
	if sum.Timeout != nil {
		fmt.Fprintf(&b, "Timeout: %d seconds\n", *sum.Timeout)
	}
	if len(sum.BootOrder) == 0 {
		b.WriteString("No BootOrder is set; firmware will attempt recovery\n")
	} else {
		var o []string
		for _, n := range sum.BootOrder {
			o = append(o, fmt.Sprintf("%04X", n))
		}
		fmt.Fprintf(&b, "BootOrder: %s\n", strings.Join(o, ","))
	}
	for _, e := range sum.Entries {
		b.WriteString(e.String() + "\n")
	}
	return b.String()
}

// Set writes a variable with one write of attributes and data, clearing
// the immutable flag of an existing file first. It needs root on the
// running system.
func (s *Store) Set(name, guid string, attrs Attributes, data []byte) error {
	return writeVar(s.fs.HostPath(path.Join(s.dir, FileName(name, guid))), FormatFile(attrs, data))
}

// Delete removes a variable, clearing its immutable flag first. A
// missing variable is not an error.
func (s *Store) Delete(name, guid string) error {
	return deleteVar(s.fs.HostPath(path.Join(s.dir, FileName(name, guid))))
}

// SetBootOrder replaces BootOrder.
func (s *Store) SetBootOrder(order []uint16) error {
	return s.Set("BootOrder", GlobalGUID, DefaultAttributes, FormatUint16s(order))
}

// SetBootNext sets the entry for the next boot only.
func (s *Store) SetBootNext(num uint16) error {
	return s.Set("BootNext", GlobalGUID, DefaultAttributes, FormatUint16s([]uint16{num}))
}

// CreateBootEntry writes o as the lowest unused Boot#### and puts it first
// in BootOrder, as `efibootmgr --create` does. It returns the number.
func (s *Store) CreateBootEntry(o *LoadOption) (uint16, error) {
	used := map[uint16]bool{}
	names, err := s.Names()
	if err != nil {
		return 0, err
	}
	for _, f := range names {
		name, guid, _ := SplitFileName(f)
		if n, ok := bootNum(name); ok && guid == GlobalGUID {
			used[n] = true
		}
	}
	var num uint16
	for used[num] {
		num++
		if num == 0xffff {
			return 0, errors.New("no free Boot#### number")
		}
	}
	if err := s.Set(fmt.Sprintf("Boot%04X", num), GlobalGUID, DefaultAttributes, o.Bytes()); err != nil {
		return 0, err
	}
	order, err := s.BootOrder()
	if err != nil {
		return num, err
	}
	order = slices.DeleteFunc(order, func(n uint16) bool { return n == num })
	return num, s.SetBootOrder(append([]uint16{num}, order...))
}

// DeleteBootEntry removes Boot#### and its place in BootOrder.
func (s *Store) DeleteBootEntry(num uint16) error {
	if err := s.Delete(fmt.Sprintf("Boot%04X", num), GlobalGUID); err != nil {
		return err
	}
	order, err := s.BootOrder()
	if err != nil {
		return err
	}
	n := len(order)
	order = slices.DeleteFunc(order, func(x uint16) bool { return x == num })
	if len(order) == n {
		return nil
	}
	return s.SetBootOrder(order)
}
