package apt

import (
	"errors"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/hostadm/hostadm/internal/rootfs"
)

// Standard locations, below the root.
const (
	SourcesList    = "/etc/apt/sources.list"
	SourcesListDir = "/etc/apt/sources.list.d"
)

// IgnoredFile is a file in sources.list.d that APT does not read.
type IgnoredFile struct {
	Path   string
	Reason string
	// Silent is true for names APT skips without a notice (backups such
	// as "x.list.save", "x.list~", "x.list.dpkg-old" and "x.disabled").
	Silent bool
}

// Sources is every sources file APT reads, in APT's order: sources.list
// first, then sources.list.d in byte order of the names.
type Sources struct {
	Files []*SourceFile
	// Ignored are the files in sources.list.d that APT skips, and why.
	Ignored []IgnoredFile
	// Errors are files that could not be read or parsed; APT refuses to
	// run with any of them. Parse errors are *ParseError values.
	Errors []error
}

// Entries returns the entries of every file, in APT's order.
func (s *Sources) Entries() []*Entry {
	var out []*Entry
	for _, f := range s.Files {
		out = append(out, f.Entries...)
	}
	return out
}

// File returns the file with the given path, or nil.
func (s *Sources) File(path string) *SourceFile {
	for _, f := range s.Files {
		if f.Path == path {
			return f
		}
	}
	return nil
}

// silentIgnore is APT's default Dir::Ignore-Files-Silently.
var silentIgnore = regexp.MustCompile(`~$|\.disabled$|\.bak$|\.dpkg-[a-z]+$|\.ucf-[a-z]+$|\.save$|\.orig$|\.distUpgrade$`)

// partName applies APT's rules for the files of a ".d" directory
// (GetListOfFilesInDir): no hidden files, one of the extensions exts (or
// none when noExt), and, like run-parts, only letters, digits, "_", "-",
// ":" and "." in the name, which may not end in ".". It returns why a
// name is skipped.
func partName(name string, exts []string, noExt bool) (ok bool, reason string) {
	if strings.HasPrefix(name, ".") {
		return false, "hidden file"
	}
	if i := strings.LastIndexByte(name, '.'); i < 0 {
		if !noExt {
			return false, "no filename extension"
		}
	} else if !slices.Contains(exts, name[i+1:]) {
		return false, "invalid filename extension"
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isAlpha(c) && !isDigit(c) && c != '_' && c != '-' && c != ':' && c != '.' {
			return false, "invalid character in filename"
		}
	}
	if strings.HasSuffix(name, ".") {
		return false, "name ends with a period"
	}
	return true, ""
}

// sourcePartName reports whether APT reads a file of sources.list.d by
// that name (a ".list" or ".sources" extension), with the reason if not.
func sourcePartName(name string) (ok bool, reason string) {
	return partName(name, []string{"list", "sources"}, false)
}

// readSources reads the sources files below fsys's root the way APT does.
// A missing sources.list or sources.list.d is not an error; files that
// cannot be read or parsed are reported in Sources.Errors.
func readSources(fsys *rootfs.FS) (*Sources, error) {
	s := &Sources{}
	read := func(name string) {
		data, d, err := fsys.ReadFileDigest(name)
		if err != nil {
			s.Errors = append(s.Errors, err)
			return
		}
		f, err := ParseSourceFile(name, data)
		if err != nil {
			s.Errors = append(s.Errors, err)
			return
		}
		f.digest, f.exists = d, true
		s.Files = append(s.Files, f)
	}
	if fi, err := fsys.Stat(SourcesList); err == nil && fi.Mode().IsRegular() {
		read(SourcesList)
	}
	ents, err := fsys.ReadDir(SourcesListDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for _, de := range ents {
		name := path.Join(SourcesListDir, de.Name())
		fi, err := fsys.Stat(name)
		if err != nil {
			s.Errors = append(s.Errors, err)
			continue
		}
		if fi.IsDir() {
			continue
		}
		if !fi.Mode().IsRegular() {
			s.Ignored = append(s.Ignored, IgnoredFile{Path: name, Reason: "not a regular file", Silent: silentIgnore.MatchString(de.Name())})
			continue
		}
		if ok, why := sourcePartName(de.Name()); !ok {
			s.Ignored = append(s.Ignored, IgnoredFile{Path: name, Reason: why, Silent: silentIgnore.MatchString(de.Name()) || why != "no filename extension" && why != "invalid filename extension"})
			continue
		}
		read(name)
	}
	return s, nil
}
