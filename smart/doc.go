// Package smart reads disk health: ATA SMART data through SG_IO
// pass-through and the NVMe health log through the admin command ioctl,
// with smartctl's JSON as a fallback and oracle; plus smartd.conf and
// disk discovery.
//
// # Native reads
//
// Client.ReadNative talks to the drive itself. ATA disks (SATA through
// libata or a SAT bridge) get ATA PASS-THROUGH(16) commands over SG_IO:
// IDENTIFY DEVICE, SMART READ DATA, SMART READ THRESHOLDS and SMART RETURN
// STATUS, whose verdict comes back in the LBA mid/high registers of the
// sense data's ATA Status Return descriptor (4Fh/C2h passed, F4h/2Ch
// threshold exceeded). NVMe drives get Identify Controller and Get Log
// Page 02h through NVME_IOCTL_ADMIN_CMD. Disks that refuse ATA
// pass-through (SAS disks, RAID logical drives) are read as SCSI disks:
// INQUIRY, the serial number VPD page, READ CAPACITY, the Informational
// Exceptions Control mode page (SCSI's "SMART support") and the
// Informational Exceptions, Temperature and Solid State Media log pages,
// judged the way smartctl judges them. Client.EnableSMART is SMART ENABLE
// OPERATIONS, the admin guide's "smartctl -s on". All of this needs root.
//
// Attributes are named and their raw values rendered as smartctl does
// without a drive database entry (its DEFAULT table, including the
// HDD-only and SSD-only names); Config.AttributeDefs takes smartctl's
// "-v" options for drives that need them. The decoders (ParseIdentify,
// ParseSMARTData, ParseATAReturnSense, ParseNVMeIdentifyController,
// ParseNVMeHealth) are pure Go and build on every system.
//
// # Wear-out
//
// Report.Wearout is the life left in percent as Proxmox VE shows it: 100
// minus "Percentage Used" for NVMe (not below zero), and for ATA SSDs the
// normalized value of the first attribute matching Proxmox VE's ordered
// list (Media_Wearout_Indicator, SSD_Life_Left, Wear_Leveling_Count, ...).
//
// # smartctl
//
// Client.Smartctl runs "smartctl -a -j" through the command runner and
// parses the JSON into the same Report; it reads what the native path
// does not cover: the member disks behind hardware RAID controllers (with
// -d megaraid,N and friends) and bridges that need a -d type. Its exit status is a bit
// mask (ExitStatus); only bits 0 and 1 mean the device could not be read,
// the others describe the disk. Client.Read tries the native path first
// and falls back to smartctl for devices it cannot read.
//
// # smartd.conf and discovery
//
// ParseSmartdConf keeps smartd.conf block by block so that an untouched
// file formats byte for byte and an edit rewrites only its entry;
// Client.EditSmartdConf edits it under a lock. Client.Discover lists the
// disks in /sys/block with their transport (ATA, NVMe, SCSI, virtio, USB)
// and flags logical drives of hardware RAID controllers by the SCSI host's
// driver (megaraid_sas, aacraid, hpsa logical volumes, ...): the admin
// guide sends you to the controller vendor's tools for those.
package smart
