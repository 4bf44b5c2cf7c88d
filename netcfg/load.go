package netcfg

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
)

// DefaultPath is the interfaces file of a Debian system.
const DefaultPath = "/etc/network/interfaces"

// maxIncludes bounds the number of files one Load reads.
const maxIncludes = 4096

// LoadFS parses the interfaces file name in fsys and every file its source
// and source-directory lines include, recursively, and returns the main
// file with each [Source] holding its parsed files. Names are absolute
// paths inside fsys ("/etc/network/interfaces"); fsys sees them without
// the leading slash, as [io/fs] requires.
//
// A relative pattern is taken relative to the directory of the file that
// holds it. "source PATTERN" includes the files the shell pattern matches,
// in sorted order; "source-directory DIR" includes the files in DIR whose
// names consist of letters, digits, "_" and "-" (as run-parts picks them).
// Note that ifupdown2 itself does not read source-directory lines: the
// configuration model and [Query] leave those files out, and validation
// reports the line.
//
// The returned error lists the parse errors of every file and the source
// lines that could not be followed (missing files, cycles); the returned
// file is usable regardless. Only a failure to read the main file returns
// a nil *File.
func LoadFS(fsys fs.FS, name string) (*File, error) {
	l := &loader{fsys: fsys}
	f, err := l.load(name)
	if err != nil {
		return nil, err
	}
	return f, l.errs.err()
}

type loader struct {
	fsys  fs.FS
	errs  ErrorList
	stack []string
	count int
}

func unroot(name string) string {
	name = strings.TrimLeft(path.Clean("/"+name), "/")
	if name == "" {
		return "."
	}
	return name
}

func (l *loader) load(name string) (*File, error) {
	data, err := fs.ReadFile(l.fsys, unroot(name))
	if err != nil {
		return nil, err
	}
	l.count++
	f, perr := Parse(name, data)
	var list ErrorList
	if errors.As(perr, &list) {
		l.errs = append(l.errs, list...)
	}
	l.stack = append(l.stack, path.Clean(name))
	defer func() { l.stack = l.stack[:len(l.stack)-1] }()
	l.resolve(f, name)
	return f, nil
}

// resolve follows the source lines of f, read from name.
func (l *loader) resolve(f *File, name string) {
	var err error
	for _, st := range f.Stmts {
		src, ok := st.(*Source)
		if !ok {
			continue
		}
		p := src.Path
		if !path.IsAbs(p) {
			p = path.Join(path.Dir(name), p)
		}
		var files []string
		if src.Directory {
			files, err = l.sourceDir(p)
		} else {
			files, err = l.sourceGlob(p)
		}
		src.Files, src.loadErr = nil, nil
		if err != nil {
			src.loadErr = err
			l.errs = append(l.errs, &Error{Pos: src.pos, Err: fmt.Errorf("%s %s: %w", src.Keyword(), src.Path, err)})
			continue
		}
		for _, inc := range files {
			if slices.Contains(l.stack, path.Clean(inc)) {
				src.loadErr = errorf(ErrInclude, "%s includes itself", inc)
				l.errs = append(l.errs, &Error{Pos: src.pos, Err: fmt.Errorf("%s %s: %w", src.Keyword(), src.Path, src.loadErr)})
				continue
			}
			if l.count >= maxIncludes {
				src.loadErr = errorf(ErrInclude, "more than %d files", maxIncludes)
				l.errs = append(l.errs, &Error{Pos: src.pos, Err: fmt.Errorf("%s %s: %w", src.Keyword(), src.Path, src.loadErr)})
				break
			}
			child, err := l.load(inc)
			if err != nil {
				src.loadErr = fmt.Errorf("%w: %w", ErrInclude, err)
				l.errs = append(l.errs, &Error{Pos: src.pos, Err: fmt.Errorf("%s %s: %w", src.Keyword(), src.Path, src.loadErr)})
				continue
			}
			src.Files = append(src.Files, child)
		}
	}
}

func (l *loader) sourceGlob(pattern string) ([]string, error) {
	matches, err := fs.Glob(l.fsys, unroot(pattern))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInclude, err)
	}
	var out []string
	for _, m := range matches {
		if st, err := fs.Stat(l.fsys, m); err == nil && st.IsDir() {
			continue
		}
		out = append(out, "/"+m)
	}
	if len(out) == 0 && !strings.Contains(pattern, "*") {
		return nil, errorf(ErrInclude, "no such file")
	}
	slices.Sort(out)
	return out, nil
}

// runPartsName is the file name pattern of run-parts, which
// source-directory uses.
var runPartsName = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

func (l *loader) sourceDir(pattern string) ([]string, error) {
	dirs, err := fs.Glob(l.fsys, unroot(pattern))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInclude, err)
	}
	if len(dirs) == 0 {
		return nil, errorf(ErrInclude, "no such directory")
	}
	slices.Sort(dirs)
	var out []string
	for _, d := range dirs {
		ents, err := fs.ReadDir(l.fsys, d)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInclude, err)
		}
		for _, e := range ents {
			if !runPartsName.MatchString(e.Name()) {
				continue
			}
			p := "/" + path.Join(d, e.Name())
			if st, err := fs.Stat(l.fsys, strings.TrimPrefix(p, "/")); err != nil || st.IsDir() {
				continue
			}
			out = append(out, p)
		}
	}
	return out, nil
}

// Files returns f and every file it includes, depth first in reading
// order.
func (f *File) Files() []*File {
	var out []*File
	var walk func(*File)
	walk = func(f *File) {
		if slices.Contains(out, f) {
			return
		}
		out = append(out, f)
		for _, st := range f.Stmts {
			if s, ok := st.(*Source); ok {
				for _, c := range s.Files {
					walk(c)
				}
			}
		}
	}
	walk(f)
	return out
}
