package pvestorage_test

import (
	"context"
	"fmt"
	"os"

	"github.com/hostadm/hostadm/internal/pvestorage"
	"github.com/hostadm/hostadm/internal/rootfs"
	"github.com/hostadm/hostadm/internal/sectioncfg"
)

// Adding an entry the way pvesm add does, below a fixture root.
func ExampleEdit() {
	dir, _ := os.MkdirTemp("", "pvestorage")
	defer os.RemoveAll(dir)
	f, _ := rootfs.Open(dir)
	defer f.Close()

	ctx := context.Background()
	err := pvestorage.Edit(ctx, f, func(cfg *sectioncfg.File) error {
		if err := pvestorage.ValidID("backup"); err != nil {
			return err
		}
		sec, err := cfg.Add("dir", "backup")
		if err != nil {
			return err
		}
		sec.Set("path", "/mnt/backup")
		return sec.Set("content", "backup")
	})
	if err != nil {
		fmt.Println(err)
	}
	b, _ := f.ReadFile(pvestorage.Path)
	fmt.Print(string(b))
	// Output:
	// dir: backup
	// 	path /mnt/backup
	// 	content backup
}
