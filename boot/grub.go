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
	return grubDefaultFrom("/boot/grub/grub.cfg", cfg, version)
}

// grubDefaultFrom builds the GRUB_DEFAULT value for version from the
// grub.cfg named name.
func grubDefaultFrom(name string, cfg []byte, version string) (string, error) {
	mt := grubAdvancedID.FindSubmatch(cfg)
	if mt == nil {
		return "", fmt.Errorf("%s: no gnulinux-advanced menu entry id", name)
	}
	id := string(mt[1])
	return fmt.Sprintf("gnulinux-advanced-%s>gnulinux-%s-advanced-%s", id, version, id), nil
}

// SetGrubDefault pins GRUB to a kernel version through
// /etc/default/grub.d/proxmox-kernel-pin.cfg (version "" removes the pin)
// and, on the running system, runs update-grub.
func (m *Manager) SetGrubDefault(ctx context.Context, version string) error {
	entry := ""
	if version != "" {
		var err error
		if entry, err = m.GrubDefault(version); err != nil {
			return err
		}
	}
	if err := m.writeGrubPin(entry); err != nil {
		return err
	}
	return m.updateGrub(ctx)
}

// writeGrubPin writes GRUB_DEFAULT=entry to the pin snippet, or removes
// the snippet for entry "".
func (m *Manager) writeGrubPin(entry string) error {
	if entry == "" {
		return m.removeFile(GrubPinSnippet)
	}
	_, d, _, err := m.readFile(GrubPinSnippet)
	if err != nil {
		return err
	}
	if err := m.fs.WriteFile(GrubPinSnippet, []byte(fmt.Sprintf("GRUB_DEFAULT=\"%s\"\n", entry)), &rootfs.WriteOptions{Expect: &d}); err != nil {
		return wrapPath(GrubPinSnippet, err)
	}
	return nil
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
