package btrfs

import (
	"encoding/binary"
	"unsafe"
)

// treeSearch walks every item whose key lies between min and max (the
// kernel's 136-bit key order: objectid, type, offset) in tree treeID,
// calling fn with each item's header and data. It needs CAP_SYS_ADMIN.
func treeSearch(fd int, treeID uint64, min, max key, fn func(h *searchHeader, item []byte) error) error {
	a := new(searchArgsV2)
	// Touch every page: the kernel copies items with page faults
	// disabled and restarts the search when it hits an absent page.
	for i := 0; i < len(a.Buf); i += 4096 {
		a.Buf[i] = 1
	}
	k := &a.Key
	k.TreeID = treeID
	k.MinObjectid, k.MinType, k.MinOffset = min.objectid, uint32(min.typ), min.offset
	k.MaxObjectid, k.MaxType, k.MaxOffset = max.objectid, uint32(max.typ), max.offset
	k.MaxTransid = ^uint64(0)
	for {
		k.NrItems = ^uint32(0)
		if err := ioctlTreeSearchV2(fd, a); err != nil {
			return err
		}
		if k.NrItems == 0 {
			return nil
		}
		var last searchHeader
		off := uintptr(0)
		for range k.NrItems {
			h := (*searchHeader)(unsafe.Pointer(&a.Buf[off]))
			off += sizeofSearchHeader
			item := a.Buf[off : off+uintptr(h.Len)]
			off += uintptr(h.Len)
			if err := fn(h, item); err != nil {
				return err
			}
			last = *h
		}
		// Continue after the last key returned.
		next := key{last.Objectid, uint8(last.Type), last.Offset}.next()
		if next == (key{}) || next.greater(max) {
			return nil
		}
		k.MinObjectid, k.MinType, k.MinOffset = next.objectid, uint32(next.typ), next.offset
	}
}

// key is a btrfs item key.
type key struct {
	objectid uint64
	typ      uint8
	offset   uint64
}

// next returns the smallest key after k; the zero key on overflow.
func (k key) next() key {
	switch {
	case k.offset != ^uint64(0):
		k.offset++
	case k.typ != 0xff:
		k.typ, k.offset = k.typ+1, 0
	default:
		k.objectid, k.typ, k.offset = k.objectid+1, 0, 0
	}
	return k
}

func (k key) greater(o key) bool {
	if k.objectid != o.objectid {
		return k.objectid > o.objectid
	}
	if k.typ != o.typ {
		return k.typ > o.typ
	}
	return k.offset > o.offset
}

// Offsets in the on-disk items read from tree searches (btrfs_tree.h),
// checked against the C layout in the tests. Items are little-endian.
const (
	rootItemGeneration   = 160
	rootItemFlags        = 208
	rootItemGenerationV2 = 239
	rootItemUUID         = 247
	rootItemParentUUID   = 263
	rootItemReceivedUUID = 279
	rootItemCtransid     = 295
	rootItemOtransid     = 303
	rootItemOtime        = 339
	rootItemSize         = 439
	rootRefSize          = 18 // dirid, sequence, name_len; the name follows

	chunkLength     = 0
	chunkType       = 24
	chunkNumStripes = 44
	chunkStripe0    = 48
	stripeSize      = 32
)

var le = binary.LittleEndian
