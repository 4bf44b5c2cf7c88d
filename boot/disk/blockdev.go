package disk

import (
	"os"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/hostadm/hostadm/internal/rootfs"
)

// BlockDevice is a disk or partition as `lsblk -o +FSTYPE,UUID,PARTTYPE`
// shows it.
type BlockDevice struct {
	Name        string   `json:"name"`    // kernel name: sda2, nvme0n1p2
	Path        string   `json:"path"`    // /dev/sda2
	MajMin      string   `json:"maj_min"` // 8:2
	Type        string   `json:"type"`    // disk, part, loop, dm, md, rom
	Size        int64    `json:"size"`    // bytes
	ReadOnly    bool     `json:"ro"`
	Removable   bool     `json:"rm"`
	Parent      string   `json:"parent,omitempty"`    // disk of a partition
	Partition   int      `json:"partition,omitempty"` // partition number
	Start       uint64   `json:"start,omitempty"`     // first sector of a partition (512-byte units)
	Holders     []string `json:"holders,omitempty"`   // devices stacked on this one (dm, md)
	MountPoints []string `json:"mountpoints,omitempty"`
	FSType      string   `json:"fstype,omitempty"`
	UUID        string   `json:"uuid,omitempty"`
	Label       string   `json:"label,omitempty"`
	PartType    string   `json:"parttype,omitempty"` // GPT type GUID, upper case
	PartUUID    string   `json:"partuuid,omitempty"`
	PartLabel   string   `json:"partlabel,omitempty"`
}

// BlockDevices lists the block devices of the system below root ("" means
// "/"): disks first, each followed by its partitions. Sizes, numbers and
// holders come from sysfs, mount points from /proc/self/mountinfo, file
// system and partition details from the udev database (/run/udev/data)
// and, on the running system where udev has nothing, from the superblock
// and partition table themselves.
func BlockDevices(root string) ([]BlockDevice, error) {
	fsys, err := rootfs.Open(root)
	if err != nil {
		return nil, err
	}
	defer fsys.Close()
	return blockDevices(fsys)
}

func blockDevices(fsys *rootfs.FS) ([]BlockDevice, error) {
	ents, err := fsys.ReadDir("/sys/class/block")
	if err != nil {
		return nil, err
	}
	mounts := map[string][]string{}
	if b, err := fsys.ReadFile("/proc/self/mountinfo"); err == nil {
		for _, m := range ParseMountInfo(b) {
			mounts[m.MajMin] = append(mounts[m.MajMin], m.MountPoint)
		}
	}
	var devs []BlockDevice
	for _, e := range ents {
		name := e.Name()
		dir := "/sys/class/block/" + name
		d := BlockDevice{Name: name, Path: "/dev/" + name, Type: "disk"}
		d.MajMin, _ = fsys.ReadSmall(dir + "/dev")
		if s, err := fsys.ReadSmall(dir + "/size"); err == nil {
			n, _ := strconv.ParseInt(s, 10, 64)
			d.Size = n * 512
		}
		d.ReadOnly = readFlag(fsys, dir+"/ro")
		if pn, err := fsys.ReadSmall(dir + "/partition"); err == nil {
			d.Type = "part"
			d.Partition, _ = strconv.Atoi(pn)
			if s, err := fsys.ReadSmall(dir + "/start"); err == nil {
				d.Start, _ = strconv.ParseUint(s, 10, 64)
			}
			if real, err := fsys.Resolve(dir); err == nil {
				d.Parent = path.Base(path.Dir(real))
			}
			d.Removable = readFlag(fsys, "/sys/class/block/"+d.Parent+"/removable")
		} else {
			d.Removable = readFlag(fsys, dir+"/removable")
			switch {
			case strings.HasPrefix(name, "loop"):
				d.Type = "loop"
			case strings.HasPrefix(name, "dm-"):
				d.Type = "dm"
			case strings.HasPrefix(name, "md"):
				d.Type = "md"
			case strings.HasPrefix(name, "sr"):
				d.Type = "rom"
			}
		}
		if hs, err := fsys.ReadDir(dir + "/holders"); err == nil {
			for _, h := range hs {
				d.Holders = append(d.Holders, h.Name())
			}
		}
		d.MountPoints = mounts[d.MajMin]
		if d.Type == "loop" && d.Size == 0 {
			continue // unattached loop device
		}
		udevInfo(fsys, &d)
		devs = append(devs, d)
	}
	if fsys.IsHostRoot() {
		probeHost(devs)
	}
	// Disks first, each followed by its partitions in number order.
	order := func(d BlockDevice) (string, int) {
		if d.Type == "part" {
			return d.Parent, d.Partition
		}
		return d.Name, 0
	}
	slices.SortStableFunc(devs, func(a, b BlockDevice) int {
		an, ap := order(a)
		bn, bp := order(b)
		if c := strings.Compare(an, bn); c != 0 {
			return c
		}
		return ap - bp
	})
	return devs, nil
}

func readFlag(fsys *rootfs.FS, name string) bool {
	s, err := fsys.ReadSmall(name)
	return err == nil && s == "1"
}

// udevInfo fills file system and partition details from the udev database.
func udevInfo(fsys *rootfs.FS, d *BlockDevice) {
	b, err := fsys.ReadFile("/run/udev/data/b" + d.MajMin)
	if err != nil {
		return
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "E:"), "=")
		if !ok || !strings.HasPrefix(line, "E:") {
			continue
		}
		switch k {
		case "ID_FS_TYPE":
			d.FSType = v
		case "ID_FS_UUID":
			d.UUID = v
		case "ID_FS_LABEL":
			d.Label = v
		case "ID_PART_ENTRY_TYPE":
			d.PartType = strings.ToUpper(v)
		case "ID_PART_ENTRY_UUID":
			d.PartUUID = strings.ToUpper(v)
		case "ID_PART_ENTRY_NAME":
			d.PartLabel = v
		}
	}
}

// probeHost reads superblocks and partition tables of the running system
// for devices udev said nothing about (needs read access to /dev).
func probeHost(devs []BlockDevice) {
	tables := map[string]*Table{}
	for i := range devs {
		d := &devs[i]
		if d.FSType == "" {
			if f, err := os.Open(d.Path); err == nil {
				if fs, err := Probe(f, d.Size); err == nil {
					d.FSType, d.UUID, d.Label = fs.Type, fs.UUID, fs.Label
				}
				f.Close()
			}
		}
		if d.Type == "part" && d.PartType == "" {
			t, ok := tables[d.Parent]
			if !ok {
				t, _ = Read("/dev/" + d.Parent)
				tables[d.Parent] = t
			}
			if t != nil {
				if p, ok := t.Partition(d.Partition); ok {
					d.PartType, d.PartUUID, d.PartLabel = p.Type, p.GUID, p.Name
				}
			}
		}
	}
}

// FindByUUID returns the device whose file system has the given UUID
// (case-insensitive), like /dev/disk/by-uuid.
func FindByUUID(devs []BlockDevice, uuid string) (BlockDevice, bool) {
	for _, d := range devs {
		if d.UUID != "" && strings.EqualFold(d.UUID, uuid) {
			return d, true
		}
	}
	return BlockDevice{}, false
}

// FindByName returns the device with the given kernel name or /dev path.
func FindByName(devs []BlockDevice, name string) (BlockDevice, bool) {
	name = strings.TrimPrefix(name, "/dev/")
	for _, d := range devs {
		if d.Name == name {
			return d, true
		}
	}
	return BlockDevice{}, false
}

// Children returns the partitions of disk name.
func Children(devs []BlockDevice, name string) []BlockDevice {
	var out []BlockDevice
	for _, d := range devs {
		if d.Type == "part" && d.Parent == name {
			out = append(out, d)
		}
	}
	return out
}
