package btrfs

import (
	"fmt"
	"slices"
	"strings"
)

// Block group flags (BTRFS_BLOCK_GROUP_* in btrfs_tree.h): one type bit
// and at most one profile bit; no profile bit means single.
const (
	BlockGroupData     = 1 << 0
	BlockGroupSystem   = 1 << 1
	BlockGroupMetadata = 1 << 2
	BlockGroupRAID0    = 1 << 3
	BlockGroupRAID1    = 1 << 4
	BlockGroupDUP      = 1 << 5
	BlockGroupRAID10   = 1 << 6
	BlockGroupRAID5    = 1 << 7
	BlockGroupRAID6    = 1 << 8
	BlockGroupRAID1C3  = 1 << 9
	BlockGroupRAID1C4  = 1 << 10

	blockGroupTypeMask    = BlockGroupData | BlockGroupSystem | BlockGroupMetadata
	blockGroupProfileMask = BlockGroupRAID0 | BlockGroupRAID1 | BlockGroupDUP | BlockGroupRAID10 |
		BlockGroupRAID5 | BlockGroupRAID6 | BlockGroupRAID1C3 | BlockGroupRAID1C4
	blockGroupRAID56 = BlockGroupRAID5 | BlockGroupRAID6
	spaceGlobalRsv   = 1 << 49 // BTRFS_SPACE_INFO_GLOBAL_RSV

	minUnallocatedThresh = 16 << 20 // below this, unallocated space is not counted as free
)

// Profile is a block group profile: how data or metadata is laid out on
// the devices.
type Profile string

// Profiles. The admin guide supports single, raid0, raid1 and raid10;
// raid5 and raid6 are experimental and dangerous.
const (
	Single  Profile = "single"
	DUP     Profile = "dup"
	RAID0   Profile = "raid0"
	RAID1   Profile = "raid1"
	RAID1C3 Profile = "raid1c3"
	RAID1C4 Profile = "raid1c4"
	RAID10  Profile = "raid10"
	RAID5   Profile = "raid5"
	RAID6   Profile = "raid6"
)

var profileBits = map[uint64]Profile{
	0: Single, BlockGroupDUP: DUP, BlockGroupRAID0: RAID0, BlockGroupRAID1: RAID1,
	BlockGroupRAID1C3: RAID1C3, BlockGroupRAID1C4: RAID1C4, BlockGroupRAID10: RAID10,
	BlockGroupRAID5: RAID5, BlockGroupRAID6: RAID6,
}

// profileOf returns the profile of block group flags.
func profileOf(flags uint64) Profile {
	if p, ok := profileBits[flags&blockGroupProfileMask]; ok {
		return p
	}
	return Profile(fmt.Sprintf("profile-%#x", flags&blockGroupProfileMask))
}

// copies is how many copies of each byte the profile stores (the kernel's
// btrfs_bg_type_to_ncopies); raid5/6 store one plus parity.
func copies(flags uint64) uint64 {
	switch flags & blockGroupProfileMask {
	case BlockGroupDUP, BlockGroupRAID1, BlockGroupRAID10:
		return 2
	case BlockGroupRAID1C3:
		return 3
	case BlockGroupRAID1C4:
		return 4
	}
	return 1
}

func parities(flags uint64) uint64 {
	switch flags & blockGroupProfileMask {
	case BlockGroupRAID5:
		return 1
	case BlockGroupRAID6:
		return 2
	}
	return 0
}

// typeName returns the block group type as btrfs-progs prints it.
func typeName(flags uint64) string {
	switch {
	case flags&spaceGlobalRsv != 0:
		return "GlobalReserve"
	case flags&blockGroupTypeMask == BlockGroupData|BlockGroupMetadata:
		return "Data+Metadata"
	case flags&BlockGroupData != 0:
		return "Data"
	case flags&BlockGroupMetadata != 0:
		return "Metadata"
	case flags&BlockGroupSystem != 0:
		return "System"
	}
	return "unknown"
}

// Space is the allocation of one block group type and profile.
type Space struct {
	Type    string  `json:"type"` // Data, Metadata, System, Data+Metadata
	Profile Profile `json:"profile"`
	Flags   uint64  `json:"flags"`
	// Size is the logical space allocated in chunks ("Size" in `btrfs
	// filesystem usage`).
	Size uint64 `json:"size"`
	// Used is the logical space used in them.
	Used uint64 `json:"used"`
}

// Usage is a file system's space usage, computed the way `btrfs
// filesystem usage` computes its "Overall" section: raw sizes count every
// copy, so a raid1 file system of two 10 GiB disks has a device size of
// 20 GiB and a free estimate of about 10 GiB.
type Usage struct {
	DeviceSize      uint64 `json:"device_size"`      // the devices' sizes summed
	DeviceAllocated uint64 `json:"device_allocated"` // raw space in chunks
	// DeviceUnallocated is DeviceSize - DeviceAllocated; negative after
	// a device was shrunk below its allocation.
	DeviceUnallocated int64  `json:"device_unallocated"`
	DeviceMissing     uint64 `json:"device_missing"` // size of missing devices
	DeviceSlack       uint64 `json:"device_slack"`   // device space beyond the file system
	Used              uint64 `json:"used"`           // raw space used
	// FreeEstimated is what data could still be written: free space in
	// data chunks plus unallocated space, divided by the data profile's
	// copies. FreeMin assumes the most wasteful profile in use.
	FreeEstimated uint64  `json:"free_estimated"`
	FreeMin       uint64  `json:"free_min"`
	DataRatio     float64 `json:"data_ratio"`
	MetadataRatio float64 `json:"metadata_ratio"`
	// GlobalReserve is metadata space held back for emergencies.
	GlobalReserve     uint64 `json:"global_reserve"`
	GlobalReserveUsed uint64 `json:"global_reserve_used"`
	// MultipleProfiles lists the types (data, metadata, system) whose
	// chunks use more than one profile, as after an interrupted balance.
	MultipleProfiles []string `json:"multiple_profiles,omitempty"`
	Spaces           []Space  `json:"spaces"`
	// Mixed is set for a file system with mixed data and metadata block
	// groups (small file systems).
	Mixed bool `json:"mixed,omitempty"`
}

// Space returns the allocation of a type ("Data", "Metadata", "System"),
// summed over profiles.
func (u *Usage) Space(typ string) Space {
	var s Space
	for _, x := range u.Spaces {
		if x.Type == typ {
			if s.Type == "" {
				s = x
			} else {
				s.Size += x.Size
				s.Used += x.Used
			}
		}
	}
	return s
}

// spaceInfo is struct btrfs_ioctl_space_info.
type spaceInfo struct {
	Flags      uint64
	TotalBytes uint64
	UsedBytes  uint64
}

// chunkInfo sums the chunks of one type and stripe count on one device,
// from the chunk tree, for raid5/6 accounting.
type chunkInfo struct {
	Flags      uint64
	DevID      uint64
	NumStripes uint64
	Size       uint64 // the chunks' logical length, summed per stripe
}

// computeUsage derives the overall usage from BTRFS_IOC_SPACE_INFO, the
// devices (BTRFS_IOC_DEV_INFO) and, for raid5/6 only, the chunk tree. It
// follows btrfs-progs' print_filesystem_usage_overall step by step,
// including its integer and floating-point conversions, so that the
// figures agree with `btrfs filesystem usage -b` to the byte.
func computeUsage(spaces []spaceInfo, devices []Device, chunks []chunkInfo) (*Usage, error) {
	u := &Usage{}
	for _, d := range devices {
		u.DeviceSize += d.Size
		if d.DeviceSize > d.Size {
			u.DeviceSlack += d.DeviceSize - d.Size
		}
		if d.Path == "" {
			u.DeviceMissing += d.Size
		}
	}
	if u.DeviceSize == 0 {
		return nil, fmt.Errorf("no device sizes")
	}
	var (
		rDataUsed, rDataChunks, lDataChunks         uint64
		rMetaUsed, rMetaChunks, lMetaChunks         uint64
		rSysUsed, rSysChunks                        uint64
		maxDataRatio                                = 1.0
		raid56                                      bool
		lR5Data, lR5DataUsed, lR6Data, lR6DataUsed  uint64
		lR5Meta, lR5MetaUsed, lR6Meta, lR6MetaUsed  uint64
		lR5Sys, lR5SysUsed, lR6Sys, lR6SysUsed      uint64
		profilesByType                              = map[string]map[Profile]bool{}
		typeOrder                                   []string
		globalReserve, globalReserveUsed, mixedSeen = uint64(0), uint64(0), false
	)
	for _, s := range spaces {
		if s.Flags&spaceGlobalRsv == 0 {
			continue
		}
		globalReserve, globalReserveUsed = s.TotalBytes, s.UsedBytes
	}
	// Logical raid5/6 ratios (get_raid56_logical_ratio).
	for _, s := range spaces {
		var data, used, meta, mused, sys, sused *uint64
		switch {
		case s.Flags&BlockGroupRAID5 != 0:
			data, used, meta, mused, sys, sused = &lR5Data, &lR5DataUsed, &lR5Meta, &lR5MetaUsed, &lR5Sys, &lR5SysUsed
		case s.Flags&BlockGroupRAID6 != 0:
			data, used, meta, mused, sys, sused = &lR6Data, &lR6DataUsed, &lR6Meta, &lR6MetaUsed, &lR6Sys, &lR6SysUsed
		default:
			continue
		}
		switch {
		case s.Flags&BlockGroupData != 0:
			*data += s.TotalBytes
			*used += s.UsedBytes
		case s.Flags&BlockGroupMetadata != 0:
			*meta += s.TotalBytes
			*mused += s.UsedBytes
		case s.Flags&BlockGroupSystem != 0:
			*sys += s.TotalBytes
			*sused += s.UsedBytes
		}
	}
	ratio := func(used, total uint64) float64 {
		if total == 0 {
			return -1
		}
		return float64(used) / float64(total)
	}
	for _, c := range chunks {
		var dr, mr, sr float64
		switch {
		case c.Flags&BlockGroupRAID5 != 0:
			dr, mr, sr = ratio(lR5DataUsed, lR5Data), ratio(lR5MetaUsed, lR5Meta), ratio(lR5SysUsed, lR5Sys)
		case c.Flags&BlockGroupRAID6 != 0:
			dr, mr, sr = ratio(lR6DataUsed, lR6Data), ratio(lR6MetaUsed, lR6Meta), ratio(lR6SysUsed, lR6Sys)
		default:
			continue
		}
		np := parities(c.Flags)
		if c.NumStripes <= np {
			return nil, fmt.Errorf("chunk with %d stripes and %d parities", c.NumStripes, np)
		}
		if rt := float64(c.NumStripes) / float64(c.NumStripes-np); rt > maxDataRatio {
			maxDataRatio = rt
		}
		size := c.Size / (c.NumStripes - np)
		switch {
		case c.Flags&BlockGroupData != 0:
			rDataChunks += size
			rDataUsed = uint64(float64(rDataUsed) + float64(size)*dr)
		case c.Flags&BlockGroupMetadata != 0:
			rMetaChunks += size
			rMetaUsed = uint64(float64(rMetaUsed) + float64(size)*mr)
		case c.Flags&BlockGroupSystem != 0:
			rSysChunks += size
			rSysUsed = uint64(float64(rSysUsed) + float64(size)*sr)
		}
	}
	for _, s := range spaces {
		if s.Flags&spaceGlobalRsv != 0 {
			continue
		}
		r := copies(s.Flags)
		if s.Flags&blockGroupRAID56 != 0 {
			r = 0
			raid56 = true
		}
		if float64(r) > maxDataRatio {
			maxDataRatio = float64(r)
		}
		if s.Flags&(BlockGroupData|BlockGroupMetadata) == BlockGroupData|BlockGroupMetadata {
			mixedSeen = true
		}
		if s.Flags&BlockGroupData != 0 {
			rDataUsed += s.UsedBytes * r
			rDataChunks += s.TotalBytes * r
			lDataChunks += s.TotalBytes
		}
		if s.Flags&BlockGroupMetadata != 0 {
			rMetaUsed += s.UsedBytes * r
			rMetaChunks += s.TotalBytes * r
			lMetaChunks += s.TotalBytes
		}
		if s.Flags&BlockGroupSystem != 0 {
			rSysUsed += s.UsedBytes * r
			rSysChunks += s.TotalBytes * r
		}
		sp := Space{Type: typeName(s.Flags), Profile: profileOf(s.Flags), Flags: s.Flags, Size: s.TotalBytes, Used: s.UsedBytes}
		u.Spaces = append(u.Spaces, sp)
		t := strings.ToLower(sp.Type)
		if profilesByType[t] == nil {
			profilesByType[t] = map[Profile]bool{}
			typeOrder = append(typeOrder, t)
		}
		profilesByType[t][sp.Profile] = true
	}
	if raid56 && len(chunks) == 0 {
		return nil, fmt.Errorf("raid5/6 usage needs the chunk tree, which only root can read")
	}
	if lDataChunks == 0 {
		return nil, fmt.Errorf("no data chunks")
	}
	u.Mixed = mixedSeen
	u.GlobalReserve, u.GlobalReserveUsed = globalReserve, globalReserveUsed
	u.DeviceAllocated = rDataChunks + rSysChunks
	u.Used = rDataUsed + rSysUsed
	if !u.Mixed {
		u.DeviceAllocated += rMetaChunks
		u.Used += rMetaUsed
	}
	unused := u.DeviceSize - u.DeviceAllocated
	u.DeviceUnallocated = int64(unused)
	u.DataRatio = float64(rDataChunks) / float64(lDataChunks)
	if u.Mixed {
		u.MetadataRatio = u.DataRatio
	} else if lMetaChunks != 0 {
		u.MetadataRatio = float64(rMetaChunks) / float64(lMetaChunks)
	}
	free := uint64(float64(rDataChunks-rDataUsed) / u.DataRatio)
	if u.Mixed {
		free -= globalReserve - globalReserveUsed
	}
	freeMin := free
	if unused >= minUnallocatedThresh {
		free = uint64(float64(free) + float64(unused)/u.DataRatio)
		freeMin = uint64(float64(freeMin) + float64(unused)/maxDataRatio)
	}
	u.FreeEstimated, u.FreeMin = free, freeMin
	for _, t := range typeOrder {
		if len(profilesByType[t]) > 1 {
			u.MultipleProfiles = append(u.MultipleProfiles, t)
		}
	}
	slices.SortStableFunc(u.Spaces, func(a, b Space) int { return compareBlockGroups(a.Flags, b.Flags) })
	return u, nil
}

// compareBlockGroups orders spaces as btrfs-progs prints them: by type
// (data, then metadata, system last), then by profile.
func compareBlockGroups(a, b uint64) int {
	var mask uint64
	switch {
	case a&blockGroupTypeMask == b&blockGroupTypeMask:
		mask = blockGroupProfileMask
	case b&BlockGroupSystem != 0:
		return -1
	case a&BlockGroupSystem != 0:
		return 1
	default:
		mask = blockGroupTypeMask
	}
	switch {
	case a&mask > b&mask:
		return 1
	case a&mask < b&mask:
		return -1
	}
	return 0
}
