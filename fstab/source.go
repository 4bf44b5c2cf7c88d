package fstab

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
)

// SourceKind says how an entry names what it mounts.
type SourceKind int

// Source kinds. Tags are what fstab(5) recommends: they survive disks
// being added or reordered, which kernel names such as /dev/sdb1 do not.
const (
	Path      SourceKind = iota // a device or file path: /dev/sdb1, /dev/pve/root
	UUID                        // UUID=<file system UUID>
	Label                       // LABEL=<file system label>
	PartUUID                    // PARTUUID=<GPT partition GUID or MBR id>
	PartLabel                   // PARTLABEL=<GPT partition name>
	ID                          // ID=<hardware id, as in /dev/disk/by-id>
	Other                       // no device: proc, tmpfs, host:/export, //server/share
)

var kindTags = map[SourceKind]string{UUID: "UUID", Label: "LABEL", PartUUID: "PARTUUID", PartLabel: "PARTLABEL", ID: "ID"}

func (k SourceKind) String() string {
	switch k {
	case Path:
		return "path"
	case Other:
		return "other"
	}
	if t, ok := kindTags[k]; ok {
		return t
	}
	return fmt.Sprintf("SourceKind(%d)", int(k))
}

// MarshalText writes the kind's name ("path", "UUID", "other", ...).
func (k SourceKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Source is an entry's first field (fs_spec).
type Source struct {
	Kind  SourceKind
	Value string // the path, or the tag's value without quotes
	// Quoted is set for a tag written with double quotes (UUID="...").
	Quoted bool
}

// ParseSource reads an fs_spec field (already unescaped).
func ParseSource(s string) Source {
	for k, tag := range kindTags {
		if v, ok := strings.CutPrefix(s, tag+"="); ok {
			if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
				return Source{Kind: k, Value: v[1 : len(v)-1], Quoted: true}
			}
			return Source{Kind: k, Value: v}
		}
	}
	if strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//") {
		return Source{Kind: Path, Value: s}
	}
	return Source{Kind: Other, Value: s}
}

// SourceUUID names a file system by UUID, the way the admin guide
// recommends for fstab entries. A canonical UUID is written in lower case
// as mount(8) expects; a FAT or NTFS volume ID ("7A3C-1F2E") is kept as
// given, upper case by convention.
func SourceUUID(uuid string) Source { return Source{Kind: UUID, Value: canonicalUUID(uuid)} }

// canonicalUUID lower-cases a 36-character UUID and leaves other
// identifiers alone.
func canonicalUUID(s string) string {
	if len(s) == 36 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-' {
		return strings.ToLower(s)
	}
	return s
}

// SourcePath names a device or file by path.
func SourcePath(p string) Source { return Source{Kind: Path, Value: p} }

// String returns the field as written in fstab (before escaping).
func (s Source) String() string {
	if t, ok := kindTags[s.Kind]; ok {
		if s.Quoted {
			return t + `="` + s.Value + `"`
		}
		return t + "=" + s.Value
	}
	return s.Value
}

// DevicePath returns the /dev path that udev links for a tag
// (/dev/disk/by-uuid/..., by-label, by-partuuid, by-partlabel, by-id), the
// path itself for a Path, and "" for Other.
func (s Source) DevicePath() string {
	switch s.Kind {
	case Path:
		return s.Value
	case UUID:
		return "/dev/disk/by-uuid/" + s.Value
	case Label:
		return "/dev/disk/by-label/" + udevEncode(s.Value)
	case PartUUID:
		return "/dev/disk/by-partuuid/" + s.Value
	case PartLabel:
		return "/dev/disk/by-partlabel/" + udevEncode(s.Value)
	case ID:
		return "/dev/disk/by-id/" + s.Value
	}
	return ""
}

// udevEncode escapes a label the way udev names its by-label links.
func udevEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '/' || c == ' ' || c == '\\' || c < 0x20 || c == 0x7f {
			fmt.Fprintf(&b, `\x%02x`, c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// kernelPrefixes are the kernel's names of whole disks and partitions,
// which depend on probe order.
var kernelPrefixes = []string{"sd", "hd", "vd", "xvd", "nvme", "mmcblk", "sr"}

// KernelName reports whether the source names a disk or partition by its
// kernel name (/dev/sdb1, /dev/nvme0n1p2, /dev/vda3). Such names follow
// the order in which disks are found and can change when a disk is added
// or removed; the admin guide recommends UUID= instead. LVM paths
// (/dev/VG/LV, /dev/mapper/...), /dev/disk/by-* links and tags are
// stable and are not kernel names.
func (s Source) KernelName() bool {
	if s.Kind != Path {
		return false
	}
	dir, base := path.Split(path.Clean(s.Value))
	if dir != "/dev/" {
		return false
	}
	return slices.ContainsFunc(kernelPrefixes, func(p string) bool { return strings.HasPrefix(base, p) })
}

// Option is one mount option: "name" or "name=value".
type Option string

// Name returns the option's name.
func (o Option) Name() string {
	n, _, _ := strings.Cut(string(o), "=")
	return n
}

// Value returns the option's value and whether it has one.
func (o Option) Value() (string, bool) {
	_, v, ok := strings.Cut(string(o), "=")
	return v, ok
}

// Options is an entry's comma-separated option list, in order.
type Options []Option

var errQuote = errors.New("unterminated double quote")

// ParseOptions splits a mount option list at commas outside double
// quotes (SELinux contexts such as context="a,b" hold commas). Empty
// items are dropped.
func ParseOptions(s string) (Options, error) {
	var out Options
	start, quoted := 0, false
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] == '"' {
			quoted = !quoted
		}
		if i == len(s) || (s[i] == ',' && !quoted) {
			if i > start {
				out = append(out, Option(s[start:i]))
			}
			start = i + 1
		}
	}
	if quoted {
		return nil, errQuote
	}
	return out, nil
}

// String joins the options with commas.
func (o Options) String() string {
	s := make([]string, len(o))
	for i, v := range o {
		s[i] = string(v)
	}
	return strings.Join(s, ",")
}

// Get returns the value of the named option and whether it is present.
// When it appears more than once, the last one wins, as for mount(8).
func (o Options) Get(name string) (string, bool) {
	for i := len(o) - 1; i >= 0; i-- {
		if o[i].Name() == name {
			v, _ := o[i].Value()
			return v, true
		}
	}
	return "", false
}

// Has reports whether the named option is present.
func (o Options) Has(name string) bool {
	_, ok := o.Get(name)
	return ok
}

// Set sets name=value: in place of the option's first occurrence (later
// ones are removed), or at the end.
func (o *Options) Set(name, value string) { o.put(Option(name + "=" + value)) }

// SetFlag sets an option without a value, such as "noatime".
func (o *Options) SetFlag(name string) { o.put(Option(name)) }

func (o *Options) put(opt Option) {
	name := opt.Name()
	i := slices.IndexFunc(*o, func(x Option) bool { return x.Name() == name })
	if i < 0 {
		*o = append(*o, opt)
		return
	}
	(*o)[i] = opt
	*o = append((*o)[:i+1], slices.DeleteFunc((*o)[i+1:], func(x Option) bool { return x.Name() == name })...)
}

// Delete removes every occurrence of the named option and reports
// whether there was one.
func (o *Options) Delete(name string) bool {
	n := len(*o)
	*o = slices.DeleteFunc(*o, func(x Option) bool { return x.Name() == name })
	return len(*o) != n
}
