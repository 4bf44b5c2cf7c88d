package boot

import (
	"context"
	"fmt"
	"regexp"

	"github.com/hostadm/hostadm/internal/rootfs"
	"github.com/hostadm/hostadm/internal/runner"
)

var grubAdvancedID = regexp.MustCompile(`(?m)gnulinux-advanced-(.+)' \{$`)

// GrubDefault returns the GRUB_DEFAULT value that selects a kernel
// version, built from the menu entry ids in /boot/grub/grub.cfg as
// proxmox-boot-tool does: "gnulinux-advanced-ID>gnulinux-VERSION-advanced-ID".
func (m *Manager) GrubDefault(version string) (string, error) {
	cfg, err := m.fs.ReadFile("/boot/grub/grub.cfg")
	if err != nil {
		return "", err
	}
	mt := grubAdvancedID.FindSubmatch(cfg)
	if mt == nil {
		return "", fmt.Errorf("/boot/grub/grub.cfg: no gnulinux-advanced menu entry id")
	}
	id := string(mt[1])
	return fmt.Sprintf("gnulinux-advanced-%s>gnulinux-%s-advanced-%s", id, version, id), nil
}

// SetGrubDefault pins GRUB to a kernel version through
// /etc/default/grub.d/proxmox-kernel-pin.cfg (version "" removes the pin)
// and, on the running system, runs update-grub.
func (m *Manager) SetGrubDefault(ctx context.Context, version string) error {
	if version == "" {
		if err := m.removeFile(GrubPinSnippet); err != nil {
			return err
		}
	} else {
		entry, err := m.GrubDefault(version)
		if err != nil {
			return err
		}
		_, d, _, err := m.readFile(GrubPinSnippet)
		if err != nil {
			return err
		}
		if err := m.fs.WriteFile(GrubPinSnippet, []byte(fmt.Sprintf("GRUB_DEFAULT=\"%s\"\n", entry)), &rootfs.WriteOptions{Expect: &d}); err != nil {
			return wrapPath(GrubPinSnippet, err)
		}
	}
	return m.updateGrub(ctx)
}

// updateGrub runs update-grub on the running system; for another root it
// does nothing (the target's own update-grub runs when it boots or in a
// chroot).
func (m *Manager) updateGrub(ctx context.Context) error {
	if !m.fs.IsHostRoot() {
		return nil
	}
	_, err := m.run.Run(ctx, runner.Cmd{Args: []string{"update-grub"}})
	return err
}
