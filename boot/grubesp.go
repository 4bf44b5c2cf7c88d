package boot

import (
	"context"
	"errors"
	"fmt"

	"github.com/hostadm/hostadm/boot/disk"
	"github.com/hostadm/hostadm/internal/runner"
)

// errNeedsHost is returned for steps that run the system's own GRUB tools.
var errNeedsHost = fmt.Errorf("GRUB tools run only on the running system: %w", errors.ErrUnsupported)

// updateGrubOnESP regenerates grub/grub.cfg on a GRUB-mode ESP: the ESP is
// mounted on /boot in a private mount namespace (invisible to the rest of
// the system) and update-grub runs there, as proxmox-boot-tool does.
// GRUB's configuration generator needs a mounted /boot; this is the one
// step of a refresh that mounts.
func (m *Manager) updateGrubOnESP(ctx context.Context, d disk.BlockDevice) error {
	if !m.fs.IsHostRoot() {
		return nil
	}
	return withMountedESP(d.Path, "/boot", func() error {
		_, err := m.run.Run(ctx, runner.Cmd{Args: []string{"update-grub"}})
		return err
	})
}

// grubInstall installs GRUB for an ESP as `proxmox-boot-tool init PART
// grub` does: on UEFI for the x86_64-efi target twice (with the proxmox
// boot entry and on the removable-media path), on BIOS for i386-pc into
// the disk's BIOS boot partition.
func (m *Manager) grubInstall(ctx context.Context, d disk.BlockDevice) error {
	if !m.fs.IsHostRoot() {
		return errNeedsHost
	}
	const mp = "/var/tmp/espmounts/hostadm"
	var runs [][]string
	if m.isEFI() {
		base := []string{"grub-install.real", "--boot-directory", mp, "--target", "x86_64-efi", "--no-floppy", "--efi-directory", mp, "--bootloader-id", "proxmox"}
		runs = [][]string{append(base, "/dev/"+d.Parent), append(append(base[:len(base):len(base)], "--removable"), "/dev/"+d.Parent)}
	} else {
		runs = [][]string{{"grub-install.real", "--boot-directory", mp, "--target", "i386-pc", "--no-floppy", "--bootloader-id", "proxmox", "/dev/" + d.Parent}}
	}
	return withMountedESP(d.Path, mp, func() error {
		for _, args := range runs {
			if err := m.grubInstallRun(ctx, args); err != nil {
				return err
			}
		}
		return nil
	})
}

// grubInstallRun runs grub-install.real, the name proxmox-boot-tool
// calls because Proxmox VE diverts grub-install to a wrapper that refuses
// to run on a system it manages; a system without the diversion (plain
// Debian) has only grub-install.
func (m *Manager) grubInstallRun(ctx context.Context, args []string) error {
	_, err := m.run.Run(ctx, runner.Cmd{Args: args})
	if runner.NotFound(err) && args[0] == "grub-install.real" {
		_, err = m.run.Run(ctx, runner.Cmd{Args: append([]string{"grub-install"}, args[1:]...)})
	}
	return err
}
