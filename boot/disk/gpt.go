package disk

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/diskfs/go-diskfs/partition/gpt"
	"github.com/hostadm/hostadm/boot/internal/diskfsio"
)

// Partition type GUIDs found on Proxmox VE hosts, with their gdisk codes.
const (
	TypeBIOSBoot  = "21686148-6449-6E6F-744E-656564454649" // EF02, GRUB's core image on BIOS systems
	TypeESP       = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B" // EF00, EFI system partition
	TypeLinux     = "0FC63DAF-8483-4772-8E79-3D69D8477DE4" // 8300, sgdisk's default
	TypeSwap      = "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F" // 8200
	TypeLVM       = "E6D6D379-F507-44C2-A23C-238F2A3DF928" // 8E00
	TypeLinuxRAID = "A19D880F-05FC-4D3B-A006-743F0F84911E" // FD00
	TypeZFS       = "6A898CC3-1DD2-11B2-99A6-080020736631" // BF01, what the installer uses for ZFS
)

var typeCodes = map[string]struct{ guid, name string }{
	"ef02": {TypeBIOSBoot, "BIOS boot partition"},
	"ef00": {TypeESP, "EFI system partition"},
	"8300": {TypeLinux, "Linux filesystem"},
	"8200": {TypeSwap, "Linux swap"},
	"8e00": {TypeLVM, "Linux LVM"},
	"fd00": {TypeLinuxRAID, "Linux RAID"},
	"bf01": {TypeZFS, "Solaris /usr & Mac ZFS"},
}

// TypeFromCode returns the type GUID of a gdisk type code such as "EF00",
// or the argument itself, upper-cased, when it already is a GUID.
func TypeFromCode(code string) (string, error) {
	if t, ok := typeCodes[strings.ToLower(code)]; ok {
		return t.guid, nil
	}
	if _, err := ParseGUID(code); err == nil {
		return strings.ToUpper(code), nil
	}
	return "", fmt.Errorf("%w: unknown partition type %q", ErrInvalid, code)
}

// TypeName returns a readable name for a type GUID ("EFI system partition"),
// or the GUID itself.
func TypeName(typeGUID string) string {
	for _, t := range typeCodes {
		if strings.EqualFold(t.guid, typeGUID) {
			return t.name
		}
	}
	return strings.ToUpper(typeGUID)
}

// Errors returned by this package; match them with errors.Is.
var (
	// ErrNoTable means the disk has no valid GUID partition table.
	ErrNoTable = errors.New("no GUID partition table")
	// ErrInvalid means a table or request breaks the GPT rules (overlap,
	// out of bounds, duplicate number, bad GUID).
	ErrInvalid = errors.New("invalid partition table")
	// ErrNoSpace means no free extent is large enough.
	ErrNoSpace = errors.New("no free space on disk")
	// ErrBusy means a partition of the disk is mounted or held by another
	// device (device mapper, RAID, LVM).
	ErrBusy = errors.New("disk is in use")
)

// Partition is one entry of a GUID partition table.
type Partition struct {
	Number     int    `json:"number"` // 1-based slot in the entry array
	Type       string `json:"type"`   // type GUID, upper case
	GUID       string `json:"guid"`   // unique partition GUID, upper case (PARTUUID)
	Name       string `json:"name"`
	Start      uint64 `json:"start"` // first LBA
	End        uint64 `json:"end"`   // last LBA, inclusive
	Attributes uint64 `json:"attributes"`
}

// Sectors returns the partition's length in sectors.
func (p Partition) Sectors() uint64 { return p.End - p.Start + 1 }

// Table is a GUID partition table and the geometry of its disk.
type Table struct {
	GUID        string      `json:"guid"`        // disk GUID, upper case
	SectorSize  int         `json:"sector_size"` // logical sector size in bytes
	Sectors     uint64      `json:"sectors"`     // disk size in sectors
	FirstUsable uint64      `json:"first_usable"`
	LastUsable  uint64      `json:"last_usable"`
	Partitions  []Partition `json:"partitions"` // sorted by Number
	// RecoveredFromBackup is set when the primary table was damaged and
	// the backup at the end of the disk was read instead; writing the
	// table repairs the primary.
	RecoveredFromBackup bool `json:"recovered_from_backup,omitempty"`
}

// Alignment is the partition start alignment in bytes (what sgdisk and the
// installer use).
const Alignment = 1 << 20

// entryArraySectors is the size of a standard 128-entry array.
func entryArraySectors(sectorSize int) uint64 { return uint64(128*128) / uint64(sectorSize) }

// NewTable returns an empty table for a disk of the given size with a fresh
// disk GUID.
func NewTable(sectors uint64, sectorSize int) (*Table, error) {
	if sectorSize != 512 && sectorSize != 4096 {
		return nil, fmt.Errorf("%w: sector size %d (want 512 or 4096)", ErrInvalid, sectorSize)
	}
	arr := entryArraySectors(sectorSize)
	if sectors < 2*(2+arr)+uint64(Alignment/sectorSize) {
		return nil, fmt.Errorf("%w: disk of %d sectors is too small", ErrInvalid, sectors)
	}
	return &Table{
		GUID:        NewGUID(),
		SectorSize:  sectorSize,
		Sectors:     sectors,
		FirstUsable: 2 + arr,
		LastUsable:  sectors - 2 - arr,
	}, nil
}

// Clone returns a deep copy of t.
func (t *Table) Clone() *Table {
	c := *t
	c.Partitions = slices.Clone(t.Partitions)
	return &c
}

// Partition returns the partition with the given number.
func (t *Table) Partition(number int) (Partition, bool) {
	for _, p := range t.Partitions {
		if p.Number == number {
			return p, true
		}
	}
	return Partition{}, false
}

// ESPs returns the EFI system partitions.
func (t *Table) ESPs() []Partition {
	var out []Partition
	for _, p := range t.Partitions {
		if strings.EqualFold(p.Type, TypeESP) {
			out = append(out, p)
		}
	}
	return out
}

// Bytes converts a number of sectors to bytes.
func (t *Table) Bytes(sectors uint64) int64 { return int64(sectors) * int64(t.SectorSize) }

// Validate checks the GPT rules: partition numbers 1..128 and unique,
// types and GUIDs well-formed, GUIDs unique, every partition inside the
// usable area, no overlaps.
func (t *Table) Validate() error {
	if _, err := ParseGUID(t.GUID); err != nil {
		return fmt.Errorf("%w: disk GUID %q", ErrInvalid, t.GUID)
	}
	if t.FirstUsable > t.LastUsable || t.LastUsable >= t.Sectors {
		return fmt.Errorf("%w: usable area %d-%d on a disk of %d sectors", ErrInvalid, t.FirstUsable, t.LastUsable, t.Sectors)
	}
	seen := map[int]bool{}
	guids := map[string]bool{}
	ps := slices.Clone(t.Partitions)
	slices.SortFunc(ps, func(a, b Partition) int { return cmpU64(a.Start, b.Start) })
	for i, p := range ps {
		if p.Number < 1 || p.Number > 128 {
			return fmt.Errorf("%w: partition number %d", ErrInvalid, p.Number)
		}
		if seen[p.Number] {
			return fmt.Errorf("%w: partition %d appears twice", ErrInvalid, p.Number)
		}
		seen[p.Number] = true
		if _, err := ParseGUID(p.Type); err != nil || strings.Trim(p.Type, "0-") == "" {
			return fmt.Errorf("%w: partition %d: type %q", ErrInvalid, p.Number, p.Type)
		}
		if _, err := ParseGUID(p.GUID); err != nil {
			return fmt.Errorf("%w: partition %d: GUID %q", ErrInvalid, p.Number, p.GUID)
		}
		g := strings.ToUpper(p.GUID)
		if guids[g] {
			return fmt.Errorf("%w: partition %d: GUID %s is not unique", ErrInvalid, p.Number, g)
		}
		guids[g] = true
		if p.Start > p.End || p.Start < t.FirstUsable || p.End > t.LastUsable {
			return fmt.Errorf("%w: partition %d (%d-%d) outside the usable area %d-%d", ErrInvalid, p.Number, p.Start, p.End, t.FirstUsable, t.LastUsable)
		}
		if len([]rune(p.Name)) > 36 {
			return fmt.Errorf("%w: partition %d: name longer than 36 characters", ErrInvalid, p.Number)
		}
		if i > 0 && ps[i-1].End >= p.Start {
			return fmt.Errorf("%w: partitions %d and %d overlap", ErrInvalid, ps[i-1].Number, p.Number)
		}
	}
	return nil
}

// Extent is a run of sectors, both ends inclusive.
type Extent struct {
	Start uint64 `json:"start"`
	End   uint64 `json:"end"`
}

// Sectors returns the extent's length.
func (e Extent) Sectors() uint64 { return e.End - e.Start + 1 }

// Free returns the unallocated extents of the usable area, each starting on
// an alignment boundary (extents too small to hold an aligned sector are
// left out).
func (t *Table) Free() []Extent {
	align := uint64(Alignment / t.SectorSize)
	ps := slices.Clone(t.Partitions)
	slices.SortFunc(ps, func(a, b Partition) int { return cmpU64(a.Start, b.Start) })
	var out []Extent
	next := t.FirstUsable
	add := func(start, end uint64) {
		start = (start + align - 1) / align * align
		if start <= end {
			out = append(out, Extent{start, end})
		}
	}
	for _, p := range ps {
		if p.Start > next {
			add(next, p.Start-1)
		}
		next = max(next, p.End+1)
	}
	if next <= t.LastUsable {
		add(next, t.LastUsable)
	}
	return out
}

// LargestFree returns the largest aligned free extent.
func (t *Table) LargestFree() (Extent, bool) {
	var best Extent
	found := false
	for _, e := range t.Free() {
		if !found || e.Sectors() > best.Sectors() {
			best, found = e, true
		}
	}
	return best, found
}

// nextNumber returns the lowest unused partition number.
func (t *Table) nextNumber() int {
	for n := 1; n <= 128; n++ {
		if _, ok := t.Partition(n); !ok {
			return n
		}
	}
	return 0
}

// Add adds p to the table, giving it the lowest free number when Number is
// zero and a fresh GUID when GUID is empty, and validates the result.
func (t *Table) Add(p Partition) (Partition, error) {
	if p.Number == 0 {
		p.Number = t.nextNumber()
	}
	if p.GUID == "" {
		p.GUID = NewGUID()
	}
	p.Type = strings.ToUpper(p.Type)
	p.GUID = strings.ToUpper(p.GUID)
	n := t.Clone()
	n.Partitions = append(n.Partitions, p)
	if err := n.Validate(); err != nil {
		return Partition{}, err
	}
	t.Partitions = n.Partitions
	t.sort()
	return p, nil
}

// AddLargest adds a partition of the given type over the largest free
// extent, like `sgdisk -N NUMBER` (number 0 picks the lowest free one).
func (t *Table) AddLargest(number int, typeGUID, name string) (Partition, error) {
	e, ok := t.LargestFree()
	if !ok {
		return Partition{}, ErrNoSpace
	}
	return t.Add(Partition{Number: number, Type: typeGUID, Name: name, Start: e.Start, End: e.End})
}

// Remove deletes partition number.
func (t *Table) Remove(number int) error {
	i := slices.IndexFunc(t.Partitions, func(p Partition) bool { return p.Number == number })
	if i < 0 {
		return fmt.Errorf("%w: no partition %d", ErrInvalid, number)
	}
	t.Partitions = slices.Delete(t.Partitions, i, i+1)
	return nil
}

// SetType changes the type of partition number (`sgdisk -t`).
func (t *Table) SetType(number int, typeGUID string) error {
	if _, err := ParseGUID(typeGUID); err != nil {
		return fmt.Errorf("%w: type %q", ErrInvalid, typeGUID)
	}
	for i := range t.Partitions {
		if t.Partitions[i].Number == number {
			t.Partitions[i].Type = strings.ToUpper(typeGUID)
			return nil
		}
	}
	return fmt.Errorf("%w: no partition %d", ErrInvalid, number)
}

// Randomize gives the disk and every partition fresh GUIDs (`sgdisk -G`).
func (t *Table) Randomize() {
	t.GUID = NewGUID()
	for i := range t.Partitions {
		t.Partitions[i].GUID = NewGUID()
	}
}

// Replicate returns a copy of t for another disk of the given size with
// fresh GUIDs: the partitions keep their numbers, types, names, attributes
// and positions, and the backup table moves to the end of the new disk. It
// is what `sgdisk HEALTHY -R NEW` followed by `sgdisk -G NEW` does; a disk
// too small for the last partition is refused.
func (t *Table) Replicate(sectors uint64, sectorSize int) (*Table, error) {
	if sectorSize != t.SectorSize {
		return nil, fmt.Errorf("%w: sector size %d differs from the source's %d", ErrInvalid, sectorSize, t.SectorSize)
	}
	n, err := NewTable(sectors, sectorSize)
	if err != nil {
		return nil, err
	}
	n.Partitions = slices.Clone(t.Partitions)
	n.Randomize()
	if err := n.Validate(); err != nil {
		return nil, fmt.Errorf("target disk of %d sectors cannot hold the table: %w", sectors, err)
	}
	return n, nil
}

// LayoutOptions tune [InstallerLayout].
type LayoutOptions struct {
	// DataType is the type GUID of the third partition; empty means
	// TypeLinux (installs on ext4, xfs or LVM use TypeLVM, ZFS TypeZFS).
	DataType string
	// DataSize limits the third partition (the installer's hdsize less the
	// first two partitions) in bytes; zero means the rest of the disk.
	DataSize int64
	// ESPSize is the EFI system partition's size in bytes; zero means
	// 512 MiB.
	ESPSize int64
}

// InstallerLayout returns the Proxmox VE installer's scheme for a disk: a
// BIOS boot partition (EF02) from the first usable sector to 1 MiB, a
// 512 MiB EFI system partition (EF00) at 1 MiB, and a third partition for
// the chosen storage.
func InstallerLayout(sectors uint64, sectorSize int, opts *LayoutOptions) (*Table, error) {
	var o LayoutOptions
	if opts != nil {
		o = *opts
	}
	if o.DataType == "" {
		o.DataType = TypeLinux
	}
	if o.ESPSize == 0 {
		o.ESPSize = 512 << 20
	}
	t, err := NewTable(sectors, sectorSize)
	if err != nil {
		return nil, err
	}
	ss := uint64(sectorSize)
	align := uint64(Alignment) / ss
	if _, err := t.Add(Partition{Number: 1, Type: TypeBIOSBoot, Start: t.FirstUsable, End: align - 1}); err != nil {
		return nil, err
	}
	espEnd := align + uint64(o.ESPSize)/ss - 1
	if _, err := t.Add(Partition{Number: 2, Type: TypeESP, Start: align, End: espEnd}); err != nil {
		return nil, fmt.Errorf("%w: disk too small for the EFI system partition", ErrNoSpace)
	}
	start := (espEnd + align) / align * align
	end := t.LastUsable
	if o.DataSize > 0 {
		end = min(end, start+uint64(o.DataSize)/ss-1)
	}
	if start > end {
		return nil, fmt.Errorf("%w: no room for the data partition", ErrNoSpace)
	}
	if _, err := t.Add(Partition{Number: 3, Type: o.DataType, Start: start, End: end}); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *Table) sort() {
	slices.SortFunc(t.Partitions, func(a, b Partition) int { return a.Number - b.Number })
}

// Decode reads the GUID partition table of a disk image or device of size
// bytes with the given logical sector size. A damaged primary table is
// replaced by the backup (RecoveredFromBackup).
func Decode(r io.ReaderAt, size int64, sectorSize int) (*Table, error) {
	// The header fields go-diskfs keeps private are read here.
	if sectorSize != 512 && sectorSize != 4096 {
		return nil, fmt.Errorf("%w: sector size %d", ErrInvalid, sectorSize)
	}
	f := diskfsio.New(r, nil, size)
	gt, err := gpt.Read(f, sectorSize, sectorSize)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoTable, err)
	}
	t := &Table{
		GUID:                strings.ToUpper(gt.GUID),
		SectorSize:          sectorSize,
		Sectors:             uint64(size) / uint64(sectorSize),
		RecoveredFromBackup: gt.RecoveredFromBackup,
	}
	hdrLBA := int64(1)
	if gt.RecoveredFromBackup {
		hdrLBA = int64(t.Sectors - 1)
	}
	hdr := make([]byte, 92)
	if _, err := r.ReadAt(hdr, hdrLBA*int64(sectorSize)); err != nil {
		return nil, fmt.Errorf("read GPT header: %w", err)
	}
	t.FirstUsable = binary.LittleEndian.Uint64(hdr[40:])
	t.LastUsable = binary.LittleEndian.Uint64(hdr[48:])
	for _, p := range gt.Partitions {
		if p == nil || p.Type == gpt.Unused {
			continue
		}
		t.Partitions = append(t.Partitions, Partition{
			Number:     p.Index,
			Type:       strings.ToUpper(string(p.Type)),
			GUID:       strings.ToUpper(p.GUID),
			Name:       p.Name,
			Start:      p.Start,
			End:        p.End,
			Attributes: p.Attributes,
		})
	}
	t.sort()
	return t, nil
}

// Encode writes t to a disk image or device of the table's size: protective
// MBR (keeping any boot code), backup table, then primary table, each
// synced before the next.
func Encode(w WriterAtReaderAt, t *Table) error {
	if err := t.Validate(); err != nil {
		return err
	}
	gt := &gpt.Table{
		LogicalSectorSize:  t.SectorSize,
		PhysicalSectorSize: t.SectorSize,
		GUID:               t.GUID,
		ProtectiveMBR:      true,
	}
	for _, p := range t.Partitions {
		gt.Partitions = append(gt.Partitions, &gpt.Partition{
			Index:      p.Number,
			Start:      p.Start,
			End:        p.End,
			Size:       (p.End - p.Start + 1) * uint64(t.SectorSize),
			Type:       gpt.Type(p.Type),
			Name:       p.Name,
			GUID:       p.GUID,
			Attributes: p.Attributes,
		})
	}
	f := diskfsio.New(w, w, t.Bytes(t.Sectors))
	if err := gt.Write(f, t.Bytes(t.Sectors)); err != nil {
		return fmt.Errorf("write GPT: %w", err)
	}
	return nil
}

// WriterAtReaderAt is what Encode writes to: an image file or device.
type WriterAtReaderAt interface {
	io.ReaderAt
	io.WriterAt
}

// Geometry returns the number of logical sectors of a disk device or
// image file and their size, the arguments of InstallerLayout for it.
func Geometry(path string) (sectors uint64, sectorSize int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	size, ss, err := geometry(f)
	if err != nil {
		return 0, 0, err
	}
	return uint64(size) / uint64(ss), ss, nil
}

// Read reads the partition table of a disk device or image file.
func Read(path string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size, ss, err := geometry(f)
	if err != nil {
		return nil, err
	}
	t, err := Decode(f, size, ss)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// Write writes t to a disk device or image file and, for a device, asks
// the kernel to re-read it. The table must match the disk's size and
// sector size. Write refuses a device whose partitions are mounted or held
// (ErrBusy) unless the table only adds partitions, in which case the
// kernel is told about the new ones alone.
func Write(ctx context.Context, path string, t *Table) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	size, ss, err := geometry(f)
	if err != nil {
		return err
	}
	if ss != t.SectorSize || uint64(size)/uint64(ss) != t.Sectors {
		return fmt.Errorf("%w: %s has %d sectors of %d bytes, the table is for %d of %d", ErrInvalid, path, uint64(size)/uint64(ss), ss, t.Sectors, t.SectorSize)
	}
	var old *Table
	if o, err := Decode(f, size, ss); err == nil {
		old = o
	}
	if err := checkWritable(path, old, t); err != nil {
		return err
	}
	if err := Encode(f, t); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return reread(f, path, old, t)
}

// CopyTable copies the partition table of the healthy disk src to the
// disk dst with fresh GUIDs, the first steps of replacing a failed bootable
// disk (`sgdisk SRC -R DST; sgdisk -G DST`). It returns the new table.
func CopyTable(ctx context.Context, src, dst string) (*Table, error) {
	st, err := Read(src)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(dst)
	if err != nil {
		return nil, err
	}
	size, ss, err := geometry(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	nt, err := st.Replicate(uint64(size)/uint64(ss), ss)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dst, err)
	}
	if err := Write(ctx, dst, nt); err != nil {
		return nil, err
	}
	return nt, nil
}

// CreateLargest adds one partition of the given type over the largest free
// space of a disk, creating a new table if it has none, like
// `sgdisk -N NUMBER DISK` (number 0 picks the lowest free number). It
// returns the new partition.
func CreateLargest(ctx context.Context, path string, number int, typeGUID string) (Partition, error) {
	t, err := Read(path)
	if errors.Is(err, ErrNoTable) {
		f, oerr := os.Open(path)
		if oerr != nil {
			return Partition{}, oerr
		}
		size, ss, gerr := geometry(f)
		f.Close()
		if gerr != nil {
			return Partition{}, gerr
		}
		t, err = NewTable(uint64(size)/uint64(ss), ss)
	}
	if err != nil {
		return Partition{}, err
	}
	p, err := t.AddLargest(number, typeGUID, "")
	if err != nil {
		return Partition{}, fmt.Errorf("%s: %w", path, err)
	}
	return p, Write(ctx, path, t)
}

// PartitionDevice returns the device name of partition n of a disk:
// /dev/sda → /dev/sda2, /dev/nvme0n1 → /dev/nvme0n1p2, /dev/loop0 →
// /dev/loop0p2 (a "p" separates a disk name ending in a digit), and for
// udev's stable links /dev/disk/by-id/ata-X → /dev/disk/by-id/ata-X-part2.
func PartitionDevice(disk string, n int) string {
	if strings.HasPrefix(disk, "/dev/disk/by-") {
		return disk + "-part" + strconv.Itoa(n)
	}
	if disk != "" && disk[len(disk)-1] >= '0' && disk[len(disk)-1] <= '9' {
		return disk + "p" + strconv.Itoa(n)
	}
	return disk + strconv.Itoa(n)
}

// NewGUID returns a random (version 4) GUID in upper case.
func NewGUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return FormatGUID(b)
}

// FormatGUID formats 16 bytes in RFC 4122 (big-endian) order.
func FormatGUID(b [16]byte) string {
	return strings.ToUpper(fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]))
}

// ParseGUID parses a GUID in its 8-4-4-4-12 text form.
func ParseGUID(s string) ([16]byte, error) {
	var b [16]byte
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return b, fmt.Errorf("invalid GUID %q", s)
	}
	hex := strings.ReplaceAll(s, "-", "")
	for i := range 16 {
		v, err := strconv.ParseUint(hex[2*i:2*i+2], 16, 8)
		if err != nil {
			return b, fmt.Errorf("invalid GUID %q", s)
		}
		b[i] = byte(v)
	}
	return b, nil
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// SetPartitionType changes the type of one partition of a disk
// (`sgdisk -t NUMBER:TYPE DISK`). Only the entry's type changes, so the
// table is rewritten even while other partitions are in use; the kernel
// is asked to re-read it only when nothing is.
func SetPartitionType(ctx context.Context, path string, number int, typeGUID string) error {
	t, err := Read(path)
	if err != nil {
		return err
	}
	if err := t.SetType(number, typeGUID); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := Encode(f, t); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if checkWritable(path, nil, t) == nil {
		return reread(f, path, nil, t)
	}
	return nil
}
