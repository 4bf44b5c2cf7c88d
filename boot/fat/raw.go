package fat

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ErrNotFAT32 means the boot sector is not that of a FAT32 file system.
var ErrNotFAT32 = errors.New("not a FAT32 file system")

// geometry is the layout a FAT32 boot sector describes.
type geometry struct {
	bps, spc      int
	reserved      int
	nfats         int
	fatSectors    int
	totalSectors  int64
	rootCluster   uint32
	fsinfoSector  int
	backupBoot    int
	hiddenSectors uint32
	volumeID      uint32
	dataStart     int64 // byte offset of cluster 2
	clusterBytes  int
	clusters      uint32 // number of data clusters; valid ones are 2..clusters+1
	fatBytes      int
}

func readGeometry(r io.ReaderAt) (*geometry, error) {
	b := make([]byte, 512)
	if _, err := r.ReadAt(b, 0); err != nil {
		return nil, fmt.Errorf("read boot sector: %w", err)
	}
	if b[510] != 0x55 || b[511] != 0xAA || string(b[82:87]) != "FAT32" {
		return nil, ErrNotFAT32
	}
	g := &geometry{
		bps:           int(binary.LittleEndian.Uint16(b[11:])),
		spc:           int(b[13]),
		reserved:      int(binary.LittleEndian.Uint16(b[14:])),
		nfats:         int(b[16]),
		totalSectors:  int64(binary.LittleEndian.Uint32(b[32:])),
		hiddenSectors: binary.LittleEndian.Uint32(b[28:]),
		fatSectors:    int(binary.LittleEndian.Uint32(b[36:])),
		rootCluster:   binary.LittleEndian.Uint32(b[44:]),
		fsinfoSector:  int(binary.LittleEndian.Uint16(b[48:])),
		backupBoot:    int(binary.LittleEndian.Uint16(b[50:])),
		volumeID:      binary.LittleEndian.Uint32(b[67:]),
	}
	if g.bps != 512 && g.bps != 1024 && g.bps != 2048 && g.bps != 4096 || g.spc == 0 || g.nfats == 0 || g.fatSectors == 0 {
		return nil, fmt.Errorf("%w: bad BIOS parameter block", ErrNotFAT32)
	}
	g.clusterBytes = g.bps * g.spc
	g.fatBytes = g.fatSectors * g.bps
	dataSector := int64(g.reserved + g.nfats*g.fatSectors)
	g.dataStart = dataSector * int64(g.bps)
	g.clusters = uint32((g.totalSectors - dataSector) / int64(g.spc))
	if maxEntries := uint32(g.fatBytes/4) - 2; g.clusters > maxEntries {
		g.clusters = maxEntries
	}
	return g, nil
}

func (g *geometry) clusterOffset(c uint32) int64 {
	return g.dataStart + int64(c-2)*int64(g.clusterBytes)
}

func (g *geometry) validCluster(c uint32) bool { return c >= 2 && c <= g.clusters+1 }

const (
	fatMask = 0x0FFFFFFF
	fatEOC  = 0x0FFFFFF8
	fatBad  = 0x0FFFFFF7
)

// table is FAT #1 in memory.
type table struct {
	g       *geometry
	entries []uint32
}

func readTable(r io.ReaderAt, g *geometry, n int) (*table, error) {
	b := make([]byte, g.fatBytes)
	if _, err := r.ReadAt(b, int64(g.reserved+n*g.fatSectors)*int64(g.bps)); err != nil {
		return nil, fmt.Errorf("read FAT %d: %w", n+1, err)
	}
	t := &table{g: g, entries: make([]uint32, g.fatBytes/4)}
	for i := range t.entries {
		t.entries[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return t, nil
}

func (t *table) get(c uint32) uint32 { return t.entries[c] & fatMask }

func (t *table) set(c, v uint32) { t.entries[c] = t.entries[c]&^fatMask | v&fatMask }

func (t *table) bytes() []byte {
	b := make([]byte, 4*len(t.entries))
	for i, v := range t.entries {
		binary.LittleEndian.PutUint32(b[4*i:], v)
	}
	return b
}

// write writes every FAT copy.
func (t *table) write(w io.WriterAt) error {
	b := t.bytes()
	for n := 0; n < t.g.nfats; n++ {
		if _, err := w.WriteAt(b, int64(t.g.reserved+n*t.g.fatSectors)*int64(t.g.bps)); err != nil {
			return fmt.Errorf("write FAT %d: %w", n+1, err)
		}
	}
	return nil
}

func (t *table) free() (count uint32, first uint32) {
	first = 0xFFFFFFFF
	for c := uint32(2); c <= t.g.clusters+1; c++ {
		if t.get(c) == 0 {
			count++
			if first == 0xFFFFFFFF {
				first = c
			}
		}
	}
	return count, first
}

// chain follows a cluster chain; it stops at the end, at an invalid link,
// or before a cluster already in seen (a cross-link or loop).
func (t *table) chain(start uint32, seen map[uint32]bool) (clusters []uint32, broken bool) {
	c := start
	for t.g.validCluster(c) {
		if seen[c] {
			return clusters, true
		}
		seen[c] = true
		clusters = append(clusters, c)
		next := t.get(c)
		if next >= fatEOC {
			return clusters, false
		}
		if !t.g.validCluster(next) {
			return clusters, true
		}
		c = next
	}
	return clusters, start != 0
}

// dirEntry is a short-name directory entry and where it is on disk.
type dirEntry struct {
	off   int64 // byte offset of the 32-byte entry
	name  string
	attr  byte
	start uint32
	size  uint32
}

const (
	attrVolume = 0x08
	attrDir    = 0x10
	attrLFN    = 0x0F
)

func parseDirEntry(b []byte, off int64) (dirEntry, bool, bool) {
	switch {
	case b[0] == 0x00:
		return dirEntry{}, false, true // end of directory
	case b[0] == 0xE5, b[11] == attrLFN, b[11]&attrVolume != 0:
		return dirEntry{}, false, false
	}
	name := string(b[0:8])
	return dirEntry{
		off:   off,
		name:  name,
		attr:  b[11],
		start: uint32(binary.LittleEndian.Uint16(b[20:]))<<16 | uint32(binary.LittleEndian.Uint16(b[26:])),
		size:  binary.LittleEndian.Uint32(b[28:]),
	}, true, false
}

func putStart(b []byte, c uint32) {
	binary.LittleEndian.PutUint16(b[20:], uint16(c>>16))
	binary.LittleEndian.PutUint16(b[26:], uint16(c))
}
