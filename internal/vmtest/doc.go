// Package vmtest is the VM test tier: it boots Debian 12's own kernel
// (linux-image-amd64, 6.1) under QEMU and runs the project's
// vmtest-tagged tests inside it, as root, with the kernel features this
// machine lacks (bonding, 8021q, device-mapper, vfat, EFI variables, ZFS)
// and the devices a package asks for.
//
// # Running the tier
//
// From the module root (as root, after scripts/setup):
//
//	make vmtest                              # every package with *_vm_test.go files
//	scripts/vmtest ./lvm                     # one package (a pattern such as ./boot/... works too)
//	scripts/vmtest -v -run 'TestThin' ./lvm  # verbose, selected tests
//	scripts/vmtest -list                     # the packages that have VM tests
//	scripts/vmtest -prepare                  # only unpack, build the ZFS module and the image
//
// Each package runs in a guest of its own, with the devices of its
// testdata/vm.json. Its test binary is built on the host with
// `go test -c -tags vmtest` and runs in the guest with CI=true (a test
// that would skip fails) and HOSTADM_VM=1. Test output streams as go test
// prints it; each package ends with an "ok" or "FAIL" line and a line of
// stage times (build, packages, initramfs, boot, guest-kernel, guest-udev,
// guest-modules, guest-devices, tests). The run ends with
// "vmtest: N passed, M failed" and exits non-zero on a failure. For a
// failed guest the path of its serial console log is printed
// (.cache/vm/artifacts/<pkg>.console.log; -artifacts DIR moves it): the
// kernel's messages, the test output, and the kernel log dumped after a
// failing test.
//
// Other flags: -p N runs up to N guests at once (default 2; output is
// then printed per package when it ends), -keep keeps each guest's
// scratch directory (disk images, initramfs), -testflag FLAG passes a flag
// to the test binaries (-testflag -test.count=2).
//
// Benchmarks run in the guest with -bench; -benchout FILE writes the
// output for the project's bench tabulator:
//
//	scripts/vmtest -bench . -benchout /tmp/vm.txt ./zfs && go run ./bench -in /tmp/vm.txt
//	make vmbench                             # every package's VM benchmarks, tabulated
//
// # Writing VM tests
//
// A VM test lives in a file named *_vm_test.go with the build tag vmtest
// and starts with testenv.RequireVM(t). It finds its devices with
// testenv.VMDisks(t, n), testenv.VMSATADisk(t), testenv.VMNVMeDisk(t),
// testenv.VMNICs(t, n) and testenv.RequireVMEFI(t), which read the
// HOSTADM_VM_DISKS, HOSTADM_VM_SATA, HOSTADM_VM_NVME, HOSTADM_VM_NICS and
// HOSTADM_VM_EFI variables the guest sets. The package asks for them in
// testdata/vm.json (every field is optional; see Spec):
//
//	{
//	  "disks": [{"size": "1G"}, {"size": "2G", "bus": "scsi"}],
//	  "sata": true,
//	  "nvme": true,
//	  "nics": 2,
//	  "ovmf": true,
//	  "timeout": "5m",
//	  "bench_timeout": "30m",
//	  "memory": "3G",
//	  "cpus": 2,
//	  "modules": ["zfs"],
//	  "tags": ["libzfs"],
//	  "packages": ["python3", "ifupdown2"]
//	}
//
// The fields:
//
//   - disks: blank sparse disks, virtio-blk (/dev/vdX, the default) or
//     scsi-hd on virtio-scsi (/dev/sdX), listed in HOSTADM_VM_DISKS in the
//     order of the file.
//   - sata: a blank 1 GiB disk on the q35 machine's AHCI controller; QEMU
//     answers ATA SMART commands for it (smartctl -j -a /dev/sdX works).
//   - nvme: a blank 1 GiB NVMe namespace; QEMU answers the SMART / health
//     log page (smartctl -j -a /dev/nvme0).
//   - nics: virtio NICs named eth1..ethN (HOSTADM_VM_NICS), each alone on
//     a link of its own with the carrier up; eth0 is the guest's and no
//     frame leaves the VM. The bonding and dummy modules create no
//     default devices (max_bonds=0, numdummies=0).
//   - ovmf: boot under UEFI (Debian's ovmf, OVMF_CODE_4M.fd) with a fresh
//     copy of OVMF_VARS_4M.fd as the writable variable store; efivarfs is
//     mounted on /sys/firmware/efi/efivars and HOSTADM_VM_EFI=1. Secure
//     Boot is off: OVMF would refuse the Debian kernel without shim.
//   - timeout: the limit for the package's tests (-test.timeout; default
//     5m); the guest gets a few more minutes to boot. bench_timeout
//     replaces it for runs with -bench, whose anchors (Python tools, for
//     one) can take many times longer under emulation.
//   - memory (default 2G), cpus (default 1).
//   - modules: kernel modules loaded before the tests start. Modules also
//     load on demand as on any Debian host (creating a bond loads bonding,
//     mounting vfat loads vfat); naming one here also adds it to the
//     guest when the base image lacks it.
//   - tags: extra build tags. With "libzfs" the test binary is built with
//     cgo against the guest's own libzfs 2.1 (libzfslinux-dev, unpacked,
//     not installed).
//   - packages: more Debian packages in this package's guest only, with
//     what they depend on, for tools and test oracles that would make
//     every guest bigger (python3 and ifupdown2 for an ifreload anchor,
//     GRUB's EFI tools). Each is unpacked once per version into
//     .cache/vm/packages/<name>, and the run appends a cached layer with
//     their files and the shared libraries they need to the base image
//     (see Env.PackageImage): a "packages" stage of a few seconds, and a
//     few seconds more to boot per 20 MiB of layer under emulation.
//
// The guest is the Debian 12 kernel 6.1 with its modules, systemd-udevd
// (as at boot on Debian, so /dev/disk/by-* links, LVM and ZFS udev rules
// work), and the tools of these Debian packages, unpacked with their
// libraries: iproute2, ethtool, lvm2, dmsetup, thin-provisioning-tools,
// mdadm, dosfstools, e2fsprogs, btrfs-progs, gdisk, parted, fdisk,
// smartmontools, nvme-cli, efibootmgr, efivar, zfsutils-linux (2.1, with
// the OpenZFS module built for the guest kernel by DKMS), util-linux,
// coreutils, procps, kmod and busybox (sh and the other applets). The
// package's testdata directory and the module's testdata directory are
// copied beside the binary, which runs in its package directory. There
// is no network beyond the guest's own links, and no systemd.
//
// # Boot tests
//
// BootImage boots a disk image a test made (GPT, an ESP with
// systemd-boot, a kernel, an initrd and loader entries) under QEMU and
// OVMF, on the host, and passes when the serial console shows a marker;
// BootResult.Line is the console line with the marker. DebianBoot gives
// such a test the Debian kernel the tier boots and systemd-bootx64.efi
// (unpacked under .cache/vm), and MarkerInitrd an initrd whose init
// prints "<marker> release=<kernel release> cmdline=<command line>" on
// the console and ttyS0 and powers off. Give the loader entry
// "console=ttyS0" so that the kernel's messages reach the log. See
// boot_vm_test.go for a whole example.
//
// These tests are vmtest-tagged files too, but they run on the host:
// make vmtest runs the VM tests of a package whose VM test files call
// BootImage or DebianBoot a second time on the host (reported as
// "pkg (host)"), where RequireVM tests skip; BootImage skips in the
// guest. To run them alone:
//
//	go test -tags vmtest -run TestBoot -v ./internal/vmtest
//
// The host run follows the package's guest run, and GuestDisks gives its
// tests the disk images the guest left behind (HOSTADM_VM_GUEST_DISKS):
// a VM test can make a disk bootable with tools only the guest has (GRUB's
// grub-install and update-grub on a mounted ESP), and a host test boot it
// with BootImage. Such a test runs only under the tier (scripts/vmtest
// ./boot).
//
// # How it works
//
// Prepare asks APT which kernel linux-image-amd64 installs and unpacks it,
// the guest packages, the kernel headers (linux-headers-*-amd64, -common,
// linux-kbuild-6.1), zfs-dkms and dkms with scripts/debroot into
// .cache/vm; nothing is installed on this machine, and scripts/setup only
// installs QEMU, OVMF and the build tools. It builds the OpenZFS 2.1
// module with DKMS (its own dkms tree, the unpacked headers) once per
// kernel release and ZFS version. BaseImage lays out the guest's root
// (merged /usr), resolving each ELF file's shared libraries in the
// unpacked packages first and on this Debian 12 host second, and packs
// it with the selected kernel modules into an uncompressed cpio archive,
// cached by the versions of everything in it. A run appends a second
// archive with the guest init (guestinit, a static Go program), the job,
// the test binary and the package's test data, creates the disk images,
// and boots QEMU. The init mounts the kernel file systems, starts udev,
// finds the disks by their serial numbers and the NICs by their MAC
// addresses, runs the tests and powers off. Test output and the init's
// records come back on the second serial port (see package job); the
// first is the console.
//
// The accelerator is KVM only when /dev/kvm boots the kernel in a quick
// probe (cached per boot of this machine); otherwise, as on the project's
// machines, QEMU emulates the CPU (TCG). HOSTADM_VM_ACCEL=kvm|tcg
// overrides the probe, HOSTADM_VM_KERNEL=RELEASE the kernel, and
// HOSTADM_VM_CACHE=DIR the cache directory (.cache/vm; runs that share
// one take turns preparing it).
//
// # Why not github.com/hugelgupf/vmtest's test runner
//
// The tier drives QEMU with that project's qemu package (process, serial
// console, timeouts, OVMF firmware options), but its Go test runner
// (govmtest) and u-root initramfs cannot do this job: it builds test
// binaries with cgo disabled (the libzfs backend needs cgo), its
// initramfs carries Go programs and files resolved against the host's
// libraries (not Debian's tools unpacked from packages that this machine
// must not install, nor a DKMS-built module), it runs every binary with
// fixed flags (-test.run=. -test.bench=.) and no environment (no CI=true,
// no device contract), it returns results over 9p, which Debian's kernel
// has only as modules its init does not load, and it has no per-package
// devices or disk images. The guest side here is therefore the project's
// own: a small init and a newc cpio writer.
package vmtest
