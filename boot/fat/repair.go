package fat

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
)

// Report lists what Check found, in fsck.vfat's terms.
type Report struct {
	Problems []string `json:"problems"`
	// Files and Dirs count what the directory walk found.
	Files, Dirs int
	// FreeClusters and Clusters are the free and total data clusters.
	FreeClusters, Clusters uint32
}

// Clean reports whether no problem was found.
func (r *Report) Clean() bool { return len(r.Problems) == 0 }

// Device is the partition a file system lives on, addressed from its
// first byte.
type Device interface {
	io.ReaderAt
	io.WriterAt
}

// Check verifies a FAT32 file system the way `fsck.vfat -n` does for the
// defects a writer can leave: directory "." and ".." entries, file sizes
// against cluster chains, cross-linked and unreferenced clusters, FAT
// copies that differ, the FSInfo free count, the backup boot sector, and
// (when hiddenSectors is non-zero) the boot sector's hidden-sector count.
func Check(r io.ReaderAt, hiddenSectors uint32) (*Report, error) {
	return repair(readOnly{r}, hiddenSectors, false)
}

type readOnly struct{ io.ReaderAt }

func (readOnly) WriteAt([]byte, int64) (int, error) { return 0, fmt.Errorf("read-only") }

// Repair corrects what Check reports: it fixes directory entries first,
// then frees clusters nothing points at and rewrites every FAT copy, then
// the FSInfo sector and the boot sectors. An interruption at any point
// leaves at most unreferenced clusters behind, never a file pointing at a
// free cluster.
func Repair(dev Device, hiddenSectors uint32) (*Report, error) {
	return repair(dev, hiddenSectors, true)
}

func repair(dev Device, hidden uint32, fix bool) (*Report, error) {
	g, err := readGeometry(dev)
	if err != nil {
		return nil, err
	}
	t, err := readTable(dev, g, 0)
	if err != nil {
		return nil, err
	}
	rep := &Report{Clusters: g.clusters}
	problem := func(format string, args ...any) { rep.Problems = append(rep.Problems, fmt.Sprintf(format, args...)) }
	seen := map[uint32]bool{}
	fatChanged := false
	patch := func(e dirEntry, mutate func(b []byte)) error {
		b := make([]byte, 32)
		if _, err := dev.ReadAt(b, e.off); err != nil {
			return err
		}
		mutate(b)
		if !fix {
			return nil
		}
		_, err := dev.WriteAt(b, e.off)
		return err
	}
	var walk func(dir, parent uint32, root bool, path string) error
	walk = func(dir, parent uint32, root bool, path string) error {
		rep.Dirs++
		clusters, broken := t.chain(dir, seen)
		if broken {
			problem("%s: directory cluster chain is broken", path)
		}
		idx := 0
		shortNames := map[string]bool{}
		for _, c := range clusters {
			buf := make([]byte, g.clusterBytes)
			if _, err := dev.ReadAt(buf, g.clusterOffset(c)); err != nil {
				return err
			}
			for o := 0; o+32 <= len(buf); o, idx = o+32, idx+1 {
				e, ok, end := parseDirEntry(buf[o:o+32], g.clusterOffset(c)+int64(o))
				if end {
					return nil
				}
				if !ok {
					continue
				}
				name := strings.TrimRight(e.name, " ")
				if sfn := string(buf[o : o+11]); shortNames[sfn] && name != "." && name != ".." {
					problem("%s/%s: Duplicate directory entry", path, strings.TrimSpace(sfn))
					if fix {
						if err := renameShort(dev, buf, o, g.clusterOffset(c), shortNames); err != nil {
							return err
						}
					}
				}
				shortNames[string(buf[o:o+11])] = true
				if !root && (idx == 0 || idx == 1) {
					want, label := dir, "."
					if idx == 1 {
						want, label = parent, ".."
						if parent == g.rootCluster {
							want = 0
						}
					}
					if name != label || e.start != want {
						slot := "first"
						if idx == 1 {
							slot = "second"
						}
						problem("%s: Invalid '%s' entry in the %s slot", path, label, slot)
						if name == label {
							if err := patch(e, func(b []byte) { putStart(b, want) }); err != nil {
								return err
							}
						}
					}
					continue
				}
				if name == "." || name == ".." {
					continue
				}
				sub := path + "/" + name
				if e.attr&attrDir != 0 {
					if !g.validCluster(e.start) {
						problem("%s: directory has an invalid start cluster %d", sub, e.start)
						continue
					}
					if err := walk(e.start, dir, false, sub); err != nil {
						return err
					}
					continue
				}
				rep.Files++
				need := (e.size + uint32(g.clusterBytes) - 1) / uint32(g.clusterBytes)
				if e.size == 0 {
					if e.start != 0 {
						problem("%s: has a zero length but a non-zero start cluster", sub)
						if err := patch(e, func(b []byte) { putStart(b, 0) }); err != nil {
							return err
						}
					}
					continue
				}
				chain, broken := t.chain(e.start, seen)
				switch {
				case len(chain) > int(need):
					problem("%s: file size %d is smaller than its cluster chain (%d clusters)", sub, e.size, len(chain))
					t.set(chain[need-1], 0x0FFFFFFF)
					for _, c := range chain[need:] {
						delete(seen, c)
					}
					fatChanged = true
				case len(chain) < int(need) || broken:
					problem("%s: file size %d exceeds its cluster chain (%d clusters)", sub, e.size, len(chain))
					size := uint32(len(chain)) * uint32(g.clusterBytes)
					if err := patch(e, func(b []byte) {
						binary.LittleEndian.PutUint32(b[28:], size)
						if size == 0 {
							putStart(b, 0)
						}
					}); err != nil {
						return err
					}
					if len(chain) > 0 && broken {
						t.set(chain[len(chain)-1], 0x0FFFFFFF)
						fatChanged = true
					}
				}
			}
		}
		return nil
	}
	if err := walk(g.rootCluster, 0, true, ""); err != nil {
		return nil, err
	}
	orphans := 0
	for c := uint32(2); c <= g.clusters+1; c++ {
		if v := t.get(c); v != 0 && v != fatBad && !seen[c] {
			orphans++
			t.set(c, 0)
		}
	}
	if orphans > 0 {
		problem("%d unused clusters are allocated", orphans)
		fatChanged = true
	}
	for n := 1; n < g.nfats; n++ {
		t2, err := readTable(dev, g, n)
		if err != nil {
			return nil, err
		}
		if !fatChanged && !bytes.Equal(t.bytes(), t2.bytes()) {
			problem("FATs differ")
			fatChanged = true
		}
	}
	if fatChanged && fix {
		if err := t.write(dev); err != nil {
			return nil, err
		}
	}
	free, first := t.free()
	rep.FreeClusters = free
	fsi := make([]byte, g.bps)
	fsiOff := int64(g.fsinfoSector) * int64(g.bps)
	if _, err := dev.ReadAt(fsi, fsiOff); err != nil {
		return nil, err
	}
	if binary.LittleEndian.Uint32(fsi[0:]) != 0x41615252 || binary.LittleEndian.Uint32(fsi[484:]) != 0x61417272 {
		problem("FSInfo sector has no valid signature")
	} else if got := binary.LittleEndian.Uint32(fsi[488:]); got != free {
		if got == 0xFFFFFFFF {
			problem("Free cluster summary uninitialized (should be %d)", free)
		} else {
			problem("Free cluster summary wrong (%d, should be %d)", got, free)
		}
	}
	if fix {
		binary.LittleEndian.PutUint32(fsi[0:], 0x41615252)
		binary.LittleEndian.PutUint32(fsi[484:], 0x61417272)
		binary.LittleEndian.PutUint32(fsi[488:], free)
		binary.LittleEndian.PutUint32(fsi[492:], first)
		binary.LittleEndian.PutUint32(fsi[508:], 0xAA550000)
		if _, err := dev.WriteAt(fsi, fsiOff); err != nil {
			return nil, err
		}
	}
	if err := checkBootSectors(dev, g, hidden, fix, problem); err != nil {
		return nil, err
	}
	return rep, nil
}

// checkBootSectors compares the boot sector with its backup and checks the
// hidden-sector count.
func checkBootSectors(dev Device, g *geometry, hidden uint32, fix bool, problem func(string, ...any)) error {
	bs := make([]byte, g.bps)
	if _, err := dev.ReadAt(bs, 0); err != nil {
		return err
	}
	changed := false
	if hidden != 0 && g.hiddenSectors != hidden {
		problem("boot sector says %d hidden sectors, the partition starts at sector %d", g.hiddenSectors, hidden)
		binary.LittleEndian.PutUint32(bs[28:], hidden)
		changed = true
	}
	if g.backupBoot != 0 {
		bk := make([]byte, g.bps)
		if _, err := dev.ReadAt(bk, int64(g.backupBoot)*int64(g.bps)); err != nil {
			return err
		}
		if !changed && !bytes.Equal(bk[:90], bs[:90]) {
			problem("There are differences between boot sector and its backup")
			changed = true
		}
	}
	if !changed || !fix {
		return nil
	}
	if g.backupBoot != 0 {
		if _, err := dev.WriteAt(bs, int64(g.backupBoot)*int64(g.bps)); err != nil {
			return err
		}
	}
	_, err := dev.WriteAt(bs, 0)
	return err
}

// renameShort gives the short-name entry at buf[o:] a unique "~N" name
// (go-diskfs gives names such as 6.8.12-4-pve and 6.8.12-2-pve the same
// 8.3 name) and updates the checksum in the long-name slots before it.
func renameShort(dev Device, buf []byte, o int, base int64, names map[string]bool) error {
	old := string(buf[o : o+8])
	stem := strings.TrimRight(old, " ")
	if i := strings.IndexByte(stem, '~'); i >= 0 {
		stem = stem[:i]
	}
	ext := string(buf[o+8 : o+11])
	var name string
	for n := 1; ; n++ {
		suffix := fmt.Sprintf("~%d", n)
		st := stem
		if len(st) > 8-len(suffix) {
			st = st[:8-len(suffix)]
		}
		name = fmt.Sprintf("%-8s", st+suffix) + ext
		if !names[name] {
			break
		}
	}
	copy(buf[o:], name)
	sum := lfnChecksum(buf[o : o+11])
	start := o
	for p := o - 32; p >= 0 && buf[p+11] == attrLFN && buf[p] != 0xE5; p -= 32 {
		buf[p+13] = sum
		start = p
	}
	_, err := dev.WriteAt(buf[start:o+32], base+int64(start))
	return err
}

// lfnChecksum is the checksum of an 8.3 name stored in long-name slots.
func lfnChecksum(sfn []byte) byte {
	var sum byte
	for _, c := range sfn {
		sum = (sum>>1 | sum<<7) + c
	}
	return sum
}
