package smart

import (
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Disk is a whole disk found in sysfs.
type Disk struct {
	// Name is the kernel name ("sda", "nvme0n1"); Path is "/dev/" + Name
	// (with "!" turned into "/" for cciss/c0d0).
	Name      string    `json:"name"`
	Path      string    `json:"path"`
	Transport Transport `json:"transport"`
	Vendor    string    `json:"vendor,omitempty"`
	Model     string    `json:"model,omitempty"`
	// Size is in bytes.
	Size       uint64 `json:"size"`
	Rotational bool   `json:"rotational"`
	Removable  bool   `json:"removable"`
	// HostDriver is the driver of the SCSI host the disk hangs off
	// ("ahci", "megaraid_sas", "mpt3sas"), "" for NVMe and virtio.
	HostDriver string `json:"host_driver,omitempty"`
	// RAID is true for a logical drive of a hardware RAID controller: its
	// member disks are not visible to SMART without the vendor's tools
	// or smartctl's -d options (megaraid,N; cciss,N; aacraid,H,L,ID).
	RAID bool `json:"raid"`
}

// HasSMART reports whether the disk can have SMART data of its own: ATA,
// NVMe and SCSI disks that are not RAID logical drives.
func (d *Disk) HasSMART() bool {
	return !d.RAID && (d.Transport == ATA || d.Transport == NVMe || d.Transport == SCSI || d.Transport == USB)
}

// diskName matches the block devices Proxmox VE lists as disks.
var diskName = regexp.MustCompile(`^(?:(?:h|s|x?v)d[a-z]+|nvme\d+n\d+|cciss!c\d+d\d+)$`)

// raidDrivers are SCSI host drivers of hardware RAID controllers whose
// disks are always logical drives.
var raidDrivers = []string{"megaraid_sas", "megaraid", "megaraid_mbox", "aacraid", "arcmsr", "3w-9xxx", "3w-sas", "3w-xxxx", "cciss", "ips", "gdth", "dpt_i2o"}

// raidIfLogical are host drivers of controllers that pass disks through in
// HBA/IT mode but also expose RAID volumes, recognized by their model.
var raidIfLogical = []string{"hpsa", "smartpqi", "mpt3sas", "mpt2sas", "mptsas"}

// Discover lists the whole disks in /sys/block, with their transport and
// whether they are RAID logical drives, the way Proxmox VE's disk list
// selects them (no partitions, loop, zram, device-mapper, md or iSCSI
// devices).
func (c *Client) Discover() ([]Disk, error) {
	ents, err := c.fs.ReadDir("/sys/block")
	if err != nil {
		return nil, err
	}
	var out []Disk
	for _, e := range ents {
		name := e.Name()
		if !diskName.MatchString(name) {
			continue
		}
		sys := "/sys/block/" + name
		if !c.fs.Exists(sys + "/device") {
			continue
		}
		real, err := c.fs.Resolve(sys)
		if err != nil {
			return nil, err
		}
		if strings.Contains(real, "/session") {
			continue // iSCSI
		}
		d := Disk{Name: name, Path: "/dev/" + strings.ReplaceAll(name, "!", "/")}
		d.Size = c.readUint(sys+"/size") * 512
		d.Rotational = c.readUint(sys+"/queue/rotational") == 1
		d.Removable = c.readUint(sys+"/removable") == 1
		d.Vendor, _ = c.fs.ReadSmall(sys + "/device/vendor")
		d.Model, _ = c.fs.ReadSmall(sys + "/device/model")
		d.Vendor, d.Model = strings.TrimSpace(d.Vendor), strings.TrimSpace(d.Model)
		switch {
		case strings.HasPrefix(name, "nvme"):
			d.Transport = NVMe
		case strings.HasPrefix(name, "vd") || strings.HasPrefix(name, "xvd"):
			d.Transport = Virtio
		default:
			d.Transport, d.HostDriver = c.scsiTransport(real)
			d.RAID = slices.Contains(raidDrivers, d.HostDriver) ||
				slices.Contains(raidIfLogical, d.HostDriver) && isLogicalVolume(d.Vendor, d.Model) ||
				strings.HasPrefix(name, "cciss")
		}
		out = append(out, d)
	}
	return out, nil
}

// scsiTransport tells ATA (libata), USB and SCSI disks apart from the
// resolved sysfs path and finds the SCSI host's driver.
func (c *Client) scsiTransport(real string) (Transport, string) {
	parts := strings.Split(real, "/")
	tr := SCSI
	driver := ""
	for i, p := range parts {
		switch {
		case strings.HasPrefix(p, "usb") && isDigits(p[3:]):
			tr = USB
		case strings.HasPrefix(p, "ata") && isDigits(p[3:]) && tr != USB:
			tr = ATA
		case strings.HasPrefix(p, "host") && isDigits(p[4:]):
			if v, err := c.fs.ReadSmall(path.Join("/sys/class/scsi_host", p, "proc_name")); err == nil {
				driver = strings.TrimSpace(v)
			} else if v, err := c.fs.Readlink(strings.Join(parts[:i+1], "/") + "/../driver"); err == nil {
				driver = path.Base(v)
			}
		}
	}
	if driver == "virtio_scsi" {
		tr = Virtio
	}
	return tr, driver
}

func isLogicalVolume(vendor, model string) bool {
	m := strings.ToUpper(model)
	return strings.Contains(m, "LOGICAL VOLUME") || strings.HasPrefix(m, "MR9") || strings.HasPrefix(m, "PERC ") ||
		strings.Contains(m, "RAID") || strings.EqualFold(vendor, "ASR") || strings.HasPrefix(strings.ToUpper(vendor), "AMCC")
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

func (c *Client) readUint(name string) uint64 {
	s, err := c.fs.ReadSmall(name)
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	return n
}
